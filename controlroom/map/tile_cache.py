"""Basemap tiles that survive a dropped link: an MBTiles cache, the live provider, pre-fetch.

- ``TileCache``: one MBTiles (SQLite) file in the data dir; rows use the MBTiles TMS row order.
- ``TileProvider``: what the map's URL scheme handler asks. Cache first, then the configured
  tile server on a small pool of named worker threads; every tile seen online is cached. When
  the server is unreachable it stops trying for a while so a flood-time map stays fast.
- ``prefetch_tiles``: fill the cache for the commune's area from a server that allows bulk
  downloads. OSM's tile policy forbids bulk downloads from tile.openstreetmap.org, so it is
  refused; viewing and caching OSM tiles as the operator pans is allowed.
- ``import_mbtiles``: merge a user's .mbtiles file (e.g. made with a desktop GIS) into the cache.

No Qt here; the widget layer turns answers into replies to the web page.
"""

from __future__ import annotations

import logging
import math
import os
import sqlite3
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterable

from controlroom.config import Config
from controlroom.i18n import tr
from controlroom.paths import data_dir

log = logging.getLogger(__name__)

USER_AGENT = "controlroom/0.1 (commune control room; tiles cached for offline use)"
FORBIDDEN_BULK_HOSTS = ("tile.openstreetmap.org", "tile.osm.org")
MAX_PREFETCH_TILES = 20_000
RETRY_AFTER_S = 30.0  # after a failed connection, serve from the cache only for this long

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS metadata (name TEXT PRIMARY KEY, value TEXT)",
    "CREATE TABLE IF NOT EXISTS tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)",
    "CREATE UNIQUE INDEX IF NOT EXISTS tile_index ON tiles (zoom_level, tile_column, tile_row)",
)


class TileCacheError(Exception):
    """A tile file or server that cannot be used; the message is for the operator."""


def default_cache_path() -> Path:
    return data_dir() / "map" / "tiles.mbtiles"


def tile_url_template(config: Config) -> str | None:
    """The configured tile URL, unless CONTROLROOM_TILE_URL overrides it ("off": cache only)."""
    override = os.environ.get("CONTROLROOM_TILE_URL", "").strip()
    if override.lower() in ("off", "none", "offline"):
        return None
    return override or config.map.tile_url


class TileCache:
    """An MBTiles file used as a tile cache; safe to call from several threads."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=10)
            self._db.execute("PRAGMA journal_mode=WAL")
            for statement in _SCHEMA:
                self._db.execute(statement)
            self._db.execute(
                "INSERT OR IGNORE INTO metadata (name, value) VALUES ('name', 'controlroom tile cache'), ('format', 'png')"
            )
            self._db.commit()
        except sqlite3.DatabaseError as exc:
            raise TileCacheError(tr("{file}: not a usable MBTiles file: {reason}", file=str(self.path), reason=str(exc))) from None

    def get(self, z: int, x: int, y: int) -> bytes | None:
        """The tile at XYZ address (z, x, y), or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
                (z, x, (1 << z) - 1 - y),
            ).fetchone()
        return bytes(row[0]) if row else None

    def has(self, z: int, x: int, y: int) -> bool:
        with self._lock:
            return (
                self._db.execute(
                    "SELECT 1 FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?", (z, x, (1 << z) - 1 - y)
                ).fetchone()
                is not None
            )

    def put(self, z: int, x: int, y: int, data: bytes) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO tiles (zoom_level, tile_column, tile_row, tile_data) VALUES (?, ?, ?, ?)",
                (z, x, (1 << z) - 1 - y, sqlite3.Binary(data)),
            )
            self._db.commit()

    def count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM tiles").fetchone()[0]

    def import_file(self, source: str | Path) -> int:
        """Copy every tile of another MBTiles file into this cache; returns the tile count."""
        source = Path(source)
        if not source.is_file():
            raise TileCacheError(tr("{file}: no such file", file=str(source)))
        try:
            other = sqlite3.connect(f"file:{source.as_posix()}?mode=ro", uri=True)
            try:
                rows = other.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles")
                copied = 0
                with self._lock:
                    while batch := rows.fetchmany(500):
                        self._db.executemany(
                            "INSERT OR REPLACE INTO tiles (zoom_level, tile_column, tile_row, tile_data) VALUES (?, ?, ?, ?)",
                            batch,
                        )
                        copied += len(batch)
                    self._db.commit()
            finally:
                other.close()
        except sqlite3.DatabaseError as exc:
            raise TileCacheError(tr("{file}: not a usable MBTiles file: {reason}", file=str(source), reason=str(exc))) from None
        return copied

    def close(self) -> None:
        with self._lock:
            self._db.close()


