"""The camera list beside the wall: cameras grouped by camera group or by village, a search
box, a state dot per camera. Drag a camera onto a tile; double-click opens it in the selected
tile."""

from __future__ import annotations

from PyQt6.QtCore import QMimeData, Qt, pyqtSignal
from PyQt6.QtGui import QBrush, QColor, QIcon, QPainter, QPixmap
from PyQt6.QtWidgets import QAbstractItemView, QComboBox, QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from controlroom.cameras.health import StreamState
from controlroom.config import Config
from controlroom.i18n import tr
from controlroom.widgets.camera_tile import CAMERA_MIME, STATE_COLOURS, state_label

ROLE_CAMERA = Qt.ItemDataRole.UserRole + 1


def _dot(colour: QColor) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(QColor(0, 0, 0, 0))
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setBrush(colour)
    painter.setPen(colour.darker(140))
    painter.drawEllipse(1, 1, 10, 10)
    painter.end()
    return QIcon(pixmap)


class _CameraTree(QTreeWidget):
    def mimeData(self, items) -> QMimeData:  # noqa: N802 (Qt name)
        mime = QMimeData()
        ids = [i.data(0, ROLE_CAMERA) for i in items if i.data(0, ROLE_CAMERA)]
        if ids:
            mime.setData(CAMERA_MIME, ids[0].encode("utf-8"))
            mime.setText(ids[0])
        return mime

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [CAMERA_MIME]


class CameraList(QWidget):
    camera_activated = pyqtSignal(str)

    def __init__(self, config: Config, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.config = config
        self._states: dict[str, StreamState] = {}
        self._items: dict[str, QTreeWidgetItem] = {}
        self._icons: dict[str, QIcon] = {}
        self.grouping = QComboBox(self)
        self.grouping.addItem(tr("By group"), "group")
        self.grouping.addItem(tr("By village"), "village")
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(tr("Search cameras"))
        self.search.setClearButtonEnabled(True)
        self.tree = _CameraTree(self)
        self.tree.setHeaderHidden(True)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.grouping)
        layout.addWidget(self.search)
        layout.addWidget(self.tree, 1)
        self.grouping.currentIndexChanged.connect(self.rebuild)
        self.search.textChanged.connect(self._filter)
        self.tree.itemDoubleClicked.connect(self._activated)
        self.rebuild()

    def rebuild(self) -> None:
        self.tree.clear()
        self._items.clear()
        by = self.grouping.currentData() or "group"
        if by == "village":
            sections = [(v.id, v.name) for v in self.config.villages]
        else:
            sections = [(g.id, g.name) for g in self.config.camera_groups]
        villages = {v.id: v.name for v in self.config.villages}
        for section_id, section_name in sections:
            cameras = [c for c in self.config.cameras if (c.village if by == "village" else c.group) == section_id]
            if not cameras:
                continue
            parent = QTreeWidgetItem(self.tree, [f"{section_name} ({len(cameras)})"])
            parent.setFlags(parent.flags() & ~Qt.ItemFlag.ItemIsDragEnabled)
            for camera in cameras:
                item = QTreeWidgetItem(parent, [f"{camera.name}"])
                item.setData(0, ROLE_CAMERA, camera.id)
                item.setToolTip(0, f"{camera.name} ({camera.id}) — {villages.get(camera.village, camera.village)}")
                self._items[camera.id] = item
                self._paint_state(camera.id)
            parent.setExpanded(True)
        self._filter(self.search.text())

    def set_states(self, states: dict[str, StreamState]) -> None:
        for camera_id, state in states.items():
            if self._states.get(camera_id) is not state:
                self._states[camera_id] = state
                self._paint_state(camera_id)

    def _paint_state(self, camera_id: str) -> None:
        item = self._items.get(camera_id)
        state = self._states.get(camera_id)
        if item is None:
            return
        colour = STATE_COLOURS.get(state, QColor("#7a7f87")) if state else QColor(0, 0, 0, 0)
        if colour.name() not in self._icons:
            self._icons[colour.name()] = _dot(colour)
        item.setIcon(0, self._icons[colour.name()])
        item.setForeground(0, QBrush(colour if state in (StreamState.OFFLINE, StreamState.STALLED) else self.palette().text().color()))
        if state:
            item.setStatusTip(0, state_label(state))

    def _filter(self, text: str) -> None:
        needle = text.strip().casefold()
        for i in range(self.tree.topLevelItemCount()):
            parent = self.tree.topLevelItem(i)
            visible = 0
            for j in range(parent.childCount()):
                child = parent.child(j)
                match = not needle or needle in child.toolTip(0).casefold()
                child.setHidden(not match)
                visible += match
            parent.setHidden(visible == 0)

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        camera_id = item.data(0, ROLE_CAMERA)
        if camera_id:
            self.camera_activated.emit(camera_id)
