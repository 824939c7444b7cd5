"""A broadcast job as the service tells consoles about it (``room/broadcast/job/<id>``): the
whole job with every speaker's delivery, in JSON, so a console shows the delivery board of a
job the service runs exactly as the service sees it."""

from __future__ import annotations

from datetime import datetime

from controlroom.broadcast.jobs import BroadcastJob, Delivery, DeliveryState, Priority

JOB_TOPIC = "room/broadcast/job/"
JOB_TTL_S = 12 * 3600  # a console started later sees the last half day's jobs (MQTT 5 expiry)


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _parse_time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def job_to_payload(job: BroadcastJob) -> dict:
    return {
        "id": job.id, "title": job.title, "kind": job.source_kind, "url": job.source_url,
        "duration_s": job.duration_s, "priority": int(job.priority), "volume": job.volume, "repeat": job.repeat,
        "operator": job.operator, "operator_name": job.operator_name, "created_at": _time(job.created_at), "text": job.text,
        "deliveries": [{"speaker": d.speaker_id, "state": d.state.value, "sent_at": _time(d.sent_at),
                        "started_at": _time(d.started_at), "updated_at": _time(d.updated_at), "detail": d.detail,
                        "attempts": d.attempts} for d in job.deliveries.values()],
    }


def job_from_payload(body: dict) -> BroadcastJob:
    """ValueError/KeyError/TypeError on anything malformed."""
    deliveries = {d["speaker"]: Delivery(str(d["speaker"]), DeliveryState(d["state"]), _parse_time(d.get("sent_at")),
                                         _parse_time(d.get("started_at")), _parse_time(d.get("updated_at")),
                                         str(d.get("detail", "")), int(d.get("attempts", 0)))
                  for d in body["deliveries"]}
    return BroadcastJob(title=str(body["title"]), source_kind=str(body["kind"]), source_url=str(body["url"]),
                        duration_s=float(body["duration_s"]), priority=Priority(int(body["priority"])),
                        volume=int(body["volume"]), repeat=int(body["repeat"]), targets=list(deliveries),
                        operator=str(body["operator"]), operator_name=str(body.get("operator_name", "")),
                        created_at=_parse_time(body["created_at"]),
                        text=str(body.get("text", "")), id=str(body["id"]), deliveries=deliveries)
