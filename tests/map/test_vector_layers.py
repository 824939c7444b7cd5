"""The commune's own GeoJSON layers: checked before they reach the map, a bad file left off
with a message naming the layer and the reason, the good ones kept."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from controlroom.config import ConfigError, load_config
from controlroom.map.vector_layers import load_vector_layers

SITES = Path(__file__).resolve().parent.parent / "sites"


def _line(*points) -> dict:
    return {"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": [list(p) for p in points]}}


def _commune_with_layers(tmp_path: Path, layers: dict[str, object]) -> Path:
    """The second commune's config copied into tmp_path with `layers` (file name -> content;
    a str is written as is) appended as [[map.layers]] of kind road."""
    shutil.copytree(SITES / "lagoon-layers", tmp_path / "lagoon-layers")
    text = (SITES / "lagoon_commune.toml").read_text(encoding="utf-8")
    folder = tmp_path / "extra"
    folder.mkdir()
    entries = []
    for number, (name, content) in enumerate(layers.items()):
        if content is not None:
            (folder / name).write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
        entries.append(f'[[map.layers]]\nid = "lop_{number}"\nname = "Lớp {name}"\nkind = "road"\nfile = "extra/{name}"\n')
    head, sep, tail = text.partition("[[villages]]")
    path = tmp_path / "commune.toml"
    path.write_text(head + "\n".join(entries) + "\n" + sep + tail, encoding="utf-8")
    return path


def test_the_second_communes_layers_load_from_files_next_to_its_config(second_config):
    layers, problems = load_vector_layers(second_config)
    assert problems == []
    assert [(layer.config.id, layer.config.kind) for layer in layers] == [("lop_dam", "water"), ("lop_duong", "road")]
    assert all(Path(layer.config.file).is_absolute() and Path(layer.config.file).parent.name == "lagoon-layers" for layer in layers)
    assert layers[0].geojson["type"] == "FeatureCollection" and layers[0].feature_count == 1
    assert layers[1].config.colour == "#aa5500"


def test_bad_layer_files_are_left_off_with_the_reason_and_the_good_ones_kept(tmp_path, second_config):
    lon, lat = second_config.site.map_center[1], second_config.site.map_center[0]
    path = _commune_with_layers(tmp_path, {
        "good.geojson": {"type": "FeatureCollection", "features": [_line((lon, lat), (lon + 0.01, lat))]},
        "bare.geojson": {"type": "LineString", "coordinates": [[lon, lat], [lon, lat + 0.01]]},  # a bare geometry is GeoJSON too
        "missing.geojson": None,
        "broken.geojson": '{"type": "FeatureCollection", "features": [',
        "swapped.geojson": {"type": "FeatureCollection", "features": [_line((lat, lon), (lat, lon + 0.01))]},
        "elsewhere.geojson": {"type": "FeatureCollection", "features": [_line((105.85, 21.03), (105.86, 21.03))]},
        "shapefile.geojson": {"type": "Topology", "objects": {}},
        "holes.geojson": {"type": "FeatureCollection", "features": [_line((lon, lat), ("x", lat))]},
    })
    layers, problems = load_vector_layers(load_config(path))
    drawn = {layer.config.name for layer in layers}
    assert {"Lớp good.geojson", "Lớp bare.geojson", "Đầm (thử)", "Đường liên xã (thử)"} == drawn
    said = dict(zip(["missing", "broken", "swapped", "elsewhere", "shapefile", "holes"], problems))
    assert len(problems) == 6
    assert said["missing"].startswith("Lớp bản đồ “Lớp missing.geojson” không được vẽ: không có tệp ")
    assert "không phải JSON (dòng 1, cột" in said["broken"]
    assert "không phải kinh độ, vĩ độ" in said["swapped"]  # latitude first: 107.8 is no latitude
    assert "tọa độ nằm xa địa bàn xã" in said["elsewhere"]  # valid, but in Hà Nội
    assert "kiểu Topology không hợp lệ" in said["shapefile"]
    assert "không phải cặp số" in said["holes"]


def test_two_layers_with_one_id_are_refused_with_the_id(tmp_path):
    path = _commune_with_layers(tmp_path, {"a.geojson": None})
    text = path.read_text(encoding="utf-8").replace('id = "lop_0"', 'id = "lop_dam"')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert "lop_dam" in str(raised.value)
