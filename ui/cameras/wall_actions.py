"""Operator actions of the camera wall: snapshot, replay export, alarm pop-up.

A mixin of CameraWall (ui/cameras/wall.py), kept apart so each module has one job: the wall
arranges and paints tiles, this hands work to the worker threads (snapshot writer, replay
export) and reacts to alerts. Results return through the wall's queued `_results` signal.
"""

from __future__ import annotations

import time
from concurrent.futures import Future
from datetime import datetime, timedelta, timezone

from controlroom.alerts.model import AlertChanged
from controlroom.alerts.text import alert_title
from controlroom.cameras.views import cameras_for_alert
from controlroom.i18n import tr
from controlroom.cameras.packet_ring import write_clip_async
from controlroom.cameras.replay_buffer import ReplayError, export_mp4_async


class WallOperatorActions:
    """Needs from the wall: cameras, pool, snapshots, export_dir, tz, operator, tiles, view,
    alarm_tile, alarm_min_priority, _tile_readers, _max_reader, _max_index, _alarm,
    _alarm_episodes, _results, assign(), restore(), camera_in(), _show_message()."""

    def snapshot(self, index: int) -> Future | None:
        if self.export_refusal:
            self._show_message(self.export_refusal)
            return None
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
        """The last `seconds` as MP4: the camera's own packets (pyav backend, no re-encoding),
        else the JPEG replay ring re-encoded."""
        if self.export_refusal:
            self._show_message(self.export_refusal)
            return None
        camera = self.camera_in(index)
        replay = self.pool.replay(camera.id) if camera else None
        packets = (self.pool.packets(camera.id, "main") or self.pool.packets(camera.id, "sub")) if camera else None
        if camera is None or (replay is None and packets is None) or self.export_dir is None:
            self._show_message(tr("Select a tile that shows a camera"))
            return None
        stamp = datetime.now(timezone.utc).astimezone(self.tz).strftime("%Y%m%d_%H%M%S")
        path = self.export_dir / f"{camera.id}_{stamp}_{int(seconds)}s.mp4"
        if packets is not None:
            clip = packets.clip(datetime.now(timezone.utc) - timedelta(seconds=seconds))
            if not clip.packets:
                self._show_message(tr("No picture from {name} yet", name=camera.name))
                return None
            future = write_clip_async(clip, path)
        else:
            try:
                clip = replay.clip(seconds)
            except ReplayError as exc:
                self._show_message(str(exc))
                return None
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

    def on_alert_changed(self, change: AlertChanged) -> None:
        """Bridge slot: a newly raised, unacknowledged alert of at least `alarm_min_priority`
        that names a camera or a place near cameras pops it up (once per raise)."""
        alert = change.alert
        if change.removed:
            self._alarm_episodes.forget(alert.id)
            return
        if not alert.active or alert.acked or alert.kind == "camera_offline" or alert.priority < self.alarm_min_priority:
            return
        if not self._alarm_episodes.first_time(alert):
            return
        cameras = cameras_for_alert(self.config, alert)
        if cameras:
            self.show_alarm(cameras, alert_title(alert))
