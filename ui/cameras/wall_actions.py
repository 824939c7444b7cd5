"""Operator actions of the camera wall: snapshot, replay export, alarm pop-up.

A mixin of CameraWall (ui/cameras/wall.py), kept apart so each module has one job: the wall
arranges and paints tiles, this hands work to the worker threads (snapshot writer, replay
export) and reacts to alerts. Results return through the wall's queued `_results` signal.
"""

from __future__ import annotations

import time
from concurrent.futures import Future
from datetime import datetime, timezone

from controlroom.cameras.views import cameras_for_alert
from controlroom.i18n import tr
from controlroom.cameras.replay_buffer import ReplayError, export_mp4_async

POPUP_PRIORITIES = {"low": 1, "medium": 2, "high": 3, "critical": 4}


def alert_priority(state: dict) -> int:
    """1 (low) .. 4 (critical) from the shared payload: ``priority_name``, else ``priority``
    0-3 (the map's scale); high when absent or unreadable."""
    name = state.get("priority_name")
    if isinstance(name, str) and name in POPUP_PRIORITIES:
        return POPUP_PRIORITIES[name]
    number = state.get("priority")
    if isinstance(number, int) and not isinstance(number, bool) and 0 <= number <= 3:
        return number + 1
    if isinstance(number, str) and number in POPUP_PRIORITIES:
        return POPUP_PRIORITIES[number]
    return 3


def alarm_caption(alert_id: str, state: dict) -> str:
    """The alert's short title in the UI language (as the alert queue shows it)."""
    from controlroom.alerts.payload import from_payload
    from controlroom.alerts.text import alert_title

    try:
        return alert_title(from_payload(alert_id, state))
    except (ValueError, KeyError, TypeError):
        detail = state.get("detail") if isinstance(state.get("detail"), dict) else {}
        return str(detail.get("name") or state.get("source") or alert_id)


class WallOperatorActions:
    """Needs from the wall: cameras, pool, snapshots, export_dir, tz, operator, tiles, view,
    alarm_tile, alarm_min_priority, _tile_readers, _max_reader, _max_index, _alarm,
    _seen_alerts, _results, assign(), restore(), camera_in(), _show_message()."""

    def snapshot(self, index: int) -> Future | None:
        camera = self.camera_in(index)
        if camera is None or self.snapshots is None:
            self._show_message(tr("Select a tile that shows a camera"))
            return None
        reader = self._max_reader if self._max_index == index and self._max_reader else self._tile_readers[index]
        frame = reader.latest_full() if reader.latest_full() is not None else self._tile_readers[index].latest_full()
        if frame is None:
            self._show_message(tr("No picture from {name} yet", name=camera.name))
            return None
        operator = self.operator() if callable(self.operator) else self.operator
        future = self.snapshots.take(camera.id, camera.name, frame, str(operator or ""))
        future.add_done_callback(lambda f: self._results.message.emit(
            tr("Snapshot saved: {path}", path=str(f.result().path)) if f.exception() is None
            else tr("Snapshot failed: {reason}", reason=str(f.exception()))))
        return future

    def export_replay(self, index: int, seconds: float) -> Future | None:
        camera = self.camera_in(index)
        replay = self.pool.replay(camera.id) if camera else None
        if camera is None or replay is None or self.export_dir is None:
            self._show_message(tr("Select a tile that shows a camera"))
            return None
        try:
            clip = replay.clip(seconds)
        except ReplayError as exc:
            self._show_message(str(exc))
            return None
        stamp = datetime.now(timezone.utc).astimezone(self.tz).strftime("%Y%m%d_%H%M%S")
        path = self.export_dir / f"{camera.id}_{stamp}_{int(seconds)}s.mp4"
        future = export_mp4_async(clip, path)
        future.add_done_callback(lambda f: self._results.message.emit(
            tr("Replay exported: {path}", path=str(path)) if f.exception() is None
            else tr("Replay export failed: {reason}", reason=str(f.exception()))))
        return future

    def show_alarm(self, camera_ids: list[str], text: str) -> None:
        """Open the first camera in the alarm tile and highlight every tile showing one of them."""
        cameras = [c for c in camera_ids if c in self.cameras]
        if not cameras:
            return
        self.restore()
        index = min(self.alarm_tile, len(self.view.cells) - 1)
        if self._alarm is None:
            self._alarm = (self.view.cells[index], time.monotonic())
        self.assign(index, cameras[0], save=False)
        for i, tile in enumerate(self.tiles[:len(self.view.cells)]):
            camera = self.camera_in(i)
            tile.set_alarm(text if camera is not None and camera.id in cameras else "")

    def clear_alarm(self) -> None:
        if self._alarm is not None:
            previous, _since = self._alarm
            self._alarm = None
            self.assign(min(self.alarm_tile, len(self.view.cells) - 1), previous, save=False)
        for tile in self.tiles:
            tile.set_alarm("")

    def on_room_alert(self, message) -> None:
        """Bridge slot for RoomAlertMessage: a newly raised, unacknowledged alert of at least
        `alarm_min_priority` that names a camera or a place near cameras pops it up."""
        state = message.state if isinstance(message.state, dict) else {}
        if not state.get("active") or state.get("acked") or state.get("kind") == "camera_offline":
            return
        if alert_priority(state) < self.alarm_min_priority:
            return
        key = (str(state.get("id") or message.alert_id), int(state.get("raise_count") or 1))
        if key in self._seen_alerts:
            return
        self._seen_alerts.add(key)
        cameras = cameras_for_alert(self.config, state)
        if cameras:
            self.show_alarm(cameras, alarm_caption(message.alert_id, state))
