"""The ISA-18.2 state machine, the shared JSON form and the merge of two consoles' views."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from controlroom.alerts import model as m
from controlroom.alerts import payload as p
from controlroom.alerts.model import AlertState, Condition, Priority

T0 = datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)


def cond(active: bool, seconds: float = 0, priority: Priority = Priority.HIGH, band: int = 1, value: float = 3.1):
    return Condition("sensor/wl1/level", "high", "threshold", active, T0 + timedelta(seconds=seconds),
                     priority=priority, value=value, limit=3.0, band=band, village="v1")


def test_raise_return_and_acknowledge_walk_the_isa_states():
    alert, event = m.apply_condition(None, cond(True), "A")
    assert alert.state is AlertState.UNACKNOWLEDGED and event.action == "raise"
    alert, event = m.apply_condition(alert, cond(False, 10), "A")
    assert alert.state is AlertState.RETURNED_UNACKNOWLEDGED and event.action == "return"
    alert, event = m.acknowledge(alert, "Lan", "đã kiểm tra", T0 + timedelta(seconds=20), "A")
    assert alert.state is AlertState.NORMAL and event.actor == "Lan" and event.comment == "đã kiểm tra"


def test_acknowledged_alert_stays_acknowledged_on_value_updates_and_realarms_on_higher_priority():
    alert, _ = m.apply_condition(None, cond(True), "A")
    alert, _ = m.acknowledge(alert, "Lan", "", T0, "A")
    updated, event = m.apply_condition(alert, cond(True, 5, value=3.3), "A")
    assert event is None and updated.state is AlertState.ACKNOWLEDGED and updated.value == 3.3
    worse, event = m.apply_condition(updated, cond(True, 9, Priority.CRITICAL, band=2), "A")
    assert event.action == "realarm" and worse.state is AlertState.UNACKNOWLEDGED and worse.priority is Priority.CRITICAL


def test_retrigger_updates_the_same_alert_instead_of_adding_one():
    alert, _ = m.apply_condition(None, cond(True), "A")
    alert, _ = m.apply_condition(alert, cond(False, 10), "A")
    again, event = m.apply_condition(alert, cond(True, 20), "A")
    assert again.id == alert.id and again.raise_count == 2 and event.action == "raise"


def test_shelved_alert_is_hidden_until_unshelved_then_shows_its_live_state():
    alert, _ = m.apply_condition(None, cond(True), "A")
    shelved, event = m.shelve(alert, "Lan", "cảm biến đang bảo trì", timedelta(hours=1), T0, "A")
    assert shelved.state is AlertState.SHELVED and event.comment == "cảm biến đang bảo trì"
    back, _ = m.unshelve(shelved, m.SYSTEM, T0 + timedelta(hours=1), "A")
    assert back.state is AlertState.UNACKNOWLEDGED


def test_out_of_service_overrides_everything_until_returned():
    alert, _ = m.apply_condition(None, cond(True), "A")
    oos, _ = m.set_out_of_service(alert, "Lan", "thay cảm biến", False, T0, "A")
    assert oos.state is AlertState.OUT_OF_SERVICE
    assert m.acknowledge(oos, "Lan", "", T0, "A") is None
    back, _ = m.set_out_of_service(oos, "Lan", "", True, T0, "A")
    assert back.state is AlertState.UNACKNOWLEDGED


def test_citizen_report_is_latched_until_acknowledged():
    report = Condition("report/r1", "report", "citizen_report", True, T0, priority=Priority.MEDIUM)
    alert, _ = m.apply_condition(None, report, "A")
    done, _ = m.acknowledge(alert, "Lan", "", T0, "A")
    assert done.state is AlertState.NORMAL


def test_queue_order_is_state_then_priority_then_newest():
    a, _ = m.apply_condition(None, cond(True, 0, Priority.MEDIUM), "A")
    b, _ = m.apply_condition(None, Condition("sensor/x/y", "high", "threshold", True, T0, priority=Priority.CRITICAL), "A")
    c, _ = m.apply_condition(None, Condition("sensor/z/y", "high", "threshold", True, T0 + timedelta(seconds=5),
                                             priority=Priority.MEDIUM), "A")
    acked, _ = m.acknowledge(b, "Lan", "", T0, "A")
    assert [x.id for x in sorted([a, acked, c], key=m.Alert.sort_key)] == [c.id, a.id, acked.id]


def test_payload_round_trip_keeps_every_field():
    alert, _ = m.apply_condition(None, cond(True), "A")
    alert, _ = m.shelve(alert, "Lan", "lý do", timedelta(minutes=15), T0, "A")
    assert p.from_payload(alert.id, p.to_payload(alert, "testsite")) == alert


def test_ack_on_one_console_is_merged_by_the_other_and_survives_its_own_evaluation():
    on_a, _ = m.apply_condition(None, cond(True), "A")
    on_b, _ = m.apply_condition(None, cond(True), "B")
    assert on_a.id == on_b.id
    acked_a, _ = m.acknowledge(on_a, "Lan", "", T0 + timedelta(seconds=3), "A")
    merged = m.merge_remote(on_b, p.from_payload(acked_a.id, p.to_payload(acked_a, "s")))
    assert merged.state is AlertState.ACKNOWLEDGED and merged.acked_by == "Lan"
    assert m.merge_remote(merged, acked_a) is None  # applying it twice changes nothing


def test_an_ack_from_before_a_new_episode_does_not_acknowledge_it():
    on_b, _ = m.apply_condition(None, cond(True, 100), "B")
    old, _ = m.apply_condition(None, cond(True), "A")
    old_ack, _ = m.acknowledge(old, "Lan", "", T0 + timedelta(seconds=1), "A")
    assert m.merge_remote(on_b, old_ack) is None or m.merge_remote(on_b, old_ack).state is AlertState.UNACKNOWLEDGED


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.dictionaries(st.sampled_from(["source", "priority", "raised_at", "changed_at", "value", "detail", "band", "acked_at"]),
                       st.one_of(st.none(), st.integers(), st.text(max_size=10), st.floats(), st.lists(st.integers(), max_size=2))))
def test_from_payload_rejects_garbage_with_value_error_only(data):
    try:
        p.from_payload("x", data)
    except ValueError:
        pass


def test_ids_are_topic_safe_and_bounded():
    alert_id = m.make_alert_id("report/" + "x#+/" * 40, "report")
    assert len(alert_id) <= m.MAX_ID_LENGTH and not set("#+/") & set(alert_id)


def test_an_alerts_title_names_the_metric_in_the_ui_language():
    """The detail keeps the file's label ("Mực nước"); the English console reads "Water level",
    the Vietnamese one "Mực nước"; a label in the commune's own words stays as written."""
    from datetime import datetime, timezone

    from controlroom import i18n
    from controlroom.alerts.model import Alert, Priority
    from controlroom.alerts.text import alert_title

    at = datetime(2026, 10, 20, 3, 0, tzinfo=timezone.utc)

    def alert(label: str) -> Alert:
        return Alert("threshold/ha_cau_hai/level/high", "sensor/ha_cau_hai/level", "high", "threshold", Priority.HIGH,
                     "thon_ha", True, False, at, at, value=1.9, limit=1.6, band=1,
                     detail={"name": "Trạm đo mặn Cầu Hai", "label": label, "unit": "m"})

    try:
        i18n.set_language("en")
        assert alert_title(alert("Mực nước")) == "Water level high at Trạm đo mặn Cầu Hai"
        assert alert_title(alert("Mực nước đầm")) == "Mực nước đầm high at Trạm đo mặn Cầu Hai"
        i18n.set_language("vi")
        assert alert_title(alert("Mực nước")).startswith("Mực nước ")
    finally:
        i18n.set_language(i18n.DEFAULT_LANGUAGE)
