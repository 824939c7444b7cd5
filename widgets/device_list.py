"""Devices and loudspeakers with their online/offline state and since when.

Groups: sensor stations (device/<id>), loudspeaker clusters (speaker/<id>), cameras and
other devices that report a status topic. A device with no status yet says "unknown"
rather than pretending to be online. The group line counts how many are online. Fed by the
bridge's device_status / speaker_status signals (GUI thread).

Run `python -m controlroom.widgets.device_list` to see it with demo data.
"""

from __future__ import annotations

from datetime import datetime, timezone

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from controlroom.config import Config
from controlroom.domain import DeviceStatus, SpeakerStatus
from controlroom.feeds.client_ids import console_host
from controlroom.i18n import tr
from controlroom.live_state import LiveState

ONLINE_COLOUR = QColor("#4ade80")
BUSY_COLOUR = QColor("#38bdf8")
OFFLINE_COLOUR = QColor("#f87171")
UNKNOWN_COLOUR = QColor("#94a3b8")

COL_NAME, COL_STATE, COL_SINCE = range(3)


class DeviceList(QTreeWidget):
    def __init__(self, config: Config, live: LiveState | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("deviceList")
        self._tz = config.site.tz
        self.setColumnCount(3)
        self.setHeaderLabels([tr("Device"), tr("State"), tr("Since")])
        self.setRootIsDecorated(True)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # "Cụm loa La Vân Hạ 1": the end tells them apart
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_STATE, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_SINCE, QHeaderView.ResizeMode.ResizeToContents)
        self._state_text = {
            "online": tr("online"),
            "offline": tr("offline"),
            "unknown": tr("unknown"),
            "idle": tr("ready"),
            "playing": tr("playing"),
            "fault": tr("fault"),
        }
        self._config = config
        self._camera_names = {c.id: c.name for c in config.cameras}
        self._groups: dict[str, QTreeWidgetItem] = {}
        self._group_titles = {
            "sensor": tr("Sensor stations"),
            "speaker": tr("Loudspeaker clusters"),
            "camera": tr("Cameras"),
            "console": tr("Consoles"),
            "other": tr("Other devices"),
        }
        self._items: dict[tuple[str, str], QTreeWidgetItem] = {}
        self._since: dict[tuple[str, str], tuple[str, datetime]] = {}
        for sensor in config.sensors:
            self._item("sensor", sensor.status_device_id, sensor.name)
        for speaker in config.speakers:
            self._item("speaker", speaker.id, speaker.name)
        self.expandAll()
        if live is not None:
            for status in live.devices().values():
                self.apply_device_status(status)
            for speaker_status in live.speakers().values():
                self.apply_speaker_status(speaker_status)
        self._refresh_groups()

    def _group(self, kind: str) -> QTreeWidgetItem:
        group = self._groups.get(kind)
        if group is None:
            group = QTreeWidgetItem(self, [self._group_titles[kind], "", ""])
            group.setFirstColumnSpanned(False)
            font = group.font(COL_NAME)
            font.setBold(True)
            group.setFont(COL_NAME, font)
            group.setExpanded(True)
            self._groups[kind] = group
        return group

    def _item(self, kind: str, device_id: str, name: str) -> QTreeWidgetItem:
        key = (kind, device_id)
        item = self._items.get(key)
        if item is None:
            item = QTreeWidgetItem(self._group(kind), [name, "", ""])
            item.setToolTip(COL_NAME, f"{kind}/{device_id}")
            item.setData(COL_NAME, Qt.ItemDataRole.UserRole, device_id)
            self._items[key] = item
            self._show_state(item, "unknown", None)
        return item

    def _kind_of(self, device_id: str) -> str:
        if ("sensor", device_id) in self._items:
            return "sensor"
        if ("speaker", device_id) in self._items:
            return "speaker"
        if device_id in self._camera_names:
            return "camera"
        if console_host(self._config, device_id) is not None:
            return "console"
        return "other"

    def _name_of(self, kind: str, device_id: str) -> str:
        if kind == "console":  # its MQTT client id means nothing to an operator; the PC's name does
            return tr("Console on {host}", host=console_host(self._config, device_id))
        return self._camera_names.get(device_id, device_id)

    def _show_state(self, item: QTreeWidgetItem, state: str, since: datetime | None) -> None:
        colour = {
            "online": ONLINE_COLOUR,
            "idle": ONLINE_COLOUR,
            "playing": BUSY_COLOUR,
            "offline": OFFLINE_COLOUR,
            "fault": OFFLINE_COLOUR,
        }.get(state, UNKNOWN_COLOUR)
        item.setText(COL_STATE, "● " + self._state_text.get(state, state))
        item.setForeground(COL_STATE, colour)
        item.setData(COL_STATE, Qt.ItemDataRole.UserRole, state)
        item.setText(COL_SINCE, self._format_time(since) if since else "—")

    def _format_time(self, ts: datetime) -> str:
        local = ts.astimezone(self._tz)
        if local.date() != datetime.now(timezone.utc).astimezone(self._tz).date():
            return local.strftime("%d/%m %H:%M:%S")
        return local.strftime("%H:%M:%S")

    def _set(self, kind: str, device_id: str, name: str, state: str, ts: datetime) -> None:
        key = (kind, device_id)
        item = self._item(kind, device_id, name)
        previous = self._since.get(key)
        if previous is None or previous[0] != state:
            self._since[key] = (state, ts)
        self._show_state(item, state, self._since[key][1])
        self._refresh_groups()

    # slots (GUI thread)
    def apply_device_status(self, status: DeviceStatus) -> None:
        kind = self._kind_of(status.device_id)
        if kind == "speaker":
            # a speaker's own status topic says idle/playing/fault; its link state only matters when lost
            if status.online and ("speaker", status.device_id) in self._since:
                return
        self._set(kind, status.device_id, self._name_of(kind, status.device_id), "online" if status.online else "offline",
                  status.ts)

    def apply_speaker_status(self, status: SpeakerStatus) -> None:
        self._set("speaker", status.speaker_id, status.speaker_id, status.state, status.ts)

    def _refresh_groups(self) -> None:
        for group in self._groups.values():
            states = [group.child(i).data(COL_STATE, Qt.ItemDataRole.UserRole) for i in range(group.childCount())]
            up = sum(1 for s in states if s in ("online", "idle", "playing"))
            down = sum(1 for s in states if s in ("offline", "fault"))
            group.setText(COL_STATE, tr("{up}/{total} online", up=up, total=len(states)))
            group.setForeground(COL_STATE, OFFLINE_COLOUR if down else ONLINE_COLOUR if up == len(states) else UNKNOWN_COLOUR)

    def state_of(self, device_id: str) -> str | None:
        """The state shown for a device or speaker (for tests and other views)."""
        for (kind, known_id), item in self._items.items():
            if known_id == device_id:
                return item.data(COL_STATE, Qt.ItemDataRole.UserRole)
        return None


if __name__ == "__main__":
    import sys

    from PyQt6.QtWidgets import QApplication

    from controlroom.config import demo_config_path, load_config

    app = QApplication(sys.argv)
    demo = load_config(demo_config_path())
    devices = DeviceList(demo)
    now = datetime.now(timezone.utc)
    for n, sensor in enumerate(demo.sensors):
        devices.apply_device_status(DeviceStatus(sensor.status_device_id, n % 3 != 0, now))
    for n, speaker in enumerate(demo.speakers):
        devices.apply_speaker_status(SpeakerStatus(speaker.id, ["idle", "playing", "fault"][n % 3], 70, None, now))
    devices.resize(600, 800)
    devices.show()
    sys.exit(app.exec())
