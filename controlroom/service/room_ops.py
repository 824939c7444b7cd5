"""What each operator command does to the core, once the command channel has checked who sent
it and that their role allows it: acknowledge and shelve alerts, raise one, run broadcasts
and the programme, issue and cancel bulletins, keep the duty log and the damage report, move
cameras, add a camera to the commune's file. A handler returns the answer (a dict), or a Future of it when a camera answers later;
what it raises the channel turns into a refusal the operator reads."""

from __future__ import annotations

import base64
import re
import uuid
from concurrent.futures import Future
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from controlroom.access.operators import Operator
from controlroom.alerts.model import Priority
from controlroom.broadcast.at_service import MAX_AUDIO_BYTES, PROGRAMME_CHANGED_TOPIC
from controlroom.broadcast.job_payload import job_to_payload
from controlroom.broadcast.jobs import Priority as BroadcastPriority
from controlroom.config import ScheduledBroadcastConfig
from controlroom.i18n import tr
from controlroom.service.futures import then

if TYPE_CHECKING:
    from controlroom.core import ControlRoomCore

Handler = Callable[[Operator, dict], Any]  # returns the answer (a dict, None, or a Future of one)

MAX_BULLETIN_CHARS = 4000
MAX_DUTY_NOTE_CHARS = 2000  # a duty log line, not a report
AUDIO_SUFFIXES = {".wav", ".mp3", ".ogg", ".opus", ".m4a"}
MANUAL_SOURCE = re.compile(r"manual/[0-9a-f]{10}")


