"""The line across the top of a console: red on an attached console whose service stops; amber,
with a button to connect, on a console that runs the duties itself once a service is up."""

from __future__ import annotations

import pytest

from PyQt6.QtWidgets import QWidget

from controlroom.ui.access.lock_cover import LOCKED, LockCover
from controlroom.ui.shell.service_banner import ServiceBanner

pytestmark = pytest.mark.timeout(120)


def test_a_console_running_the_duties_offers_to_connect_once_the_service_is_up(qtbot, second_config, mqtt_broker,
                                                                              service, make_core):
    alone = make_core(second_config, broker=mqtt_broker, client_id="console-alone")  # not attached
    banner = ServiceBanner(alone)
    qtbot.addWidget(banner)
    qtbot.waitUntil(lambda: not banner.reconnect.isHidden(), timeout=30_000)
    assert "runs the duties itself" in banner.label.text() or "tự làm các nhiệm vụ" in banner.label.text()

    attached = make_core(second_config, broker=mqtt_broker, db_url=service.core.db_url, client_id="console-attached",
                         attached=True)
    red = ServiceBanner(attached)
    qtbot.addWidget(red)
    window = QWidget()  # a locked console: the lock screen carries the same warning, no button
    qtbot.addWidget(window)
    window.resize(1280, 720)
    cover = LockCover(window, second_config.site.name, second_config.site.tz)
    on_cover = ServiceBanner(alone, cover, actions=False)
    locked_red = ServiceBanner(attached, cover, actions=False)
    cover.add_notice(on_cover)
    cover.add_notice(locked_red)
    window.show()
    cover.show_state(LOCKED)
    qtbot.waitUntil(lambda: on_cover.label.text() != "", timeout=30_000)
    assert on_cover.reconnect.isHidden()  # the service is up and this console runs duties: no button
    qtbot.waitUntil(lambda: attached.service_watch.status.presence == "online", timeout=30_000)
    red.refresh()
    assert red.label.text() == "" and red.reconnect.isHidden()

    service.stop()  # says "offline" (retained) as it goes
    qtbot.waitUntil(lambda: red.label.text() != "", timeout=30_000)
    assert red.reconnect.isHidden()  # nothing to connect to
    qtbot.waitUntil(lambda: locked_red.label.text() == red.label.text(), timeout=30_000)
    assert locked_red.label.isVisible()  # seen over the locked console
    qtbot.waitUntil(lambda: banner.label.text() == "" and banner.reconnect.isHidden(), timeout=30_000)
