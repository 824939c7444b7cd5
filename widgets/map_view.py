"""The map widget: a QWebEngineView showing the folium/Leaflet page, a QWebChannel bridge,
and the ``crtile:`` URL scheme that serves basemap tiles from the cache or the tile server.

Two-way: ``MapView.markerClicked(id)`` / ``villageClicked(id)`` come from clicks in the page;
``queue_markers`` / ``remove_markers`` / ``focus`` / ``select`` go to it. State changes are
coalesced on a timer and sent as ONE JSON message per batch; the page mutates existing
markers, it is never reloaded. Call ``register_map_scheme()`` before the QApplication exists
(together with importing QtWebEngineWidgets).
"""

from __future__ import annotations

import itertools
import json
import logging
from typing import Callable

from PyQt6 import sip
from PyQt6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QTimer, QUrl, pyqtSignal, pyqtSlot
from PyQt6.QtWebChannel import QWebChannel
from PyQt6.QtWebEngineCore import (
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineUrlRequestJob,
    QWebEngineUrlScheme,
    QWebEngineUrlSchemeHandler,
)
from PyQt6.QtWebEngineWidgets import QWebEngineView
from PyQt6.QtWidgets import QVBoxLayout, QWidget

from controlroom.map.model import Marker
from controlroom.map.tile_cache import TileProvider
from controlroom.widgets.map_page import TILE_SCHEME

log = logging.getLogger(__name__)

BATCH_INTERVAL_MS = 100  # state changes within this window reach the page as one message


def register_map_scheme() -> None:
    """Declare the tile scheme to WebEngine. Must run before QApplication is created; safe to
    call twice. LocalScheme is needed: with only Secure/LocalAccessAllowed/CorsEnabled the
    handler received no requests (PLATFORM.md)."""
    if QWebEngineUrlScheme.schemeByName(TILE_SCHEME.encode()).name():
        return
    scheme = QWebEngineUrlScheme(TILE_SCHEME.encode())
    scheme.setSyntax(QWebEngineUrlScheme.Syntax.Host)
    scheme.setFlags(
        QWebEngineUrlScheme.Flag.LocalScheme
        | QWebEngineUrlScheme.Flag.LocalAccessAllowed
        | QWebEngineUrlScheme.Flag.CorsEnabled
    )
    QWebEngineUrlScheme.registerScheme(scheme)


