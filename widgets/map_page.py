"""Writes the map's web page into the data dir: folium composes it, every asset is local.

Leaflet's files come from the installed XStatic-Leaflet package and are copied next to the
page at run time (nothing third-party lives in the repository); our own JS/CSS come from
``controlroom.resources/map``. No Qt here, so the page is built on a worker thread while the
main window is already on screen. Tiles are requested from the ``crtile:`` URL scheme, which
the map view answers from the tile cache or the tile server.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from importlib import resources
from pathlib import Path

import folium
import xstatic.pkg.leaflet
from folium.features import DivIcon

from controlroom.config import Config
from controlroom.i18n import tr
from controlroom.map.model import MapModel
from controlroom.map.vector_layers import VectorLayer

TILE_SCHEME = "crtile"
TILE_URL = TILE_SCHEME + "://tiles/{z}/{x}/{y}.png"
LEAFLET_DIR = Path(xstatic.pkg.leaflet.BASE_DIR)
OWN_ASSETS = ("live_layers.js", "map.css")
# how each kind of the commune's own layers is drawn: water blue, roads brown, dykes dashed dark
# brown, flood-prone areas a light blue wash under the villages
LAYER_STYLES: dict[str, dict] = {
    "water": {"color": "#1565c0", "weight": 5, "opacity": 0.9, "fillColor": "#64b5f6", "fillOpacity": 0.55},
    "road": {"color": "#8d6e63", "weight": 4, "opacity": 0.95},
    "dyke": {"color": "#4e342e", "weight": 4, "opacity": 0.95, "dashArray": "8 5"},
    "flood_area": {"color": "#0277bd", "weight": 1, "opacity": 0.6, "dashArray": "4 4",
                   "fillColor": "#4fc3f7", "fillOpacity": 0.22},
    "other": {"color": "#455a64", "weight": 2, "opacity": 0.9, "fillOpacity": 0.15},
}


def layer_specs() -> list[dict]:
    """Live overlay layers, in layer-switcher order, with their Vietnamese titles."""
    return [
        {"layer": "cameras", "title": tr("Camera markers"), "visible": True},
        {"layer": "sensors", "title": tr("Sensor markers"), "visible": True},
        {"layer": "speakers", "title": tr("Loudspeaker markers"), "visible": True},
        {"layer": "alerts", "title": tr("Active alert markers"), "visible": True},
        {"layer": "reports", "title": tr("Citizen report markers"), "visible": True},
    ]


def _copy_if_changed(source: Path, target: Path) -> None:
    if target.exists() and target.stat().st_size == source.stat().st_size and target.stat().st_mtime >= source.stat().st_mtime:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)


def _write_atomically(target: Path, text: str) -> None:
    """Two consoles on one PC may write the page at once; readers never see half a file."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".page-", suffix=".html")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, target)


def layer_style(layer: VectorLayer) -> dict:
    style = dict(LAYER_STYLES[layer.config.kind])
    if layer.config.colour:
        style["color"] = style["fillColor"] = layer.config.colour
    return style


def _add_vector_layer(fmap: folium.Map, layer: VectorLayer) -> None:
    """A layer of its own in the layer switcher; areas are drawn under the villages and take
    no clicks (a click on a flooded village still selects the village)."""
    style = layer_style(layer)
    area = layer.config.kind == "flood_area"
    group = folium.FeatureGroup(name=layer.config.name, show=True)
    folium.GeoJson(layer.geojson, name=layer.config.name, style_function=lambda _f, s=style: s,
                   interactive=not area, tooltip=None if area else layer.config.name,
                   marker=folium.CircleMarker(radius=6)).add_to(group)
    group.add_to(fmap)


