"""How the room's paho client is made: protocol and session, credentials, TLS, Last Will,
reconnect pacing, and no Nagle delay on its socket. The feed (mqtt_feed.py) wires its callbacks.
"""

from __future__ import annotations

import logging
import socket
import ssl

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from controlroom.feeds.buffered_client import PAHO_INTERNALS_OK, BufferedClient
from controlroom.i18n import tr

log = logging.getLogger(__name__)

RECONNECT_MIN_S = 1
RECONNECT_MAX_S = 30


def make_client(mqtt_config, client_id: str, *, v5: bool, keep_session: bool, username: str | None,
                password: str | None, tls: bool, will_topic: str) -> tuple[mqtt.Client, str | None]:
    """A client ready to connect, and the set-up error to say at start (an unreadable CA file)
    or None. `username`/`password` override the configuration's (None: the configuration's)."""
    client_class = BufferedClient if PAHO_INTERNALS_OK else mqtt.Client
    if v5:
        client = client_class(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    else:
        client = client_class(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311,
                              clean_session=not keep_session)
    client.suppress_exceptions = True  # belt and braces: the feed's callbacks already catch
    client.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
    user = username if username is not None else mqtt_config.username
    secret = password if password is not None else (mqtt_config.password() if username is None else None)
    if user:
        client.username_pw_set(user, secret)
    setup_error = None
    if tls:
        ca_file = mqtt_config.ca_file
        try:
            client.tls_set(ca_certs=str(ca_file) if ca_file else None)
        except (OSError, ssl.SSLError) as exc:  # missing or unreadable CA file: said at start()
            setup_error = tr("TLS set-up failed ({file}): {reason}", file=str(ca_file), reason=str(exc))
    client.will_set(will_topic, "offline", qos=1, retain=True)
    return client, setup_error


def send_at_once(client: mqtt.Client) -> None:
    """TCP_NODELAY: paho leaves Nagle on, so a publish right after another (a command's answer,
    then the alert it changed) waited ~40 ms for the first one's TCP acknowledgement."""
    sock = client.socket()
    try:
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, AttributeError) as exc:  # a TLS or WebSocket wrapper without the option
        log.debug("TCP_NODELAY not set: %s", exc)