def fetch_tile(url_template: str, z: int, x: int, y: int, timeout_s: float) -> bytes:
    """One tile from a tile server; raises urllib errors / OSError as they come."""
    url = url_template.replace("{s}", "a").format(z=z, x=x, y=y)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310 (configured URL)
        return response.read()


class TileProvider:
    """Answers tile requests from the cache or the tile server, off the caller's thread.

    `request(z, x, y, done)` calls `done(data_or_None, origin)` on a worker thread, origin one
    of "cache", "network", "missing". `status()` sums up the basemap for the status bar."""

    def __init__(self, cache: TileCache, url_template: str | None, timeout_s: float = 5.0, workers: int = 4) -> None:
        self.cache = cache
        self.url_template = url_template
        self.timeout_s = timeout_s
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._link: str = "unknown"  # "up" | "down" | "unknown"
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tile-fetch")

    def request(self, z: int, x: int, y: int, done: Callable[[bytes | None, str], None]) -> None:
        """Serve the tile on a worker; once closed (the app is quitting), answer "missing" at once."""
        try:
            self._pool.submit(self._serve, z, x, y, done)
        except RuntimeError:  # the pool was shut down: late requests from a page being torn down
            done(None, "missing")

    def tile(self, z: int, x: int, y: int) -> tuple[bytes | None, str]:
        """The tile now, blocking (worker threads, CLI and tests)."""
        try:
            data = self.cache.get(z, x, y)
        except sqlite3.Error as exc:
            log.warning("tile cache read failed: %s", exc)
            data = None
        if data is not None:
            return data, self._count("cache")
        if not self.url_template or time.monotonic() < self._down_until:
            return None, self._count("missing")
        try:
            data = fetch_tile(self.url_template, z, x, y, self.timeout_s)
        except urllib.error.HTTPError as exc:  # the server answered: the link is up, this tile is not there
            self._set_link("up")
            log.info("tile %s/%s/%s: HTTP %s", z, x, y, exc.code)
            return None, self._count("missing")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            with self._lock:
                self._down_until = time.monotonic() + RETRY_AFTER_S
                was_down, self._link = self._link == "down", "down"
            if not was_down:  # say it once per outage, not once per tile
                log.info("tile server unreachable (%s); serving cached tiles only, retrying every %.0f s", exc, RETRY_AFTER_S)
            return None, self._count("missing")
        self._set_link("up")
        try:
            self.cache.put(z, x, y, data)
        except sqlite3.Error as exc:
            log.warning("tile cache write failed: %s", exc)
        return data, self._count("network")

    def status(self) -> str:
        """"online" (the server answered), "cached" (unreachable, the cache serves), "offline"
        (unreachable, nothing cached), "stored" (only cached tiles needed so far), "unknown"."""
        with self._lock:
            if self._link == "up":
                return "online"
            if self._link == "down" or not self.url_template:
                return "cached" if self.counts["cache"] else "offline"
            return "stored" if self.counts["cache"] else "unknown"

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _serve(self, z: int, x: int, y: int, done: Callable[[bytes | None, str], None]) -> None:
        data, origin = self.tile(z, x, y)
        done(data, origin)

    def _count(self, origin: str) -> str:
        with self._lock:
            self.counts[origin] += 1
        return origin

    def _set_link(self, state: str) -> None:
        with self._lock:
            self._link = state


# -- pre-fetch -----------------------------------------------------------------------------


