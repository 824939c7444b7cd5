"""The console's MQTT link: subscribe to the site's topics, parse, publish events on the bus.

One paho-mqtt 2.x client in its own network thread (``loop_start``). The session is
persistent so readings published while the console was away are delivered when it returns:
MQTT 5 with ``clean_start=False`` on EVERY connect and a SessionExpiryInterval > 0 (paho's
default "clean start first only" discards the queue on a new client), a stable client id, and
QoS 1 subscriptions renewed in ``on_connect``. An embedded broker that speaks only 3.1.1
(amqtt) is served with ``protocol="v311"`` and ``clean_session=False``.

Bad payloads are counted by reason, logged once per burst and dropped; nothing raised in a
callback may reach paho (an exception there would end its network thread). Redelivered
readings are dropped on (sensor, metric, ts) with a bounded two-generation set.

Batched: the events of all messages read in one socket wake-up (bounded by the Receive
Maximum we announce) go on the bus as ONE ``publish_batch``, so subscribers pay their lock or
queue put once per burst, not once per reading (see ``paho_buffered``).
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from datetime import datetime, timezone
from typing import Callable

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from controlroom.bus import EventBus
from controlroom.config import Config
from controlroom.domain import ConnectionState, Reading, Rejected
from controlroom.i18n import tr
from controlroom.feeds.acks import AcksAfterStorage
from controlroom.feeds.burst_log import BurstLog
from controlroom.feeds.buffered_client import BufferedClient
from controlroom.feeds.client_ids import default_client_id
from controlroom.feeds.feed_stats import FeedStats, MessageRate
from controlroom.feeds.mqtt_client import make_client, send_at_once
from controlroom.feeds.payloads import PayloadParser
from controlroom.feeds.topic_routes import TopicRoutes
from controlroom.feeds.redelivery import RecentReadings

log = logging.getLogger(__name__)

UTC = timezone.utc
READINGS_FROM_DEVICES = ("sensor/+/reading",)
READINGS_FROM_SERVICE = ("room/live", "room/live/latest")  # the service's digest (service/live_digest.py)
SUBSCRIPTIONS = (
    "device/+/status",
    "speaker/+/status",
    "speaker/+/ack",
    "report/+",
    "room/alert/+",
)
RECEIVE_MAXIMUM = 500  # QoS-1 messages the broker may have in flight to us (MQTT 5)
ACKED_RECEIVE_MAXIMUM = 65_535  # MQTT 5's largest: messages that may wait for the database
LOG_BURST_S = 60.0  # a reject reason is logged at most once per minute, with a count
DEDUP_GENERATION = 4096  # messages remembered per generation (two generations kept)

MessageCallback = Callable[[str, bytes], None]


class MqttFeed:
    """Subscribes the site's topics and publishes parsed events on the bus."""

    def __init__(
        self,
        config: Config,
        bus: EventBus,
        host: str | None = None,
        port: int | None = None,
        client_id: str | None = None,
        *,
        protocol: str = "v5",
        username: str | None = None,
        password: str | None = None,
        tls: bool | None = None,
        keep_session: bool = True,
        live_digest: bool = False,
    ) -> None:
        """`keep_session=False`: a console attached to its site's service stores nothing, so the
        broker keeps no queue for it (one left behind by a killed console would grow for a day).
        `live_digest`: take the readings from the service's digest (newest per sensor and
        metric, a few times a second) instead of every device message."""
        if protocol not in ("v5", "v311"):
            raise ValueError(f"protocol must be 'v5' or 'v311', not {protocol!r}")
        self.config = config
        self.bus = bus
        self.host = host or config.mqtt.host
        self.port = port or config.mqtt.port
        self.client_id = client_id or default_client_id(config)
        self.protocol = protocol
        self.keep_session = keep_session
        self.reading_topics = READINGS_FROM_SERVICE if live_digest else READINGS_FROM_DEVICES
        self.prefix = config.topic_prefix
        self.status_topic = f"{self.prefix}/device/{self.client_id}/status"
        self.parser = PayloadParser(config)
        self._extra: dict[str, MessageCallback | None] = {}
        self._routes = TopicRoutes()  # the extra subscribers' callbacks
        self._sources = TopicRoutes()  # vendors' topics outside the contract -> their mapper's parse
        self._sources_under_prefix = False  # a vendor's filter inside the site's own topics
        self._lock = threading.Lock()
        self._connected = False
        self._last_state: ConnectionState | None = None
        self._started = False
        self._subscribed = threading.Event()
        self._subscribe_mid: int | None = None
        self._received = 0
        self._readings = 0
        self._duplicates = 0
        self._last_message_at: datetime | None = None
        self._rate = MessageRate()
        self._recent = RecentReadings(DEDUP_GENERATION)
        self._burst_log = BurstLog(LOG_BURST_S)
        self._setup_error: str | None = None
        # events and counts of the messages read since the last _flush() (network thread only)
        self._pending: list = []
        self._pending_received = 0
        self._pending_readings = 0
        self._pending_duplicates = 0
        self._acks: AcksAfterStorage | None = None  # set by acknowledge_after()
        self._receive_maximum = RECEIVE_MAXIMUM
        self._client = self._make_client(username, password, config.mqtt.tls if tls is None else tls)
        self._batched = isinstance(self._client, BufferedClient)
        if self._batched:
            self._client.on_packets_read = self._on_packets_read

    # -- set-up ------------------------------------------------------------------------

    def _make_client(self, username: str | None, password: str | None, tls: bool) -> mqtt.Client:
        client, self._setup_error = make_client(self.config.mqtt, self.client_id, v5=self.protocol == "v5",
                                                keep_session=self.keep_session, username=username, password=password,
                                                tls=tls, will_topic=self.status_topic)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_connect_fail = self._on_connect_fail
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        return client

    def announce_as(self, topic_suffix: str) -> None:
        """Say "online"/"offline" (retained, and as the Last Will) on `<prefix>/<topic_suffix>`
        instead of as a device: the service's presence. Call before start()."""
        self.status_topic = f"{self.prefix}/{topic_suffix}"
        self._client.will_set(self.status_topic, "offline", qos=1, retain=True)

    def acknowledge_after(self, writer) -> None:
        """Acknowledge each QoS-1 message only once `writer` (the StorageWriter) committed what
        it carried; call before start(). MQTT 5 only: a 3.1.1 broker (the embedded demo one)
        has no Receive Maximum to bound the wait, so there messages are acknowledged on arrival."""
        if self.protocol != "v5":
            log.info("MQTT 3.1.1: messages are acknowledged on arrival, not after storage")
            return
        self._receive_maximum = ACKED_RECEIVE_MAXIMUM
        self._client.manual_ack_set(True)
        self._acks = AcksAfterStorage(writer, lambda mid: self._client.ack(mid, 1))

    def start(self) -> None:
        """Connect in the background; paho keeps retrying with capped backoff."""
        if self._started:
            return
        if self._setup_error is not None:
            log.error("MQTT link not started: %s", self._setup_error)
            self._set_connected(False, self._setup_error)
            return
        self._started = True
        if self.protocol == "v5":
            properties = Properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = self.config.mqtt.session_expiry_s if self.keep_session else 0
            properties.ReceiveMaximum = self._receive_maximum
            self._client.connect_async(
                self.host, self.port, keepalive=self.config.mqtt.keepalive_s,
                clean_start=not self.keep_session, properties=properties,
            )
        else:
            self._client.connect_async(self.host, self.port, keepalive=self.config.mqtt.keepalive_s)
        self._client.loop_start()

    def stop(self) -> None:
        """Say "offline", disconnect cleanly and join the network thread."""
        if not self._started:
            return
        self._started = False
        if self._connected:
            info = self._client.publish(self.status_topic, "offline", qos=1, retain=True)
            try:
                info.wait_for_publish(timeout=2.0)
            except (RuntimeError, ValueError) as exc:  # not queued / disconnected meanwhile
                log.info("could not publish offline status: %s", exc)
        self._client.disconnect()
        self._client.loop_stop()
        self._flush()  # the network thread is gone: what it read last goes out now
        if self._connected:
            self._set_connected(False, tr("disconnected"))

    # -- outward API -------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._connected

    def wait_subscribed(self, timeout: float) -> bool:
        """Block until the site subscriptions of the current connection are acknowledged."""
        return self._subscribed.wait(timeout)

    @property
    def stats(self) -> FeedStats:
        with self._lock:
            rate = self._rate.now()
            return FeedStats(
                connected=self._connected,
                received=self._received,
                readings=self._readings,
                duplicates=self._duplicates,
                rejects=Counter(dict(self.parser.rejects)),  # dict() copies in C: atomic vs the network thread
                rate=rate,
                last_message_at=self._last_message_at,
            )

    def publish(
        self, topic_suffix: str, payload: dict | list | str | bytes, qos: int = 1, retain: bool = False,
        expiry_s: float | None = None,
    ) -> mqtt.MQTTMessageInfo:
        """Publish under the site prefix; QoS>0 messages wait in paho while disconnected.
        `expiry_s` (MQTT 5): the broker drops the message, retained copy included, after that
        long, so a status cannot outlive the process that kept it fresh."""
        if isinstance(payload, (dict, list)):
            data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        elif isinstance(payload, str):
            data = payload.encode("utf-8")
        else:
            data = bytes(payload)
        properties = None
        if expiry_s is not None and self.protocol == "v5":
            properties = Properties(PacketTypes.PUBLISH)
            properties.MessageExpiryInterval = max(1, int(expiry_s))
        return self._client.publish(f"{self.prefix}/{topic_suffix}", data, qos=qos, retain=retain,
                                    properties=properties)

    def subscribe_extra(self, pattern_suffix: str, callback: MessageCallback | None = None) -> None:
        """Also subscribe `<prefix>/<pattern_suffix>` (QoS 1, renewed on reconnect).

        Without a callback the messages go through the parser to the bus; with one,
        `callback(topic, payload)` gets them on the network thread (keep it quick)."""
        topic = f"{self.prefix}/{pattern_suffix}"
        self._extra[topic] = callback
        if callback is not None:
            self._routes.add(topic, self._guarded(callback))
        if self._connected:
            self._client.subscribe(topic, qos=1)

    def add_source(self, topic_filter: str, parse: Callable[[str, bytes, datetime], list]) -> None:
        """Also subscribe a vendor's `topic_filter` (ChirpStack's, Tasmota's..., or one under the
        site prefix); its messages go through `parse` (a device profile's mapper,
        controlroom/devices) instead of the contract's parser, then to the bus like any reading."""
        self._extra[topic_filter] = None
        self._sources.add(topic_filter, parse)
        self._sources_under_prefix |= topic_filter.startswith(self.prefix + "/")
        if self._connected:
            self._client.subscribe(topic_filter, qos=1)

    def _guarded(self, callback: MessageCallback) -> Callable:
        def on_message(client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
            self._note_unacked(message)
            try:
                callback(message.topic, message.payload)
            except Exception:  # an extra subscriber's bug must not end the network thread
                self.parser.rejects["internal_error"] += 1
                log.exception("extra subscriber %r failed", callback)
            if not self._batched:
                self._flush()

        return on_message

    # -- paho callbacks (network thread) -----------------------------------------------

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        try:
            if reason_code.is_failure:
                self._set_connected(False, tr("broker refused the connection: {reason}", reason=str(reason_code)))
                return
            if self._acks is not None:
                self._acks.new_connection()
            send_at_once(client)
            topics = [(f"{self.prefix}/{suffix}", 1) for suffix in self.reading_topics + SUBSCRIPTIONS]
            topics += [(topic, 1) for topic in self._extra]
            self._subscribe_mid = client.subscribe(topics)[1]
            client.publish(self.status_topic, "online", qos=1, retain=True)
            log.info("connected to %s:%s (session present: %s)", self.host, self.port, flags.session_present)
            self._set_connected(True, tr("connected to {host}:{port}", host=self.host, port=self.port))
        except Exception:  # never into paho's loop
            log.exception("on_connect failed")

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        if mid != self._subscribe_mid:
            return
        refused = [str(code) for code in reason_codes if code.is_failure]
        if refused:
            log.error("broker refused subscriptions: %s", ", ".join(refused))
        self._subscribed.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self._subscribed.clear()
        try:
            if self._started:
                log.warning("broker link lost (%s); reconnecting", reason_code)
                self._set_connected(False, tr("connection lost, reconnecting: {reason}", reason=str(reason_code)))
            else:
                self._set_connected(False, tr("disconnected"))
        except Exception:
            log.exception("on_disconnect failed")

    def _on_connect_fail(self, client, userdata) -> None:
        try:
            self._set_connected(False, tr("cannot reach the broker at {host}:{port}", host=self.host, port=self.port))
        except Exception:
            log.exception("on_connect_fail failed")

    def _set_connected(self, connected: bool, detail: str) -> None:
        """Publish the link state when it changes (not on every retry)."""
        state = ConnectionState("broker", connected, detail)
        self._connected = connected
        if state != self._last_state:
            self._last_state = state
            self.bus.publish(state)

    def _on_message(self, client, userdata, message: mqtt.MQTTMessage) -> None:
        try:
            route = self._routes.find(message.topic)
        except UnicodeDecodeError:
            route = None  # the parser names it
        if route is not None:
            route(client, userdata, message)
            return
        self._note_unacked(message)
        try:
            self._handle(message, self._parser_for(message))
        except Exception:  # a bug here is counted and logged; the network thread lives on
            self.parser.rejects["internal_error"] += 1
            self._burst_log.warn("internal_error", "failed to handle an MQTT message", exc_info=True)

    def _parser_for(self, message: mqtt.MQTTMessage) -> Callable[[str, bytes, datetime], list]:
        """The contract's parser for the site's topics, a source's mapper for a vendor's."""
        if self._sources.empty:
            return self.parser.parse
        try:
            topic = message.topic
        except UnicodeDecodeError:
            return self.parser.parse
        if topic.startswith(self.prefix + "/") and not self._sources_under_prefix:
            return self.parser.parse  # the contract's readings: no filter to walk
        return self._sources.find(topic) or self.parser.parse

    def _handle(self, message: mqtt.MQTTMessage, parse: Callable[[str, bytes, datetime], list]) -> None:
        """Parse and de-duplicate one message; its events wait in ``_pending`` for _flush()."""
        now = datetime.now(UTC)
        try:
            topic = message.topic
        except UnicodeDecodeError:
            topic = repr(message._topic)  # paho has no public raw topic
        events = parse(topic, message.payload, now)
        pending = self._pending
        seen: set[str] | None = None  # a device's message: one sensor, one timestamp
        seen_key = None
        readings = 0
        for event in events:
            event_type = type(event)
            if event_type is Reading:
                if seen is None or seen_key != (event.sensor_id, event.ts):  # a digest: many
                    seen_key = (event.sensor_id, event.ts)
                    seen = self._recent.metrics_seen(event.sensor_id, event.ts)
                metric = event.metric
                if metric in seen:
                    self._pending_duplicates += 1
                    continue
                seen.add(metric)
                readings += 1
            elif event_type is Rejected:
                self._burst_log.warn(event.reason, "dropped MQTT message on %s: %s (%s)", event.topic, event.reason, event.detail)
            pending.append(event)
        self._pending_received += 1
        self._pending_readings += readings
        self._last_message_at = now
        if not self._batched:
            self._flush()

    @property
    def awaiting_storage(self) -> int:
        """Messages received but not yet acknowledged because their readings are not stored."""
        return self._acks.waiting if self._acks is not None else 0

    def _on_packets_read(self) -> None:
        try:
            self._flush()
        except Exception:  # never into paho's loop
            self.parser.rejects["internal_error"] += 1
            self._burst_log.warn("internal_error", "failed to publish MQTT events", exc_info=True)

    def _note_unacked(self, message: mqtt.MQTTMessage) -> None:
        if self._acks is not None and message.qos == 1:
            self._acks.note(message.mid)

    def _flush(self) -> None:
        """Publish the events of every message read since the last flush as ONE bus batch
        (network thread; paho's loop calls it after each read burst), then count them."""
        received = self._pending_received
        if received:
            events, self._pending = self._pending, []
            self.bus.publish_batch(events)
        if self._acks is not None:
            self._acks.queued()  # after the events are in the writer's inbox
        if not received:
            return
        readings, duplicates = self._pending_readings, self._pending_duplicates
        self._pending_received = self._pending_readings = self._pending_duplicates = 0
        with self._lock:
            self._received += received
            self._readings += readings
            self._duplicates += duplicates
            self._rate.count(received)