class RoomOperations:
    def __init__(self, core: "ControlRoomCore", config_path: Path | None = None) -> None:
        """`config_path`: the commune's file this service may change (None: the bundled demo's)."""
        self._core = core
        self._config_path = config_path

    def table(self) -> dict[str, tuple[str, Handler]]:
        """Each operation: (the permission it needs, its handler)."""
        return {
            "alert.acknowledge": ("alert.acknowledge", self._acknowledge),
            "alert.shelve": ("alert.shelve", self._shelve),
            "alert.unshelve": ("alert.shelve", self._unshelve),
            "alert.in_service": ("alert.out_of_service", self._in_service),
            "alert.raise": ("alert.raise", self._raise),
            "broadcast.start": ("broadcast.start", self._start_broadcast),
            "broadcast.retry": ("broadcast.start", self._retry_broadcast),
            "broadcast.stop": ("broadcast.start", self._stop_broadcast),
            "programme.save": ("broadcast.programme", self._save_programme),
            "programme.remove": ("broadcast.programme", self._remove_programme),
            "bulletin.issue": ("broadcast.emergency", self._issue_bulletin),
            "bulletin.cancel": ("broadcast.emergency", self._cancel_bulletin),
            "duty.note": ("duty.note", self._duty_note),
            "duty.start_shift": ("duty.shift", self._start_shift),
            "duty.handover": ("duty.shift", self._handover),
            "damage.open_event": ("damage.report", self._open_damage_event),
            "damage.set_village": ("damage.report", self._set_damage_village),
            "damage.exported": ("damage.report", self._damage_exported),
            "ptz.move": ("camera.ptz", self._ptz_move),
            "ptz.stop": ("camera.ptz", lambda operator, args: self._ptz().stop(operator, _camera(args))),
            "ptz.home": ("camera.ptz", lambda operator, args: self._ptz().goto_home(operator, _camera(args))),
            "ptz.preset": ("camera.ptz", self._ptz_preset),
            "ptz.save_preset": ("camera.ptz", self._ptz_save_preset),
            "ptz.presets": ("camera.ptz", self._ptz_presets),
            "config.add_camera": ("config.change", self._add_camera),
        }

    def _acknowledge(self, operator: Operator, args: dict) -> None:
        self._core.alerts.acknowledge(_ids(args), operator, str(args.get("comment", "")))

    def _shelve(self, operator: Operator, args: dict) -> None:
        self._core.alerts.shelve(_ids(args), operator, str(args["reason"]), float(args["duration_s"]))

    def _unshelve(self, operator: Operator, args: dict) -> None:
        self._core.alerts.unshelve(_ids(args), operator)

    def _in_service(self, operator: Operator, args: dict) -> None:
        in_service = args["in_service"]
        if not isinstance(in_service, bool):
            raise ValueError("in_service must be true or false")
        self._core.alerts.set_in_service(_ids(args), operator, in_service, str(args.get("reason", "")))

    def _raise(self, operator: Operator, args: dict) -> dict:
        priority = Priority[str(args.get("priority", "HIGH")).upper()]
        village = args.get("village")
        if village is not None and village not in {v.id for v in self._core.config.villages}:
            raise ValueError(f"no village {village!r} in this commune")
        source = args.get("source")  # a console names its alert, to follow it before the answer
        if source is not None and not MANUAL_SOURCE.fullmatch(str(source)):
            raise ValueError("source must be manual/ and 10 hex digits")
        return {"alert_id": self._core.alerts.raise_manual(operator, str(args["text"]), priority, village, source)}

    def _issue_bulletin(self, operator: Operator, args: dict) -> dict:
        bulletins = self._core.flood.bulletins
        draft = bulletins.compose(args.get("zone"))
        text = args.get("text")  # the officer's words as edited on the console
        if text is not None:
            if not isinstance(text, str) or not text.strip() or len(text) > MAX_BULLETIN_CHARS:
                raise ValueError(f"text must be 1 to {MAX_BULLETIN_CHARS} characters")
            draft = replace(draft, text=text.strip())
        bulletin = bulletins.issue(draft, operator)
        return {"bulletin_id": bulletin.id, "next_due_at": bulletin.next_due_at.isoformat()}

    def _start_broadcast(self, operator: Operator, args: dict) -> dict:
        """The console's audio (as previewed there) is kept in the media folder and broadcast."""
        service = self._core.broadcast.service
        audio = base64.b64decode(str(args["audio"]), validate=True)
        if not audio or len(audio) > MAX_AUDIO_BYTES:
            raise ValueError(f"audio must be 1 to {MAX_AUDIO_BYTES} bytes")
        suffix = str(args.get("suffix", ".wav"))
        if suffix not in AUDIO_SUFFIXES:
            raise ValueError(f"audio must be one of {', '.join(sorted(AUDIO_SUFFIXES))}")
        path = service.media_dir / f"upload-{uuid.uuid4().hex[:12]}{suffix}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(audio)
        targets = args["targets"]
        if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
            raise ValueError("targets must be a list of speaker ids")
        volume = args.get("volume")
        job = service.start_job(title=str(args["title"])[:200], audio_path=path, duration_s=float(args["duration_s"]),
                                targets=targets, priority=BroadcastPriority(int(args.get("priority", 1))),
                                volume=None if volume is None else int(volume), repeat=int(args.get("repeat", 1)),
                                operator=operator, source_kind=str(args.get("kind", "file"))[:16],
                                text=str(args.get("text", ""))[:MAX_BULLETIN_CHARS])
        return {"job": job_to_payload(job)}

    def _retry_broadcast(self, operator: Operator, args: dict) -> dict:
        speakers = args.get("speakers")
        if speakers is not None and not (isinstance(speakers, list) and all(isinstance(s, str) for s in speakers)):
            raise ValueError("speakers must be a list of speaker ids")
        return {"speakers": self._core.broadcast.service.retry(self._job_id(args), operator, speakers)}

    def _stop_broadcast(self, operator: Operator, args: dict) -> None:
        self._core.broadcast.service.stop_job(self._job_id(args), operator)

    def _job_id(self, args: dict) -> str:
        job_id = str(args["job_id"])
        if self._core.broadcast.service.job(job_id) is None:
            raise ValueError(f"no broadcast {job_id!r} is running at the service")
        return job_id

    def _save_programme(self, operator: Operator, args: dict) -> None:
        entry = ScheduledBroadcastConfig.model_validate(args["entry"])  # a pydantic ValidationError is a ValueError
        self._core.broadcast.programme.save(entry, operator).result(timeout=30)
        self._core.feed.publish(PROGRAMME_CHANGED_TOPIC, {"id": entry.id}, qos=1)

    def _remove_programme(self, operator: Operator, args: dict) -> None:
        entry_id = str(args["id"])
        self._core.broadcast.programme.remove(entry_id, operator).result(timeout=30)
        self._core.feed.publish(PROGRAMME_CHANGED_TOPIC, {"id": entry_id}, qos=1)

    def _cancel_bulletin(self, operator: Operator, args: dict) -> None:
        self._core.flood.bulletins.cancel(str(args["bulletin_id"]), operator, str(args.get("reason", "")))

    # -- answers -------------------------------------------------------------------------------

    def _duty_note(self, operator: Operator, args: dict) -> None:
        text = args.get("text")
        if not isinstance(text, str) or len(text) > MAX_DUTY_NOTE_CHARS:
            raise ValueError(f"text must be a string of at most {MAX_DUTY_NOTE_CHARS} characters")
        self._core.flood.duty_log.note(operator, text).result(timeout=30)

    def _start_shift(self, operator: Operator, args: dict) -> dict:
        return {"shift_id": self._core.flood.duty_log.start_shift(operator)}

    def _handover(self, operator: Operator, args: dict) -> dict:
        fields = {name: args.get(name, "") for name in ("outgoing_password", "incoming", "incoming_password", "note")}
        if not all(isinstance(value, str) for value in fields.values()):
            raise ValueError("outgoing_password, incoming, incoming_password and note must be strings")
        return {"shift_id": self._core.flood.duty_log.handover_signed(
            operator, fields["outgoing_password"], fields["incoming"], fields["incoming_password"], fields["note"])}

    def _open_damage_event(self, operator: Operator, args: dict) -> dict:
        started_at = datetime.fromisoformat(str(args["started_at"]))
        detail = args.get("detail") or {}
        if not isinstance(detail, dict) or not all(isinstance(k, str) and k.isidentifier() for k in detail):
            raise ValueError("detail must be an object with plain keys")
        return {"event_id": self._core.flood.damage.open_event(operator, str(args.get("hazard", "")), started_at, **detail)}

    def _set_damage_village(self, operator: Operator, args: dict) -> None:
        figures = args["figures"]
        if not isinstance(figures, dict):
            raise ValueError("figures must be an object of indicator: number")
        self._core.flood.damage.set_village(operator, str(args["event_id"]), str(args["village"]), figures)

    def _damage_exported(self, operator: Operator, args: dict) -> None:
        paths, totals = args.get("paths", []), args.get("totals", {})
        if not isinstance(paths, list) or not isinstance(totals, dict):
            raise ValueError("paths must be a list and totals an object")
        self._core.flood.damage.record_export(operator, str(args["event_id"]), int(args["number"]),
                                              [str(p) for p in paths], totals)

    def _ptz(self):
        return self._core.cameras.ptz

    def _ptz_move(self, operator: Operator, args: dict) -> None:
        pan, tilt, zoom = (float(args.get(axis, 0.0)) for axis in ("pan", "tilt", "zoom"))
        self._ptz().move(operator, _camera(args), pan, tilt, zoom)

    def _ptz_preset(self, operator: Operator, args: dict) -> Future:
        return then(self._ptz().goto_preset(operator, _camera(args), str(args["preset"])), lambda token: {"token": token})

    def _ptz_save_preset(self, operator: Operator, args: dict) -> Future:
        return then(self._ptz().save_preset(operator, _camera(args), str(args["preset"])), lambda token: {"token": token})

    def _ptz_presets(self, operator: Operator, args: dict) -> Future:
        return then(self._ptz().presets(_camera(args)),
                     lambda presets: {"presets": [{"token": p.token, "name": p.name} for p in presets]})

    def _add_camera(self, operator: Operator, args: dict) -> dict:
        """Appended only if the file still loads with it; audited once written."""
        from controlroom.cameras.add_to_config import append_camera

        if self._config_path is None:
            raise ValueError(tr("This service was not started with a commune's configuration file "
                                "(--config), so it cannot add cameras to it"))
        path = append_camera(self._config_path, args)
        self._core.access.audit.record(operator.username, "config.camera_added", str(args["id"]).strip(),
                                       {"file": str(path)})
        return {"path": str(path)}


def _camera(args: dict) -> str:
    camera = args["camera"]
    if not isinstance(camera, str) or not camera:
        raise ValueError("camera must be a camera id")
    return camera


def _ids(args: dict) -> list[str]:
    ids = args["ids"]
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise ValueError("ids must be a non-empty list of alert ids")
    return ids
