"""The trend the bulletins quote survives a restart: the flood monitor is seeded from storage,
so a console (or the service) started in the middle of a rise shows the rise at once."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from controlroom.domain import Reading


def test_a_restarted_core_shows_the_rise_at_once(second_config, make_core, tmp_path):
    db_url = f"sqlite:///{(tmp_path / 'shared.sqlite3').as_posix()}"
    gauge = next(s for s in second_config.sensors if s.kind == "water_level")
    first = make_core(second_config, db_url=db_url)
    now = datetime.now(timezone.utc)
    for k in range(10):  # the last ten minutes: +6 cm a minute
        first.bus.publish(Reading(gauge.id, "level", now - timedelta(minutes=9 - k), 0.5 + 0.06 * k))
    assert first.storage.flush(timeout=30)
    rising = first.flood.monitor.station(gauge.id).trend_cm_h
    first.stop()

    again = make_core(second_config, db_url=db_url)
    trend = again.flood.monitor.station(gauge.id).trend_cm_h
    assert trend is not None and trend == pytest.approx(rising, abs=0.5) and round(trend) == 360
