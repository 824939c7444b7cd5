"""A broadcast started on an attached console is the service's: the service serves the audio
the operator previewed, commands the speakers and follows their acks, so the broadcast goes on
and is accounted for after that console closes; another console shows its delivery board."""

from __future__ import annotations

import json
import struct
import urllib.request
import wave

import pytest

from controlroom.access.accounts import upsert_operator
from controlroom.access.operators import PermissionDenied, Role, operator_row
from controlroom.broadcast.jobs import DeliveryState, Priority
from controlroom.service.client import CommandFailed

from ..conftest import wait_until

pytestmark = pytest.mark.timeout(180)


def _tone(path, seconds: float = 1.0, rate: int = 8000):
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(struct.pack("<h", (i * 37) % 20000 - 10000) for i in range(int(seconds * rate))))
    return path


def test_a_broadcast_from_a_console_runs_at_the_service_and_outlives_the_console(second_config, mqtt_broker, service,
                                                                                make_core, raw_client, tmp_path):
    site, prefix = second_config.site.id, second_config.topic_prefix
    with service.core.engine.begin() as conn:
        upsert_operator(conn, operator_row(site, "vanhanh_vh", "Vận hành VH", Role.OPERATOR, "mat-khau-vh"))
        upsert_operator(conn, operator_row(site, "xem_vh", "Người xem VH", Role.VIEWER, "mat-khau-xem"))
    starter = make_core(second_config, broker=mqtt_broker, db_url=service.core.db_url, client_id="console-start",
                        attached=True)
    watcher = make_core(second_config, broker=mqtt_broker, db_url=service.core.db_url, client_id="console-watch",
                        attached=True)
    for core in (service.core, starter, watcher):
        assert core.feed.wait_subscribed(30)
    speakers = raw_client(mqtt_broker.host, mqtt_broker.port, prefix)  # the commune's loudspeakers
    commands = []
    speakers.client.message_callback_add(f"{prefix}/speaker/+/cmd", lambda _c, _u, m: commands.append(
        (m.topic.split("/")[-2], json.loads(m.payload))))
    speakers.client.subscribe(f"{prefix}/speaker/+/cmd", qos=1)

    operator = starter.access.authenticate("vanhanh_vh", "mat-khau-vh")
    viewer = watcher.access.authenticate("xem_vh", "mat-khau-xem")
    audio = _tone(tmp_path / "thong-bao.wav")
    targets = starter.broadcast.service.speakers_in(["th_cu_lac", "th_dong_ha"])
    with pytest.raises(PermissionDenied):
        watcher.broadcast.service.start_job(title="Thử", audio_path=audio, duration_s=1.0, targets=targets,
                                            operator=viewer)
    with pytest.raises(CommandFailed) as unknown:
        starter.broadcast.service.start_job(title="Thử", audio_path=audio, duration_s=1.0, targets=["loa_khong_co"],
                                            operator=operator)
    assert unknown.value.code == "refused" and "loa_khong_co" in str(unknown.value)

    job = starter.broadcast.service.start_job(title="Thông báo họp thôn", audio_path=audio, duration_s=1.0,
                                              targets=targets, priority=Priority.ANNOUNCEMENT, operator=operator,
                                              source_kind="file")
    sent = wait_until(lambda: len(commands) >= len(targets) and commands, 30, message="the speakers got no command")
    assert {speaker for speaker, _ in sent} == set(targets)
    url = sent[0][1]["source"]
    with urllib.request.urlopen(url, timeout=10) as answer:  # served by the service, byte for byte the preview
        assert answer.read() == audio.read_bytes()

    starter.stop()  # the console that started it goes away; the speakers play on and report
    for speaker in targets:
        speakers.client.publish(f"{prefix}/speaker/{speaker}/ack", json.dumps({"job": job.id, "result": "finished"}),
                                qos=1).wait_for_publish(10)
    finished = wait_until(lambda: (j := watcher.broadcast.service.job(job.id)) and j.finished and j, 30,
                          message="the other console never saw the broadcast finish")
    assert all(d.state is DeliveryState.PLAYED for d in finished.deliveries.values())
    assert service.core.broadcast.service.job(job.id).finished


def test_the_daily_programme_is_changed_at_the_service_and_every_console_follows(second_config, mqtt_broker, service,
                                                                                 make_core):
    from controlroom.config import ScheduledBroadcastConfig

    site = second_config.site.id
    with service.core.engine.begin() as conn:
        upsert_operator(conn, operator_row(site, "truc_ban_vh", "Trực ban VH", Role.DUTY_OFFICER, "mat-khau-tb"))
        upsert_operator(conn, operator_row(site, "vanhanh_vh", "Vận hành VH", Role.OPERATOR, "mat-khau-vh"))
    editor = make_core(second_config, broker=mqtt_broker, db_url=service.core.db_url, client_id="console-edit",
                       attached=True)
    other = make_core(second_config, broker=mqtt_broker, db_url=service.core.db_url, client_id="console-other",
                      attached=True)
    for core in (service.core, editor, other):
        assert core.feed.wait_subscribed(30)
    officer = editor.access.authenticate("truc_ban_vh", "mat-khau-tb")
    operator = other.access.authenticate("vanhanh_vh", "mat-khau-vh")
    entry = ScheduledBroadcastConfig(id="ban_tin_chieu", title="Bản tin chiều", time="17:30", zone="ca_xa",
                                     text="Bản tin chiều của xã")
    with pytest.raises(PermissionDenied):  # programme changes are a duty officer's
        other.broadcast.programme.save(entry, operator)
    editor.broadcast.programme.save(entry, officer).result(timeout=30)
    assert any(e.id == "ban_tin_chieu" for e in service.core.broadcast.programme.entries())  # the service plays it
    wait_until(lambda: any(e.id == "ban_tin_chieu" for e in other.broadcast.programme.entries()), 30,
               message="the other console did not re-read the programme")
    editor.broadcast.programme.remove("ban_tin_chieu", officer).result(timeout=30)
    assert not any(e.id == "ban_tin_chieu" for e in service.core.broadcast.programme.entries())
    wait_until(lambda: not any(e.id == "ban_tin_chieu" for e in other.broadcast.programme.entries()), 30)
