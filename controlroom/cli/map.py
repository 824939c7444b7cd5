"""`controlroom map prefetch|import`: fill the offline basemap cache (no Qt, no display).

    controlroom map prefetch --url https://tiles.example/{z}/{x}/{y}.png --zoom 12-17
    controlroom map import commune.mbtiles

Pre-fetch refuses tile.openstreetmap.org (its tile policy forbids bulk downloads); tiles the
operator views online are cached anyway, and an .mbtiles file made elsewhere can be imported.
"""

from __future__ import annotations

import argparse
import sys

from controlroom.config import ConfigError, demo_config_path, load_config
from controlroom.i18n import SUPPORTED_LANGUAGES, tr
from controlroom.map.tile_cache import TileCacheError, default_cache_path, import_mbtiles, parse_zoom_range, prefetch_tiles

EXIT_OK, EXIT_FAILURE, EXIT_CONFIG = 0, 1, 2


def add_map_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("map", help=tr("basemap tiles for offline use"), description=tr("basemap tiles for offline use"))
    actions = parser.add_subparsers(dest="map_command", metavar="ACTION", required=True)
    prefetch = actions.add_parser(
        "prefetch",
        help=tr("download the commune's tiles from a tile server that allows bulk downloads"),
        description=tr("download the commune's tiles from a tile server that allows bulk downloads"),
    )
    prefetch.add_argument("--url", required=True, metavar="TEMPLATE", help=tr("tile URL template, e.g. {example}", example="https://tiles.example/{z}/{x}/{y}.png"))
    prefetch.add_argument("--zoom", default="12-17", metavar="LOW-HIGH", help=tr("zoom levels to download (default: 12-17)"))
    prefetch.add_argument("--config", metavar="PATH", help=tr("commune configuration file (TOML)"))
    prefetch.add_argument("--out", metavar="FILE", help=tr("MBTiles file to fill (default: the tile cache in the data folder)"))
    prefetch.add_argument("--lang", choices=SUPPORTED_LANGUAGES, default=None, help=tr("interface language (default: vi)"))
    imported = actions.add_parser(
        "import", help=tr("merge an .mbtiles file into the tile cache"), description=tr("merge an .mbtiles file into the tile cache")
    )
    imported.add_argument("file", metavar="FILE.mbtiles")
    imported.add_argument("--lang", choices=SUPPORTED_LANGUAGES, default=None, help=tr("interface language (default: vi)"))


def run_map_command(args: argparse.Namespace) -> int:
    try:
        if args.map_command == "import":
            copied = import_mbtiles(args.file)
            print(tr("{n} tiles imported into {file}", n=copied, file=str(default_cache_path())))
            return EXIT_OK
        config = load_config(args.config or demo_config_path())
        zooms = parse_zoom_range(args.zoom)

        def progress(done: int, total: int) -> None:
            if done % 100 == 0 or done == total:
                print(tr("{done}/{total} tiles", done=done, total=total), file=sys.stderr)

        counts = prefetch_tiles(config, args.url, zooms, args.out, progress=progress)
        print(tr("{fetched} tiles downloaded, {skipped} already cached, {failed} failed", **{k: counts[k] for k in ("fetched", "skipped", "failed")}))
        return EXIT_OK if not counts["failed"] else EXIT_FAILURE
    except ConfigError as exc:
        for message in exc.messages:
            print(message, file=sys.stderr)
        return EXIT_CONFIG
    except TileCacheError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_FAILURE
