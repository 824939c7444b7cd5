"""The map panel: the commune map wired to the core bridge and, through the navigator, to the
other panels.

Clicks go where the operator expects: a camera marker opens the camera on the wall, a sensor
its graph, a speaker or a village outline selects it for broadcast (``context.navigator``).
The panel serves ``navigator.focus_alert`` (the alert queue pans the map to an alert). It
follows the core: sensor values from the live state, alerts from the one alert path
(``AlertChanged``), village colours from the flood duty's risk levels. Signals
(``cameraRequested``, ``villageSpeakersSelected`` …) say the same for anyone listening.

The map loads in the background: the page is composed on a worker thread after the window is
on screen, and the web view is created only then. Nothing here blocks app start-up.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from PyQt6.QtCore import QSize, Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import QLabel, QMainWindow, QVBoxLayout, QWidget

from controlroom.alerts.model import AlertChanged
from controlroom.domain import CitizenReport, DeviceStatus, Reading, SpeakerStatus
from controlroom.i18n import tr
from controlroom.map.model import MapModel, Marker
from controlroom.paths import data_dir
from controlroom.map.tile_cache import TileCache, TileProvider, default_cache_path, tile_url_template
from controlroom.ui.shell.background import run_in_background
from controlroom.ui.shell.docks import bring_to_front
from controlroom.widgets.elided_label import ElidedLabel

log = logging.getLogger(__name__)

# how much larger a wall display draws the map (labels and markers read from metres away)
PRESENTATION_ZOOM = 1.5


def basemap_text(status: str) -> str:
    return {
        "online": tr("Basemap: online"),
        "cached": tr("Basemap offline (showing cached tiles)"),
        "offline": tr("Basemap offline"),
        "stored": tr("Basemap: stored tiles"),
    }.get(status, tr("Basemap: loading"))


class MapPanel(QWidget):
    cameraRequested = pyqtSignal(str)
    sensorRequested = pyqtSignal(str)
    speakerSelected = pyqtSignal(str)
    villageSelected = pyqtSignal(str)
    villageSpeakersSelected = pyqtSignal(list)
    alertClicked = pyqtSignal(str)
    reportClicked = pyqtSignal(str)
    basemapStatusChanged = pyqtSignal(str)
    mapReady = pyqtSignal()

    def __init__(self, context, parent: QWidget | None = None, *, page_dir: Path | None = None,
                 cache_path: Path | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mapPanel")
        self.context = context
        self.config = context.config
        self.model = MapModel(self.config, context.core.live)
        self._flood = context.core.flood.monitor
        self._village_levels: dict[str, int] | None = None
        self.village_colour_result = None
        self.view = None  # MapView, created once the page is built
        self.provider: TileProvider | None = None
        self.error: str | None = None
        self._page_dir = page_dir or data_dir() / "map" / "page"
        self._cache_path = cache_path or default_cache_path()
        self._closed = False
        self.presenting = False  # on a wall display (set_presenting)
        self._village_speakers = {
            v.id: [s.id for s in self.config.speakers if s.village == v.id] for v in self.config.villages
        }

        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(0)
        self._placeholder = QLabel(tr("Loading the map…"), self)
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._layout.addWidget(self._placeholder, 1)
        self.status_label = QLabel(basemap_text("unknown"), self)
        self.status_label.setObjectName("mapStatus")
        self._layout.addWidget(self.status_label)
        self.layer_problems: list[str] = []  # the commune's layers that could not be drawn, and why
        self.layers_label = QLabel(self)
        self.layers_label.setObjectName("mapStatus")
        self.layers_label.setProperty("level", "warn")
        self.layers_label.setWordWrap(True)
        self.layers_label.hide()
        self._layout.addWidget(self.layers_label)
        self._window_label: QLabel | None = None

        self._seed_from_live_state()
        bridge = context.bridge
        bridge.readings_changed.connect(self.apply_changed)
        bridge.device_status.connect(self.apply_device_status)
        bridge.speaker_status.connect(self.apply_speaker_status)
        bridge.alert_changed.connect(self.apply_alert_changed)
        bridge.citizen_report.connect(self.apply_citizen_report)
        self._risk_timer = QTimer(self, interval=1000, timeout=self._colour_villages)
        self._risk_timer.start()
        navigator = context.navigator
        navigator.provide("alert", self._focus_alert_request)
        self.cameraRequested.connect(navigator.open_camera)
        self.sensorRequested.connect(navigator.show_sensor)
        self.speakerSelected.connect(navigator.select_speaker)
        self.villageSelected.connect(navigator.select_village)
        context.on_shutdown(self.shutdown)
        QTimer.singleShot(0, self._start)  # runs once the event loop turns: after the window is shown

    # -- background loading -------------------------------------------------------------

    def _start(self) -> None:
        if self._closed:
            return
        config, model, page_dir, cache_path = self.config, self.model, self._page_dir, self._cache_path

        def build() -> tuple[str, TileCache, list[str]]:
            from controlroom.map.vector_layers import load_vector_layers
            from controlroom.widgets.map_page import write_page

            layers, problems = load_vector_layers(config)
            cache = TileCache(cache_path)
            return str(write_page(config, model, page_dir, layers)), cache, problems

        # a thread of its own: the global pool has as few threads as cores and other panels'
        # work there could delay the map by seconds on a 2-core PC; a failure is shown, not hung on
        self._build_started = time.monotonic()
        run_in_background(build, self._create_view, self._failed, thread_name="map-page-build")

    def _create_view(self, result: tuple[str, TileCache, list[str]]) -> None:
        page, cache, problems = result
        if self._closed:
            cache.close()
            return
        self.layer_problems = problems
        for problem in problems:
            log.warning("%s", problem)
        self.layers_label.setText("\n".join(problems))
        self.layers_label.setVisible(bool(problems) and not self.presenting)
        log.info("map page built in %.2f s", time.monotonic() - self._build_started)
        from controlroom.widgets.map_view import MapView

        self.provider = TileProvider(cache, tile_url_template(self.config), self.config.map.fetch_timeout_s)
        view = MapView(self.provider, self.model.markers, self)
        view.view.setZoomFactor(max(1.0, self.context.ui_scale))
        view.markerClicked.connect(self._on_marker_clicked)
        view.villageClicked.connect(self._on_village_clicked)
        view.basemapStatusChanged.connect(self._on_basemap_status)
        view.ready.connect(self.mapReady)
        view.ready.connect(lambda: self.set_presenting(self.presenting) if self.presenting else None)
        view.ready.connect(lambda: log.info("map ready %.2f s after loading started", time.monotonic() - self._build_started))
        self._layout.replaceWidget(self._placeholder, view)
        self._placeholder.deleteLater()
        self.view = view
        window = self.window()
        if isinstance(window, QMainWindow):
            self._window_label = ElidedLabel(basemap_text("unknown"), window)
            self._window_label.setObjectName("status_basemap")
            window.statusBar().addPermanentWidget(self._window_label)
        view.load(page)

    def _failed(self, exc: Exception) -> None:
        self.error = str(exc) or type(exc).__name__
        self._placeholder.setText(tr("The map could not start: {reason}", reason=self.error))

    # -- core -> map --------------------------------------------------------------------

    def _seed_from_live_state(self) -> None:
        live = self.context.core.live
        for status in live.devices().values():
            self.model.apply_device_status(status)
        for status in live.speakers().values():
            self.model.apply_speaker_status(status)
        self.model.apply_changed(live.readings())
        for alert in self.context.core.alerts.snapshot().alerts:
            self.model.apply_alert(alert)

    def _queue(self, markers: list[Marker]) -> None:
        if markers and self.view is not None:
            self.view.queue_markers(markers)

    def apply_changed(self, latest: dict[str, Reading]) -> None:
        self._queue(self.model.apply_changed(latest))

    def apply_device_status(self, status: DeviceStatus) -> None:
        self._queue(self.model.apply_device_status(status))

    def apply_speaker_status(self, status: SpeakerStatus) -> None:
        marker = self.model.apply_speaker_status(status)
        self._queue([marker] if marker else [])

    def apply_alert_changed(self, change: AlertChanged) -> None:
        marker, removed = self.model.apply_alert(change.alert, change.removed)
        self._queue([marker] if marker else [])
        if removed and self.view is not None:
            self.view.remove_markers([removed])

    def _colour_villages(self) -> None:
        """Villages filled with their flood risk level's colour (Decision 18/2021 Điều 4)."""
        from controlroom.flood.risk import RISK_COLOURS

        levels = self._flood.village_levels()
        view = self.view
        if view is None or not view.is_ready or levels == self._village_levels:
            return
        self._village_levels = dict(levels)
        view.colour_villages({v: (RISK_COLOURS[n] if n else None) for v, n in levels.items()}, self._villages_coloured)

    def _villages_coloured(self, result) -> None:
        self.village_colour_result = result
        if result != "ok":  # the page was not ready for it: try again at the next refresh
            self._village_levels = None

    def apply_citizen_report(self, report: CitizenReport) -> None:
        marker, dropped = self.model.apply_report(report)
        self._queue([marker] if marker else [])
        if dropped and self.view is not None:
            self.view.remove_markers([dropped])

    # -- map -> app ---------------------------------------------------------------------

    def _on_marker_clicked(self, marker_id: str) -> None:
        kind, _, entity = marker_id.partition("/")
        if kind == "camera":
            self.cameraRequested.emit(entity)
        elif kind == "sensor":
            self.sensorRequested.emit(entity)
        elif kind == "speaker":
            self.select_speakers([entity])
            self.speakerSelected.emit(entity)
        elif kind == "alert":
            self.focus_marker(marker_id)
            self.alertClicked.emit(entity)
        elif kind == "report":
            self.reportClicked.emit(entity)
        else:
            log.info("click on an unknown map marker %r", marker_id)

    def _on_village_clicked(self, village_id: str) -> None:
        speakers = self._village_speakers.get(village_id)
        if speakers is None:
            log.info("click on an unknown village %r", village_id)
            return
        self.select_speakers(speakers)
        self.villageSelected.emit(village_id)
        self.villageSpeakersSelected.emit(list(speakers))

    def _on_basemap_status(self, status: str) -> None:
        text = basemap_text(status)
        self.status_label.setText(text)
        level = {"online": "ok", "stored": "ok", "cached": "warn"}.get(status, "error")
        for label in (self.status_label, self._window_label):
            if label is not None:
                label.setText(text)
                label.setProperty("level", level)
                label.style().unpolish(label)
                label.style().polish(label)
        self.basemapStatusChanged.emit(status)

    # -- app -> map ---------------------------------------------------------------------

    def focus_marker(self, marker_id: str) -> bool:
        place = self.model.place_of(marker_id)
        if place is None or self.view is None:
            return False
        self.view.focus(place[0], place[1], marker_id)
        return True

    def focus_alert(self, alert_id: str) -> bool:
        """Pan to an alert's place and make its marker blink (the alert queue calls this)."""
        return self.focus_marker(f"alert/{alert_id}")

    def _focus_alert_request(self, alert_id: str, bring_forward: bool = False) -> bool:
        found = self.focus_alert(alert_id)
        if found and bring_forward:
            bring_to_front(self)
        return found

    def select_speakers(self, speaker_ids: list[str]) -> None:
        if self.view is not None:
            self.view.select([f"speaker/{s}" for s in speaker_ids])

    def set_presenting(self, presenting: bool) -> None:
        """A wall display: no zoom or layer controls, no basemap line, the commune fitted and
        drawn larger for viewers metres away. A page still loading applies it once ready."""
        self.presenting = presenting
        self.status_label.setVisible(not presenting)
        self.layers_label.setVisible(bool(self.layer_problems) and not presenting)
        if self.view is not None:
            scale = max(1.0, self.context.ui_scale)
            self.view.view.setZoomFactor(scale * PRESENTATION_ZOOM if presenting else scale)
            if self.view.is_ready:
                self.view.run_js(f"window.crLive.present({'true' if presenting else 'false'})", lambda _r: None)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name): a map needs room to be useful
        return QSize(self.context.px(640), self.context.px(480))

    def basemap_status(self) -> str:
        return self.view.basemap_status if self.view is not None else "unknown"

    def shutdown(self) -> None:
        """Stop the tile workers and release the page (app quit)."""
        self._closed = True
        self._risk_timer.stop()
        if self.view is not None:
            self.view.close_view()
        if self.provider is not None:
            self.provider.close()
            self.provider.cache.close()
            self.provider = None


