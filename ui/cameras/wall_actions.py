"""Operator actions of the camera wall: snapshot, replay export, the alarm view.

A mixin of CameraWall (ui/cameras/wall.py), kept apart so each module has one job: the wall
arranges and paints tiles, this hands work to the worker threads (snapshot writer, replay
export) and reacts to alerts. Results return through the wall's queued `_results` signal.
"""

from __future__ import annotations

from concurrent.futures import Future
from datetime import datetime, timedelta, timezone

from controlroom.alerts.model import AlertChanged
from controlroom.alerts.text import alert_title
from controlroom.cameras.views import WallView, cameras_for_alert, layout
from controlroom.i18n import tr
from controlroom.cameras.packet_ring import write_clip_async
from controlroom.cameras.replay_buffer import ReplayError, export_mp4_async

# The alarm view's layout by how many cameras the open alarms call up (the first cell is the
# biggest where the layout has one): up to 6 around one big picture, then 3x3.
ALARM_LAYOUTS = ((6, "1+5"), (9, "3x3"))


class WallOperatorActions:
    """Needs from the wall: cameras, pool, snapshots, export_dir, tz, operator, tiles, view,
    alarm_min_priority, _tile_readers, _max_reader, _max_index, _alarms, _before_alarm,
    _alarm_episodes, back_button, presenting, _hidden_for_presentation, _results, operator_view, apply_view(),
    restore(), camera_in(), _show_message()."""

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
        note = ""
        if packets is not None:
            clip = packets.clip(datetime.now(timezone.utc) - timedelta(seconds=seconds))
            if not clip.packets:
                self._show_message(tr("No picture from {name} yet", name=camera.name))
                return None
            kept = (clip.end_utc - clip.start_utc).total_seconds()
            if kept < seconds - 1.0:  # the ring's memory cap holds less of a busy camera: say so, not a silent short clip
                note = " (" + tr("only the last {kept:.0f} s of {asked} s were kept", kept=kept, asked=int(seconds)) + ")"
            future = write_clip_async(clip, path)
        else:
            try:
                clip = replay.clip(seconds)
            except ReplayError as exc:
                self._show_message(str(exc))
                return None
            future = export_mp4_async(clip, path)
        future.add_done_callback(lambda f: self._results.message.emit(
            tr("Replay exported: {path}", path=str(path)) + note if f.exception() is None
            else tr("Replay export failed: {reason}", reason=str(f.exception()))))
        return future

    def show_alarm(self, alert_id: str, camera_ids: list[str], text: str) -> None:
        """Call the alarm's cameras up in the alarm view: the operator's view is kept aside,
        untouched, and comes back when the alarms are handled (or on "Back to my view")."""
        cameras = [c for c in camera_ids if c in self.cameras]
        if not cameras:
            return
        self._alarms.pop(alert_id, None)
        self._alarms[alert_id] = (cameras, text)  # the newest alarm last, shown first
        if self._before_alarm is None:
            self._before_alarm = self.operator_view  # on a presentation screen: the view it compacted
        self._show_alarm_view(announce=True)

    def _show_alarm_view(self, announce: bool = False) -> None:
        """The open alarms' cameras, newest alarm first (its nearest camera in the big cell),
        the rest of the cells from the operator's view so the overview is not lost.
        `announce`: a new alarm came (an enlarged camera says so; one handled does not)."""
        alarm_cameras = list(dict.fromkeys(c for cameras, _text in reversed(self._alarms.values()) for c in cameras))
        layout_id = ALARM_LAYOUTS[-1][1] if len(alarm_cameras) > ALARM_LAYOUTS[-1][0] else \
            next(layout_id for most, layout_id in ALARM_LAYOUTS if len(alarm_cameras) <= most)
        size = layout(layout_id).size
        enlarged = self._max_reader.camera_id if self._max_reader is not None else None
        others = [c for c in self._before_alarm.cells if c and c not in alarm_cameras]
        others.sort(key=lambda c: c != enlarged)  # the camera the operator enlarged keeps a cell
        self.apply_view(WallView("", layout_id, (alarm_cameras + others)[:size]), keep_alarms=True, keep_maximised=True)
        for index, tile in enumerate(self.tiles[:size]):
            camera = self.camera_in(index)
            tile.set_alarm(next((text for cameras, text in reversed(self._alarms.values())
                                 if camera is not None and camera.id in cameras), ""))
        self._show_back_button(True)
        message = tr("Alarm view: {n} alarm(s). Your view returns when they are acknowledged, "
                     "or with \"Back to my view\".", n=len(self._alarms))
        if self._max_index is not None:  # the operator's enlarged camera stays; the alarms wait behind it
            newest = next(reversed(self._alarms.values()))[1]
            waiting = tr("New alarm: {text}", text=newest) if announce else tr("{n} alarm(s) behind", n=len(self._alarms))
            self.max_tile.set_alarm(self.tiles[self._max_index].alarm_text or waiting)
            ready = tr("Alarm view ready behind the enlarged camera: double-click it to see the alarm cameras.")
            message = ready + " " + message
            if announce and not self.presenting:
                self._cover.show_hint(ready)  # the wall's message line is under the enlarged camera
        self._show_message(message)

    def clear_alarm(self, alert_id: str | None = None) -> None:
        """One alarm handled (or all, with no id): show the others, or the operator's view again."""
        if alert_id is None:
            self._alarms.clear()
        elif self._alarms.pop(alert_id, None) is None:
            return
        if self._alarms:
            self._show_alarm_view()
            return
        before, self._before_alarm = self._before_alarm, None
        self._show_back_button(False)
        if before is not None:
            self.apply_view(before, keep_maximised=True)
            if self._max_index is not None:
                self.max_tile.set_alarm(self.tiles[self._max_index].alarm_text)
            self._show_message("")

    def _leave_alarm_view(self) -> None:
        """The operator chose a view or layout: theirs from now on; the alarms stay in the queue."""
        self._alarms.clear()
        self._before_alarm = None
        self._show_back_button(False)

    def _show_back_button(self, shown: bool) -> None:
        """On a wall display the button waits, hidden, until presentation ends (if still wanted)."""
        if self.presenting:
            hidden = self._hidden_for_presentation
            if shown and self.back_button not in hidden:
                hidden.append(self.back_button)
            elif not shown and self.back_button in hidden:
                hidden.remove(self.back_button)
            return
        self.back_button.setVisible(shown)

    def on_alert_changed(self, change: AlertChanged) -> None:
        """Bridge slot: a newly raised, unacknowledged alert of at least `alarm_min_priority`
        that names a camera or a place near cameras pops it up (once per raise)."""
        alert = change.alert
        if change.removed:
            self._alarm_episodes.forget(alert.id)
        if change.removed or not alert.active or alert.acked:
            self.clear_alarm(alert.id)  # handled: its cameras leave the alarm view
            return
        if alert.kind == "camera_offline" or alert.priority < self.alarm_min_priority:
            return
        if not self._alarm_episodes.first_time(alert):
            return
        cameras = cameras_for_alert(self.config, alert)
        if cameras:
            self.show_alarm(alert.id, cameras, alert_title(alert))
