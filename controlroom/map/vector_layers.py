"""The commune's own vector layers (``[[map.layers]]``): rivers, main roads, dykes and
flood-prone areas as GeoJSON files, checked before they reach the map.

A commune with no internet has no basemap; these layers are what tells the river from the
road. A file that is missing, not GeoJSON, or drawn somewhere else (latitude and longitude
swapped is the usual slip) is left off with a message naming the layer and the reason;
the other layers and the map carry on. No Qt here: the page is built on a worker thread.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from controlroom.config import Config
from controlroom.config.schema import MapLayerConfig
from controlroom.i18n import tr

MAX_FILE_BYTES = 20 * 1024 * 1024  # a commune's rivers and roads are kilobytes; more is a wrong file
NEAR_COMMUNE_DEG = 0.3  # ~30 km around the villages: a layer wholly beyond it is misplaced
GEOMETRY_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon",
                  "GeometryCollection"}


@dataclass(frozen=True)
class VectorLayer:
    """A checked layer: its config and its features as one GeoJSON FeatureCollection."""

    config: MapLayerConfig
    geojson: dict

    @property
    def feature_count(self) -> int:
        return len(self.geojson["features"])


class LayerError(ValueError):
    """Why a layer file cannot be drawn, in the operator's words."""


def load_vector_layers(config: Config) -> tuple[list[VectorLayer], list[str]]:
    """Every configured layer that can be drawn, and one message per layer that cannot."""
    layers: list[VectorLayer] = []
    problems: list[str] = []
    for layer in config.map.layers:
        try:
            layers.append(VectorLayer(layer, read_layer(layer, _commune_box(config))))
        except LayerError as exc:
            problems.append(tr("Map layer “{name}” is not drawn: {reason}", name=layer.name, reason=str(exc)))
    return layers, problems


def read_layer(layer: MapLayerConfig, commune_box: tuple[float, float, float, float] | None = None) -> dict:
    """The layer's file as a FeatureCollection, or LayerError. `commune_box` (south, west,
    north, east) catches a layer drawn far from the commune."""
    path = Path(layer.file)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise LayerError(tr("{file} is larger than {mb} MB", file=str(path), mb=MAX_FILE_BYTES // (1024 * 1024)))
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LayerError(tr("the file {file} does not exist", file=str(path))) from None
    except OSError as exc:
        raise LayerError(tr("cannot read {file}: {reason}", file=str(path), reason=exc.strerror or str(exc))) from None
    except UnicodeDecodeError:
        raise LayerError(tr("{file} is not UTF-8 text", file=str(path))) from None
    except json.JSONDecodeError as exc:
        raise LayerError(tr("{file} is not JSON (line {line}, column {column})", file=str(path),
                            line=exc.lineno, column=exc.colno)) from None
    collection = _as_collection(data)
    box = _bounds(collection)
    if box is None:
        raise LayerError(tr("{file} holds no coordinates", file=str(path)))
    if commune_box is not None and not _overlaps(box, commune_box):
        raise LayerError(tr("its coordinates lie far from the commune (GeoJSON lists longitude first, then latitude)"))
    return collection


def _as_collection(data: object) -> dict:
    if not isinstance(data, dict) or "type" not in data:
        raise LayerError(tr("not GeoJSON: no \"type\""))
    kind = data["type"]
    if kind == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list):
            raise LayerError(tr("not GeoJSON: \"features\" is not a list"))
    elif kind == "Feature":
        features = [data]
    elif kind in GEOMETRY_TYPES:
        features = [{"type": "Feature", "geometry": data, "properties": {}}]
    else:
        raise LayerError(tr("not GeoJSON: unknown type {kind}", kind=str(kind)))
    checked = []
    for number, feature in enumerate(features, 1):
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if not isinstance(geometry, dict) or geometry.get("type") not in GEOMETRY_TYPES:
            raise LayerError(tr("feature {n} has no valid geometry", n=number))
        for lon, lat in _positions(geometry):
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise LayerError(tr("feature {n} has a position that is not longitude, latitude: {lon}, {lat} "
                                    "(GeoJSON lists longitude first)", n=number, lon=lon, lat=lat))
        properties = feature.get("properties")
        checked.append({"type": "Feature", "geometry": geometry,
                        "properties": properties if isinstance(properties, dict) else {}})
    return {"type": "FeatureCollection", "features": checked}


def _positions(geometry: dict):
    """Every (lon, lat) of a geometry; a malformed position is a LayerError."""
    if geometry["type"] == "GeometryCollection":
        for part in geometry.get("geometries") or []:
            if not isinstance(part, dict) or part.get("type") not in GEOMETRY_TYPES:
                raise LayerError(tr("a geometry collection holds something that is not a geometry"))
            yield from _positions(part)
        return
    stack = [geometry.get("coordinates")]
    while stack:
        item = stack.pop()
        if isinstance(item, list) and len(item) >= 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in item[:2]):
            if not all(math.isfinite(v) for v in item[:2]):
                raise LayerError(tr("a position is not a number"))
            yield float(item[0]), float(item[1])
        elif isinstance(item, list) and item:
            stack.extend(item)
        else:
            raise LayerError(tr("a position is not a pair of numbers: {value}", value=json.dumps(item)[:60]))


def _bounds(collection: dict) -> tuple[float, float, float, float] | None:
    lons, lats = [], []
    for feature in collection["features"]:
        for lon, lat in _positions(feature["geometry"]):
            lons.append(lon)
            lats.append(lat)
    return (min(lats), min(lons), max(lats), max(lons)) if lats else None


def _commune_box(config: Config) -> tuple[float, float, float, float]:
    """South, west, north, east around the villages and the map centre, with a margin."""
    lats = [config.site.map_center[0]] + [v.lat for v in config.villages]
    lons = [config.site.map_center[1]] + [v.lon for v in config.villages]
    return (min(lats) - NEAR_COMMUNE_DEG, min(lons) - NEAR_COMMUNE_DEG,
            max(lats) + NEAR_COMMUNE_DEG, max(lons) + NEAR_COMMUNE_DEG)


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]