class TileSchemeHandler(QWebEngineUrlSchemeHandler):
    """Answers crtile://tiles/z/x/y.png off the GUI thread: the provider looks the tile up on a
    worker, the reply comes back through a queued signal and is handed to the job here."""

    tileServed = pyqtSignal(str)  # origin: "cache" | "network" | "missing"
    _done = pyqtSignal(int, object, str)

    def __init__(self, provider: TileProvider, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._provider = provider
        self._jobs: dict[int, QWebEngineUrlRequestJob] = {}
        self._ids = itertools.count()
        self._done.connect(self._reply)

    def requestStarted(self, job: QWebEngineUrlRequestJob) -> None:  # noqa: N802 (Qt name)
        parts = job.requestUrl().path().strip("/").split("/")
        try:
            z, x, y = int(parts[0]), int(parts[1]), int(parts[2].split(".")[0])
        except (IndexError, ValueError):
            job.fail(QWebEngineUrlRequestJob.Error.UrlInvalid)
            return
        key = next(self._ids)
        self._jobs[key] = job
        self._provider.request(z, x, y, lambda data, origin: self._done.emit(key, data, origin))

    def _reply(self, key: int, data: bytes | None, origin: str) -> None:
        job = self._jobs.pop(key, None)
        self.tileServed.emit(origin)
        if job is None or sip.isdeleted(job):  # the page moved on and cancelled the request
            return
        if data is None:
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
            return
        buffer = QBuffer(job)
        buffer.setData(QByteArray(data))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        job.reply(b"image/jpeg" if data[:2] == b"\xff\xd8" else b"image/png", buffer)


class MapBridge(QObject):
    """The object the page sees as ``channel.objects.mapBridge``: slots for the page to call,
    ``pushed(json)`` for the app to send batches."""

    pushed = pyqtSignal(str)
    markerClickedInPage = pyqtSignal(str)
    villageClickedInPage = pyqtSignal(str)
    pageIsReady = pyqtSignal()
    batchDone = pyqtSignal(int, float)

    @pyqtSlot(str)
    def markerClicked(self, marker_id: str) -> None:  # noqa: N802 (called from JS)
        self.markerClickedInPage.emit(marker_id)

    @pyqtSlot(str)
    def villageClicked(self, village_id: str) -> None:  # noqa: N802
        self.villageClickedInPage.emit(village_id)

    @pyqtSlot()
    def pageReady(self) -> None:  # noqa: N802
        self.pageIsReady.emit()

    @pyqtSlot(int, float)
    def batchApplied(self, seq: int, apply_ms: float) -> None:  # noqa: N802
        self.batchDone.emit(seq, apply_ms)


class _LocalOnlyPage(QWebEnginePage):
    """Keeps the view on the local map page: a click on the attribution link does not navigate
    (nothing leaves the machine from the map)."""

    def acceptNavigationRequest(self, url: QUrl, kind, is_main_frame: bool) -> bool:  # noqa: N802
        return url.isLocalFile() or not is_main_frame


class MapView(QWidget):
    """The map page and its bridge. Signals carry marker ids (``camera/cam01``) and village ids."""

    markerClicked = pyqtSignal(str)
    villageClicked = pyqtSignal(str)
    ready = pyqtSignal()  # page loaded, bridge connected, first full snapshot sent
    batchApplied = pyqtSignal(int, float)  # seq, JS apply time (ms), after the page painted
    basemapStatusChanged = pyqtSignal(str)  # "online" | "cached" | "offline"

    def __init__(self, provider: TileProvider, snapshot: Callable[[], list[Marker]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._provider = provider
        self._snapshot = snapshot
        self._pending: dict[str, Marker] = {}
        self._removed: set[str] = set()
        self._extra: dict[str, object] = {}
        self._seq = itertools.count()
        self._is_ready = False
        self._basemap = "unknown"
        self.batches_sent = 0

        # Children are deleted in creation order: the view (and its page) must go before the profile.
        self.view = QWebEngineView(self)
        self._profile = QWebEngineProfile(self)  # off the record: no disk cache, own scheme handler
        self._tiles = TileSchemeHandler(provider, self)
        self._tiles.tileServed.connect(self._on_tile)
        self._profile.installUrlSchemeHandler(TILE_SCHEME.encode(), self._tiles)
        self._page = _LocalOnlyPage(self._profile, self.view)
        self.view.setPage(self._page)
        self.bridge = MapBridge(self)
        self._channel = QWebChannel(self._page)
        self._channel.registerObject("mapBridge", self.bridge)
        self._page.setWebChannel(self._channel)  # before load(), or the page finds no transport
        self.bridge.markerClickedInPage.connect(self.markerClicked)
        self.bridge.villageClickedInPage.connect(self.villageClicked)
        self.bridge.pageIsReady.connect(self._on_page_ready)
        self.bridge.batchDone.connect(self.batchApplied)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(BATCH_INTERVAL_MS)
        self._timer.timeout.connect(self.flush)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)

    @property
    def is_ready(self) -> bool:
        return self._is_ready

    @property
    def basemap_status(self) -> str:
        return self._basemap

    def load(self, page_path: str) -> None:
        self.view.load(QUrl.fromLocalFile(page_path))

    # -- to the page --------------------------------------------------------------------

    def queue_markers(self, markers: list[Marker]) -> None:
        """Add or update markers; they reach the page with the next batch."""
        for marker in markers:
            self._pending[marker["id"]] = marker
            self._removed.discard(marker["id"])
        self._schedule()

    def remove_markers(self, ids: list[str]) -> None:
        for marker_id in ids:
            self._pending.pop(marker_id, None)
            self._removed.add(marker_id)
        self._schedule()

    def focus(self, lat: float, lon: float, marker_id: str | None = None, zoom: int = 16) -> None:
        """Pan to a place and make its marker blink for a few seconds."""
        self._extra["focus"] = {"lat": lat, "lon": lon, "id": marker_id, "zoom": zoom}
        self._schedule()

    def select(self, marker_ids: list[str]) -> None:
        """Highlight these markers (and only these)."""
        self._extra["select"] = list(marker_ids)
        self._schedule()

    def flush(self) -> int | None:
        """Send what is pending as one message now; returns its sequence number."""
        self._timer.stop()
        if not self._is_ready or not (self._pending or self._removed or self._extra):
            return None
        seq = next(self._seq)
        message: dict[str, object] = {"seq": seq}
        if self._pending:
            message["upsert"] = list(self._pending.values())
        if self._removed:
            message["remove"] = sorted(self._removed)
        message.update(self._extra)
        self._pending, self._removed, self._extra = {}, set(), {}
        self.bridge.pushed.emit(json.dumps(message, ensure_ascii=False, separators=(",", ":")))
        self.batches_sent += 1
        return seq

    def colour_villages(self, colours: dict[str, str | None], callback: Callable[[object], None]) -> None:
        """Fill village outlines (id -> colour; None restores the default style). `callback`
        gets "ok", or why the page could not do it yet."""
        script = ("(function(c){try{if(!window.crInit||!crInit.villages)return 'no-page';"
                  "crInit.villages.eachLayer(function(l){var id=l.feature&&l.feature.properties.id;"
                  "if(!id||!(id in c))return;if(c[id]){l.setStyle({fillColor:c[id],fillOpacity:0.45});}"
                  "else{crInit.villages.resetStyle(l);}});return 'ok';}catch(e){return String(e);}})"
                  f"({json.dumps(colours)})")
        self.run_js(script, callback)

    def run_js(self, script: str, callback: Callable[[object], None]) -> None:
        """Evaluate JS in the page (tests, benchmarks); nothing after close_view()."""
        if not sip.isdeleted(self._page):
            self._page.runJavaScript(script, callback)

    def _schedule(self) -> None:
        if self._is_ready and not self._timer.isActive():
            self._timer.start()

    def _on_page_ready(self) -> None:
        """The page (re)connected: send everything, since it knows nothing yet."""
        self._is_ready = True
        extra, self._extra = self._extra, {}
        self._pending = {m["id"]: m for m in self._snapshot()}
        self._removed.clear()
        self._extra = extra
        self.flush()
        self.ready.emit()

    def _on_tile(self, origin: str) -> None:
        status = self._provider.status()
        if status != self._basemap and status != "unknown":
            self._basemap = status
            self.basemapStatusChanged.emit(status)

    def close_view(self) -> None:
        """Release the view and its page now, before the profile: a profile released while a page
        lives warns and may crash. Deleting only the page would let the view make a default one."""
        self._timer.stop()
        self._is_ready = False
        if not sip.isdeleted(self.view):
            sip.delete(self.view)  # owns the page