def create_map_panel(context, parent: QWidget) -> QWidget:
    """PANELS factory."""
    return MapPanel(context, parent)


if __name__ == "__main__":  # python -m controlroom.ui.map.panel: the demo commune's map, no broker needed
    import sys
    import tempfile
    from pathlib import Path

    from controlroom.config import demo_config_path, load_config
    from controlroom.core import ControlRoomCore
    from controlroom.ui.shell.app import create_application
    from controlroom.ui.shell.bridge import CoreBridge
    from controlroom.ui.shell.context import AppContext

    app = create_application()
    demo = load_config(demo_config_path())
    folder = Path(tempfile.mkdtemp(prefix="controlroom-map-"))
    demo_core = ControlRoomCore(demo, db_url=f"sqlite:///{folder / 'map.db'}", data_dir=folder, monitor_cameras=False)
    demo_core.start()
    demo_context = AppContext(config=demo, core=demo_core, bridge=CoreBridge(demo_core.bus, demo_core.live))
    demo_panel = MapPanel(demo_context)
    demo_panel.resize(1280, 800)
    demo_panel.show()
    demo_panel.cameraRequested.connect(lambda camera_id: print("camera", camera_id))
    demo_panel.villageSpeakersSelected.connect(lambda ids: print("speakers", ids))
    code = app.exec()
    demo_context.shutdown()
    demo_core.stop()
    sys.exit(code)
