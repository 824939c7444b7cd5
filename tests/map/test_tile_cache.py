"""Tile cache, live provider, pre-fetch and import: all against loopback only."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from controlroom.map.tile_cache import (
    TileCache,
    TileCacheError,
    TileProvider,
    commune_bounds,
    import_mbtiles,
    lonlat_to_tile,
    parse_zoom_range,
    prefetch_tiles,
    tiles_in_bounds,
)

from .tiles_server import TileServer, png_bytes


def test_cache_round_trip_uses_mbtiles_row_order(tmp_path):
    cache = TileCache(tmp_path / "t.mbtiles")
    cache.put(15, 26163, 15113, b"png")
    assert cache.get(15, 26163, 15113) == b"png"
    assert cache.get(15, 26163, 15114) is None
    row = sqlite3.connect(tmp_path / "t.mbtiles").execute("SELECT tile_row FROM tiles").fetchone()[0]
    assert row == (1 << 15) - 1 - 15113
    cache.close()


def test_commune_tiles_cover_every_village(demo_config):
    tiles = set(tiles_in_bounds(commune_bounds(demo_config), [15]))
    for village in demo_config.villages:
        assert (15, *lonlat_to_tile(village.lat, village.lon, 15)) in tiles


def test_zoom_range_parsing():
    assert parse_zoom_range("12-14") == [12, 13, 14]
    assert parse_zoom_range("16") == [16]
    with pytest.raises(TileCacheError):
        parse_zoom_range("a-b")


@pytest.mark.parametrize("url", ["https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://a.tile.openstreetmap.org/{z}/{x}/{y}.png"])
def test_prefetch_refuses_openstreetmap_standard_tiles(demo_config, tmp_path, url):
    with pytest.raises(TileCacheError, match="OpenStreetMap"):
        prefetch_tiles(demo_config, url, [14], tmp_path / "t.mbtiles")
    assert not (tmp_path / "t.mbtiles").exists()


def test_prefetch_fills_the_cache_from_a_server_that_allows_it(demo_config, tmp_path):
    out = tmp_path / "t.mbtiles"
    with TileServer() as server:
        counts = prefetch_tiles(demo_config, server.url, [13, 14], out)
        again = prefetch_tiles(demo_config, server.url, [13, 14], out)
    assert counts["fetched"] == counts["total"] > 0 and counts["failed"] == 0
    assert again["skipped"] == counts["total"] and again["fetched"] == 0
    assert TileCache(out).count() == counts["total"]


def test_prefetch_stops_with_a_clear_message_when_the_server_is_unreachable(demo_config, tmp_path, offline_tiles):
    with pytest.raises(TileCacheError, match="cannot be reached|không kết nối"):
        prefetch_tiles(demo_config, offline_tiles, [15], tmp_path / "t.mbtiles")


def test_import_merges_a_users_mbtiles(tmp_path):
    source = TileCache(tmp_path / "user.mbtiles")
    source.put(14, 1, 2, b"a")
    source.put(14, 1, 3, b"b")
    source.close()
    assert import_mbtiles(tmp_path / "user.mbtiles", tmp_path / "cache.mbtiles") == 2
    assert TileCache(tmp_path / "cache.mbtiles").get(14, 1, 3) == b"b"


def test_import_rejects_a_file_that_is_not_mbtiles(tmp_path):
    bad = tmp_path / "notes.mbtiles"
    bad.write_text("not sqlite")
    with pytest.raises(TileCacheError, match="MBTiles"):
        import_mbtiles(bad, tmp_path / "cache.mbtiles")
    with pytest.raises(TileCacheError):
        import_mbtiles(tmp_path / "missing.mbtiles", tmp_path / "cache.mbtiles")


def _request(provider, z, x, y):
    done = threading.Event()
    result = {}

    def callback(data, origin):
        result.update(data=data, origin=origin)
        done.set()

    provider.request(z, x, y, callback)
    assert done.wait(30)
    return result["data"], result["origin"]


def test_provider_caches_what_it_saw_online_and_serves_it_offline(tmp_path, offline_tiles):
    cache = TileCache(tmp_path / "t.mbtiles")
    with TileServer() as server:
        online = TileProvider(cache, server.url)
        assert _request(online, 15, 10, 20) == (server.png, "network")
        assert online.status() == "online"
        online.close()
    offline = TileProvider(cache, offline_tiles)
    assert _request(offline, 15, 10, 20) == (png_bytes(), "cache")
    assert _request(offline, 15, 10, 21) == (None, "missing")
    assert offline.status() == "cached"
    offline.close()


def test_provider_with_no_network_and_no_cache_says_offline(tmp_path, offline_tiles):
    provider = TileProvider(TileCache(tmp_path / "t.mbtiles"), offline_tiles)
    assert _request(provider, 15, 1, 1) == (None, "missing")
    assert provider.status() == "offline"
    provider.close()


def test_provider_that_only_needed_cached_tiles_does_not_claim_a_link_state(tmp_path, offline_tiles):
    cache = TileCache(tmp_path / "t.mbtiles")
    cache.put(15, 3, 4, png_bytes())
    provider = TileProvider(cache, offline_tiles)
    assert _request(provider, 15, 3, 4)[1] == "cache"
    assert provider.status() == "stored"
    provider.close()
