"""`controlroom map prefetch|import` through the real CLI entry point (loopback only)."""

from __future__ import annotations

from controlroom.cli.main import main
from controlroom.map.tile_cache import TileCache

from .tiles_server import TileServer


def test_prefetch_command_refuses_osm_and_fills_the_cache_from_an_allowed_server(data_dir, capsys):
    assert main(["map", "prefetch", "--url", "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "--zoom", "12-17"]) == 1
    assert "OpenStreetMap" in capsys.readouterr().err
    with TileServer() as server:
        assert main(["map", "prefetch", "--url", server.url, "--zoom", "13-14"]) == 0
    assert TileCache(data_dir / "map" / "tiles.mbtiles").count() > 0


def test_import_command_merges_an_mbtiles_file_and_reports_bad_files(data_dir, tmp_path, capsys):
    source = TileCache(tmp_path / "commune.mbtiles")
    source.put(15, 1, 1, b"x")
    source.close()
    assert main(["map", "import", str(tmp_path / "commune.mbtiles")]) == 0
    assert TileCache(data_dir / "map" / "tiles.mbtiles").get(15, 1, 1) == b"x"
    (tmp_path / "bad.mbtiles").write_text("no")
    assert main(["map", "import", str(tmp_path / "bad.mbtiles")]) == 1
    assert "MBTiles" in capsys.readouterr().err
