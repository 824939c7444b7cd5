"""Evidence export dialog (xuất chứng cứ): what to include, why, where; signed on a worker.

The operator picks the still and/or the last N seconds of the camera's replay buffer, must
say why (police request number, incident), and chooses a folder. The export (burn-in,
encoding, hashing, Ed25519 signature) runs on ``evidence-export`` (controlroom.cameras.evidence);
the result comes back through a signal. The key's fingerprint is shown so it can be read to
the receiving officer, and its public half can be saved from here.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np
from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import (QCheckBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
                             QLineEdit, QPlainTextEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from controlroom.cameras import evidence
from controlroom.i18n import tr
from controlroom.access.operators import Operator, PermissionDenied


class EvidenceDialog(QDialog):
    finished_export = pyqtSignal(object)  # EvidencePackage or an exception

    def __init__(self, camera_id: str, camera_name: str, operator: Operator, tz, site_id: str,
                 snapshot: Callable[[], np.ndarray | None], clip: Callable[[float], list] | None,
                 destination: Path, audit=None, data_dir: Path | None = None, parent: QWidget | None = None,
                 packet_clip: Callable[[float], object] | None = None) -> None:
        """`packet_clip(seconds)`: the camera's own packets of the last seconds (a PacketClip),
        when its reader keeps them; the clip is then the camera's bits, `clip` a captioned copy."""
        super().__init__(parent)
        self.setWindowTitle(tr("Export evidence — {camera}", camera=camera_name))
        self.setMinimumWidth(640)
        self.camera_id, self.camera_name, self.operator = camera_id, camera_name, operator
        self.tz, self.site_id, self.audit, self.data_dir = tz, site_id, audit, data_dir
        self._snapshot, self._clip, self._packet_clip = snapshot, clip, packet_clip
        self.package = None

        header = QLabel(tr("Camera: <b>{camera}</b> ({id})<br>Exported by: <b>{name}</b> ({role})",
                           camera=camera_name, id=camera_id, name=operator.display_name, role=operator.role.label))
        header.setTextFormat(Qt.TextFormat.RichText)
        self.include_snapshot = QCheckBox(tr("Still picture (now)"))
        self.include_snapshot.setChecked(True)
        self.include_clip = QCheckBox(tr("Clip of the last seconds"))
        self.include_clip.setChecked(clip is not None or packet_clip is not None)
        self.include_clip.setEnabled(clip is not None or packet_clip is not None)
        self.seconds = QSpinBox()
        self.seconds.setRange(5, 600)
        self.seconds.setValue(30)
        self.seconds.setSuffix(tr(" s"))
        self.seconds.setEnabled(clip is not None or packet_clip is not None)
        clip_row = QHBoxLayout()
        clip_row.addWidget(self.include_clip)
        clip_row.addWidget(self.seconds)
        clip_row.addStretch(1)
        self.reason = QPlainTextEdit()
        self.reason.setPlaceholderText(tr("Why, and for whom (e.g. request no. 12/CA of the commune police, incident at the bridge)"))
        self.reason.setFixedHeight(90)
        self.folder = QLineEdit(str(destination))
        browse = QPushButton(tr("Choose…"))
        browse.clicked.connect(self._choose_folder)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)

        key = evidence.load_or_create_key(data_dir)
        fingerprint = QLabel(tr("Signing key: {fp}", fp=evidence.fingerprint(key)))
        fingerprint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        fingerprint.setStyleSheet("font-family: monospace;")
        export_key = QPushButton(tr("Save public key…"))
        export_key.clicked.connect(self._save_public_key)
        key_row = QHBoxLayout()
        key_row.addWidget(fingerprint, 1)
        key_row.addWidget(export_key)

        form = QFormLayout()
        form.addRow(tr("Include"), self.include_snapshot)
        form.addRow("", clip_row)
        form.addRow(tr("Reason"), self.reason)
        form.addRow(tr("Folder"), folder_row)
        if packet_clip is not None:  # the clip is the camera's bits: only copies carry captions
            words = tr("The clip is the camera's own recording, unchanged; the still picture and a viewing copy of the "
                       "clip carry the camera name and the time (local and UTC) burned in. A manifest with each file's "
                       "SHA-256 is signed (Ed25519). Check it with: controlroom evidence verify FOLDER")
        else:
            words = tr("Each file gets the camera name and the time (local and UTC) burned in; "
                       "a manifest with each file's SHA-256 is signed (Ed25519). "
                       "Check it with: controlroom evidence verify FOLDER")
        self.note = note = QLabel(words)
        note.setWordWrap(True)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = self.buttons.addButton(tr("Export and sign"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.play_button = self.buttons.addButton(tr("Play the clip"), QDialogButtonBox.ButtonRole.ActionRole)
        self.play_button.setToolTip(tr("Look at the exported video before it is handed over"))
        self.play_button.clicked.connect(self.play_clip)
        self.play_button.hide()  # once there is a clip to play
        self.buttons.accepted.connect(self.start_export)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(header)
        layout.addLayout(form)
        layout.addLayout(key_row)
        layout.addWidget(note)
        layout.addWidget(self.status)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.finished_export.connect(self._on_finished)
        self.reason.textChanged.connect(lambda: self.status.setText("") if self.package is None and self.export_button.isEnabled() else None)
        if not operator.may("evidence.export"):
            self.export_button.setEnabled(False)
            self.status.setText(str(PermissionDenied(operator, "evidence.export")))

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, tr("Folder for the evidence"), self.folder.text())
        if folder:
            self.folder.setText(folder)

    def _save_public_key(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, tr("Save public key"), str(Path(self.folder.text()) / "controlroom_evidence_key.pem"),
                                              "PEM (*.pem)")
        if path:
            try:
                evidence.export_public_key(Path(path), self.data_dir)
                self.status.setText(tr("Public key written to {path} (fingerprint {fp})", path=path,
                                       fp=evidence.fingerprint(evidence.load_or_create_key(self.data_dir))))
            except (OSError, evidence.EvidenceError) as exc:
                self.status.setText(tr("Cannot write the public key: {reason}", reason=str(exc)))

    def request(self) -> evidence.EvidenceRequest:
        request = evidence.EvidenceRequest(self.camera_id, self.camera_name, self.operator, self.reason.toPlainText())
        if self.include_snapshot.isChecked():
            request.snapshot = self._snapshot()
            request.snapshot_utc = datetime.now(timezone.utc)
        if self.include_clip.isChecked() and self._packet_clip is not None:
            request.clip_packets = self._packet_clip(float(self.seconds.value()))
        if self.include_clip.isChecked() and self._clip is not None:
            request.clip_frames = self._clip(float(self.seconds.value()))
        return request

    def start_export(self) -> None:
        if not self.reason.toPlainText().strip():
            self.status.setText(tr("say why the evidence is exported"))
            return
        try:
            request = self.request()
        except (LookupError, ValueError, RuntimeError) as exc:  # e.g. ReplayError: nothing buffered yet
            self.status.setText(str(exc))
            return
        self.export_button.setEnabled(False)
        self.status.setText(tr("Exporting and signing…"))
        future = evidence.export_async(request, Path(self.folder.text()), self.tz, self.site_id, self.data_dir, self.audit)
        future.add_done_callback(lambda f: self.finished_export.emit(f.exception() or f.result()))

    def _on_finished(self, result) -> None:
        self.export_button.setEnabled(True)
        if isinstance(result, BaseException):
            self.status.setText(tr("Export failed: {reason}", reason=str(result)))
            return
        self.package = result
        self.status.setText(tr("Exported and signed: {path} ({n} files)", path=str(result.folder), n=len(result.files)))
        self.play_button.setVisible("clip.mp4" in result.files)

    def play_clip(self):
        """The exported clip (the camera's own bits, or the re-encoded frames) in the console's player."""
        from controlroom.ui.cameras.clip_player import ClipError, ClipPlayer

        if self.package is None:
            return None
        try:
            player = ClipPlayer(self.package.folder / "clip.mp4", self)
        except ClipError as exc:
            self.status.setText(str(exc))
            return None
        player.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        player.show()
        return player
