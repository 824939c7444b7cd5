"""Add a camera without typing URLs: find ONVIF cameras on the LAN, read one's stream URIs
from its media service, name it, place it in a village, and add it to the commune config
(where the site's service runs, the service writes it: controlroom/cameras/add_to_config.py).

Discovery, the ONVIF reads and the write run on short-lived named worker threads;
results come back through signals. The password is not written to the config: the entry
names an environment variable (``password_env``) that holds it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel,
                             QLineEdit, QListWidget, QPlainTextEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from controlroom.cameras.add_to_config import suggested_camera_id
from controlroom.config import Config
from controlroom.i18n import tr
from controlroom.ui.shell.background import run_in_background


class CameraDiscoveryDialog(QDialog):
    found = pyqtSignal(object)
    described = pyqtSignal(object)
    saved = pyqtSignal(object)

    def __init__(self, config: Config, add: Callable[[dict], Path | str], parent: QWidget | None = None) -> None:
        """`add(fields)` (blocking, run on a worker) writes the camera where the commune's file is
        kept: this PC's file, or the site's service's, and returns the file's path."""
        super().__init__(parent)
        self.setWindowTitle(tr("Add an ONVIF camera"))
        self.setMinimumWidth(760)
        self.config, self._add = config, add
        self.description = None

        self.search = QPushButton(tr("Search the network"))
        self.search.clicked.connect(self.start_search)
        self.results = QListWidget()
        self.results.setMaximumHeight(120)
        self.results.currentRowChanged.connect(self._picked)
        self._found: list = []
        self.host = QLineEdit()
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(80)
        self.user = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.read = QPushButton(tr("Read the camera"))
        self.read.clicked.connect(self.start_describe)
        address = QHBoxLayout()
        address.addWidget(self.host, 1)
        address.addWidget(self.port)
        address.addWidget(self.read)

        self.camera_id = QLineEdit(suggested_camera_id([camera.id for camera in config.cameras]))
        self.name = QLineEdit()
        self.village = QComboBox()
        for village in config.villages:
            self.village.addItem(village.name, village.id)
        self.group = QComboBox()
        for group in config.camera_groups:
            self.group.addItem(getattr(group, "name", group.id), group.id)
        self.lat = QDoubleSpinBox(decimals=6, minimum=-90, maximum=90)
        self.lon = QDoubleSpinBox(decimals=6, minimum=-180, maximum=180)
        if config.cameras:
            self.lat.setValue(config.cameras[0].lat)
            self.lon.setValue(config.cameras[0].lon)
        position = QHBoxLayout()
        position.addWidget(self.lat)
        position.addWidget(self.lon)
        self.password_env = QLineEdit()
        self.camera_id.textChanged.connect(lambda text: self.password_env.setText(f"CONTROLROOM_{text.upper()}_PASSWORD"))
        self.password_env.setText(f"CONTROLROOM_{self.camera_id.text().upper()}_PASSWORD")
        self.drift = QDoubleSpinBox(minimum=1, maximum=3600, value=5)
        self.drift.setSuffix(tr(" s"))

        form = QFormLayout()
        form.addRow(tr("Found cameras"), self.results)
        form.addRow(tr("Address (ONVIF)"), address)
        form.addRow(tr("User"), self.user)
        form.addRow(tr("Password"), self.password)
        form.addRow(tr("Camera id"), self.camera_id)
        form.addRow(tr("Name"), self.name)
        form.addRow(tr("Village"), self.village)
        form.addRow(tr("Group"), self.group)
        form.addRow(tr("Position (lat, lon)"), position)
        form.addRow(tr("Password variable"), self.password_env)
        form.addRow(tr("Clock drift warning above"), self.drift)
        self.streams = QPlainTextEdit()
        self.streams.setReadOnly(True)
        self.streams.setFixedHeight(110)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.add = buttons.addButton(tr("Add to the configuration"), QDialogButtonBox.ButtonRole.ActionRole)
        self.add.setEnabled(False)
        self.add.clicked.connect(self.start_save)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addLayout(form)
        layout.addWidget(QLabel(tr("Streams read from the camera")))
        layout.addWidget(self.streams)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.found.connect(self._show_found)
        self.described.connect(self._show_description)
        self.saved.connect(self._show_saved)

    # --- search -------------------------------------------------------------------------------

    def start_search(self) -> None:
        from controlroom.cameras.onvif_discovery import discover

        self.search.setEnabled(False)
        self.status.setText(tr("Searching the network for ONVIF cameras…"))
        run_in_background(lambda: discover(3.0), self.found.emit, self.found.emit, thread_name="onvif-discovery")

    def _show_found(self, result) -> None:
        self.search.setEnabled(True)
        if isinstance(result, BaseException):
            self.status.setText(tr("Search failed: {reason}", reason=str(result)))
            return
        self._found = list(result)
        self.results.clear()
        for camera in self._found:
            self.results.addItem(f"{camera.name or tr('(no name)')} — {camera.host}:{camera.port}")
        self.status.setText(tr("{n} cameras found", n=len(self._found)))

    def _picked(self, row: int) -> None:
        if 0 <= row < len(self._found):
            camera = self._found[row]
            self.host.setText(camera.host)
            self.port.setValue(camera.port)
            if camera.name and not self.name.text():
                self.name.setText(camera.name)

    # --- describe -----------------------------------------------------------------------------

    def start_describe(self) -> None:
        from controlroom.cameras.onvif_discovery import describe

        host, port, user, password = self.host.text().strip(), self.port.value(), self.user.text(), self.password.text()
        if not host:
            self.status.setText(tr("Enter the camera's address or pick a found camera"))
            return
        self.read.setEnabled(False)
        self.status.setText(tr("Reading the camera…"))
        run_in_background(lambda: describe(host, port, user, password), self.described.emit, self.described.emit,
                          thread_name="onvif-describe")

    def _show_description(self, result) -> None:
        self.read.setEnabled(True)
        if isinstance(result, BaseException):
            self.status.setText(str(result))
            return
        self.description = result
        size = lambda s: f"{s[0]}×{s[1]}" if s else "?"  # noqa: E731
        self.streams.setPlainText("\n".join([
            f"{result.manufacturer} {result.model}",
            tr("Main stream ({size}): {url}", size=size(result.main_size), url=result.main_url),
            tr("Sub stream ({size}): {url}", size=size(result.sub_size), url=result.sub_url),
            tr("PTZ: {yes}", yes=tr("yes") if result.ptz else tr("no")),
            tr("Camera clock: {offset:+.0f} s from this PC", offset=float(round(result.clock_offset_s)))]))
        drifting = abs(result.clock_offset_s) > self.drift.value()
        self.status.setText(tr("Warning: the camera clock is {offset:+.0f} s off; set its time (NTP) before using it for evidence",
                               offset=float(round(result.clock_offset_s))) if drifting else "")
        self.add.setEnabled(True)

    # --- save ---------------------------------------------------------------------------------

    def fields(self) -> dict:
        """The new camera as the commune's file takes it (controlroom/cameras/add_to_config.py)."""
        d = self.description
        return {"id": self.camera_id.text().strip(), "name": self.name.text().strip(),
                "village": self.village.currentData(), "group": self.group.currentData(),
                "lat": self.lat.value(), "lon": self.lon.value(), "main_url": d.main_url, "sub_url": d.sub_url,
                "ptz": d.ptz, "onvif_host": d.host, "onvif_port": d.port, "user": self.user.text(),
                "password_env": self.password_env.text().strip(), "max_clock_drift_s": self.drift.value()}

    def start_save(self) -> None:
        if self.description is None:
            return
        camera_id, name = self.camera_id.text().strip(), self.name.text().strip()
        if not camera_id or not name:
            self.status.setText(tr("Give the camera an id and a name"))
            return
        if any(c.id == camera_id for c in self.config.cameras):
            self.status.setText(tr("The id {id} is already used", id=camera_id))
            return
        fields, add = self.fields(), self._add
        self.add.setEnabled(False)
        run_in_background(lambda: add(fields), self.saved.emit, self.saved.emit, thread_name="camera-config-append")

    def _show_saved(self, result) -> None:
        if isinstance(result, BaseException):
            self.add.setEnabled(True)
            self.status.setText(tr("Cannot write the configuration: {reason}", reason=str(result)))
            return
        self.status.setText(tr("Camera added to {path}; it appears after a restart.", path=str(result)))