def compose_html(config: Config, model: MapModel, layers: list[VectorLayer] | tuple = ()) -> str:
    """The page: folium's map, basemap, the commune's own layers (flood areas under the
    villages, lines over them), village outlines and labels, layer switcher, then our live
    layer module initialised with folium's generated JS names."""
    site = config.site
    fmap = folium.Map(
        location=list(site.map_center),
        zoom_start=site.map_zoom,
        tiles=None,
        min_zoom=config.map.min_zoom,
        max_zoom=config.map.max_zoom,
        control_scale=False,  # our JS adds a metric-only scale
    )
    fmap.default_js = [("leaflet", "leaflet/leaflet.js")]  # local files only: no CDN, no jQuery/Bootstrap
    fmap.default_css = [("leaflet_css", "leaflet/leaflet.css")]
    tiles = folium.TileLayer(
        TILE_URL,
        attr=config.map.tile_attribution,
        name=tr("Basemap tiles"),
        min_zoom=config.map.min_zoom,
        max_zoom=config.map.max_zoom,
        max_native_zoom=min(config.map.max_zoom, 19),
    )
    tiles.add_to(fmap)
    for layer in layers:
        if layer.config.kind == "flood_area":
            _add_vector_layer(fmap, layer)
    villages = folium.FeatureGroup(name=tr("Village outlines"), show=True)
    outlines = folium.GeoJson(
        model.villages_geojson(),
        name=tr("Village outlines"),
        style_function=lambda f: {
            "color": "#0d47a1",
            "weight": 2,
            "fillColor": "#64b5f6" if f["properties"]["low_lying"] else "#a5d6a7",
            "fillOpacity": 0.18,
        },
        highlight_function=lambda f: {"weight": 4, "fillOpacity": 0.32},
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
        marker=folium.CircleMarker(radius=10),
    )
    outlines.add_to(villages)
    for village in config.villages:
        top = max((lat for lat, _ in village.outline), default=village.lat)
        folium.Marker(
            [top, village.lon],  # above the outline, so the name does not hide the markers inside
            icon=DivIcon(html=f'<span class="cr-village-label">{_escape(village.name)}</span>', class_name="cr-village"),
            interactive=False,
        ).add_to(villages)
    villages.add_to(fmap)
    for layer in layers:
        if layer.config.kind != "flood_area":
            _add_vector_layer(fmap, layer)
    control = folium.LayerControl(collapsed=True)  # live_layers.js expands it when the map is wide
    control.add_to(fmap)
    html = fmap.get_root().render()
    init = {
        "layers": layer_specs(),
    }
    tail = (
        '<link rel="stylesheet" href="map.css"/>\n'
        '<script src="qrc:///qtwebchannel/qwebchannel.js"></script>\n'
        '<script src="live_layers.js"></script>\n'
        "<script>\n"
        f"var crInit = {json.dumps(init, ensure_ascii=False)};\n"
        f"crInit.map = {fmap.get_name()}; crInit.layerControl = {control.get_name()};\n"
        f"crInit.villages = {outlines.get_name()}; crInit.tiles = {tiles.get_name()};\n"
        "crLive.init(crInit);\n"
        "</script>\n"
    )
    head, sep, end = html.rpartition("</html>")
    return head + tail + sep + end if sep else html + tail


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_page(config: Config, model: MapModel, folder: Path, layers: list[VectorLayer] | tuple = ()) -> Path:
    """Write index.html with Leaflet and our assets into `folder`; returns the page path."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("leaflet.js", "leaflet.css"):
        _copy_if_changed(LEAFLET_DIR / name, folder / "leaflet" / name)
    for image in (LEAFLET_DIR / "images").iterdir():
        _copy_if_changed(image, folder / "leaflet" / "images" / image.name)
    own = resources.files("controlroom.resources").joinpath("map")
    for name in OWN_ASSETS:
        data = own.joinpath(name).read_bytes()
        target = folder / name
        if not target.exists() or target.read_bytes() != data:
            target.write_bytes(data)
    page = folder / "index.html"
    _write_atomically(page, compose_html(config, model, layers))
    return page