def lonlat_to_tile(lat: float, lon: float, z: int) -> tuple[int, int]:
    """Web-Mercator XYZ tile holding (lat, lon) at zoom z."""
    n = 1 << z
    x = int((lon + 180.0) / 360.0 * n)
    lat_r = math.radians(lat)
    y = int((1.0 - math.asinh(math.tan(lat_r)) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def commune_bounds(config: Config, margin: float = 0.15) -> tuple[float, float, float, float]:
    """(south, west, north, east) around every village, camera, sensor and speaker, widened by `margin`."""
    lats: list[float] = []
    lons: list[float] = []
    for item in (*config.villages, *config.cameras, *config.sensors, *config.speakers):
        lats.append(item.lat)
        lons.append(item.lon)
    for village in config.villages:
        lats += [lat for lat, _ in village.outline]
        lons += [lon for _, lon in village.outline]
    dlat = (max(lats) - min(lats)) * margin + 0.002
    dlon = (max(lons) - min(lons)) * margin + 0.002
    return min(lats) - dlat, min(lons) - dlon, max(lats) + dlat, max(lons) + dlon


def tiles_in_bounds(bounds: tuple[float, float, float, float], zooms: Iterable[int]) -> list[tuple[int, int, int]]:
    south, west, north, east = bounds
    tiles = []
    for z in zooms:
        x0, y0 = lonlat_to_tile(north, west, z)
        x1, y1 = lonlat_to_tile(south, east, z)
        tiles += [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
    return tiles


def parse_zoom_range(text: str) -> list[int]:
    """"12-17" -> [12, ..., 17]; "15" -> [15]."""
    try:
        low, _, high = text.partition("-")
        zooms = list(range(int(low), int(high or low) + 1))
    except ValueError:
        raise TileCacheError(tr("zoom range must look like 12-17, got {text}", text=repr(text))) from None
    if not zooms or zooms[0] < 0 or zooms[-1] > 22:
        raise TileCacheError(tr("zoom range must look like 12-17, got {text}", text=repr(text)))
    return zooms


def check_bulk_allowed(url_template: str) -> None:
    """Refuse templates that are not http(s) {z}/{x}/{y} or whose server forbids bulk downloads."""
    parsed = urllib.parse.urlparse(url_template.replace("{s}", "a"))
    if parsed.scheme not in ("http", "https") or not all(k in url_template for k in ("{z}", "{x}", "{y}")):
        raise TileCacheError(
            tr("the tile URL must be an http(s) address with {{z}}, {{x}} and {{y}} in it, e.g. {example}", example="https://tiles.example/{z}/{x}/{y}.png")
        )
    host = (parsed.hostname or "").lower()
    if any(host == h or host.endswith("." + h) for h in FORBIDDEN_BULK_HOSTS):
        raise TileCacheError(
            tr("OpenStreetMap's tile policy forbids bulk downloads from {host}; use a tile server that allows pre-fetching or import an .mbtiles file", host=host)
        )


def prefetch_tiles(
    config: Config,
    url_template: str,
    zooms: Iterable[int],
    out_path: str | Path | None = None,
    *,
    timeout_s: float = 10.0,
    max_tiles: int = MAX_PREFETCH_TILES,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Download the commune's tiles at `zooms` into the MBTiles file `out_path` (the cache by
    default), skipping tiles already there. Returns counts: total, fetched, skipped, failed."""
    check_bulk_allowed(url_template)
    tiles = tiles_in_bounds(commune_bounds(config), zooms)
    if len(tiles) > max_tiles:
        raise TileCacheError(tr("{n} tiles is more than the limit of {limit}; choose fewer zoom levels", n=len(tiles), limit=max_tiles))
    cache = TileCache(out_path or default_cache_path())
    counts = Counter(total=len(tiles))
    failures_in_a_row = 0
    try:
        for i, (z, x, y) in enumerate(tiles, 1):
            if cache.has(z, x, y):
                counts["skipped"] += 1
            else:
                try:
                    cache.put(z, x, y, fetch_tile(url_template, z, x, y, timeout_s))
                    counts["fetched"] += 1
                    failures_in_a_row = 0
                except urllib.error.HTTPError as exc:
                    counts["failed"] += 1
                    log.info("prefetch %s/%s/%s: HTTP %s", z, x, y, exc.code)
                except (urllib.error.URLError, OSError) as exc:
                    counts["failed"] += 1
                    failures_in_a_row += 1
                    if failures_in_a_row >= 5:
                        raise TileCacheError(tr("the tile server cannot be reached: {reason}", reason=str(exc))) from None
            if progress:
                progress(i, len(tiles))
    finally:
        cache.close()
    return {k: counts[k] for k in ("total", "fetched", "skipped", "failed")}


def import_mbtiles(source: str | Path, cache_path: str | Path | None = None) -> int:
    """Merge a user's .mbtiles into the tile cache; returns how many tiles were copied."""
    cache = TileCache(cache_path or default_cache_path())
    try:
        return cache.import_file(source)
    finally:
        cache.close()
