"""A paho-mqtt Client that reads the socket in chunks: fewer syscalls, less GIL hand-off.

Used by ``controlroom.feeds.mqtt_feed``; falls back to the stock Client if paho's internals move
(``PAHO_INTERNALS_OK``).
"""

from __future__ import annotations

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

_PUBACK = 0x40  # MQTT control packet type 4, in the high nibble
# An empty PUBLISH property set, copied per message: Properties() builds four tables and
# clear() probes 27 attributes, ~1/3 of paho's cost per message when done per message.
_EMPTY_PUBLISH_PROPERTIES = Properties(PacketTypes.PUBLISH).__dict__


class BufferedClient(mqtt.Client):
    """paho's Client, reading the socket in 64 KiB chunks and every waiting packet per wake-up.

    Stock paho 2.x reads a packet with 3-4 recv() calls (command byte, length bytes, body) and
    handles one packet per select(). Each syscall releases the GIL, and with a busy storage
    writer in the same process each re-acquire can wait a switch interval: at thousands of
    messages/s that, not parsing, was the feed's limit. Reading until the socket is empty is
    bounded by the Receive Maximum we announce (the broker stops sending until we PUBACK).
    Relies on paho internals (``_sock_recv``, ``_packet_read``): checked at import below.

    ``on_packets_read`` (optional, no arguments) is called after each run of packets read in
    one wake-up (and every ``_SERVICE_EVERY`` packets in a long flood): the feed publishes the
    readings of all those messages on the bus as ONE batch there."""

    _CHUNK = 65536
    _SERVICE_EVERY = 256
    _COALESCE_MAX = 1024

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._rbuf = b""
        self._rpos = 0
        self._rsock = None
        # any message_callback_add() (or paho's internals moved): paho's own dispatch must run
        self._filtered_callbacks = not all(hasattr(self, n) for n in ("_in_callback_mutex", "_userdata"))
        self.on_packets_read = None

    def message_callback_add(self, sub: str, callback) -> None:
        self._filtered_callbacks = True
        super().message_callback_add(sub, callback)

    def _sock_recv(self, bufsize: int) -> bytes:
        if self._sock is not self._rsock:  # new connection: forget bytes of the old one
            self._rsock, self._rbuf, self._rpos = self._sock, b"", 0
        if self._rpos >= len(self._rbuf):
            data = super()._sock_recv(self._CHUNK)  # BlockingIOError when empty, b"" on EOF
            if not data:
                return data
            self._rbuf, self._rpos = data, 0
        start = self._rpos
        self._rpos = min(start + bufsize, len(self._rbuf))
        return self._rbuf[start:self._rpos]

    def _handle_publish(self) -> mqtt.MQTTErrorCode:
        """Fast path for the common PUBLISH: MQTT 5 without properties (or 3.1.1), QoS 0/1;
        with ``manual_ack`` the application sends the PUBACK (``ack()``). Same message and ack as paho's, minus its per-message Properties
        tables, debug-log formatting and MQTTMessageInfo (a Condition; ``message.info`` is
        None on received messages). Anything else goes to paho's own handler."""
        packet = self._in_packet["packet"]
        header = self._in_packet["command"]
        qos = (header & 0x06) >> 1
        if qos > 1 or len(packet) < 2:
            return super()._handle_publish()
        topic_end = 2 + ((packet[0] << 8) | packet[1])
        position = topic_end + 2 if qos else topic_end
        v5 = self._protocol == mqtt.MQTTv5
        if v5:
            if len(packet) <= position or packet[position] != 0:  # properties present
                return super()._handle_publish()
            position += 1
        if len(packet) < position or topic_end == 2:
            return super()._handle_publish()  # paho raises its own MalformedPacket
        mid = ((packet[topic_end] << 8) | packet[topic_end + 1]) if qos else 0
        message = mqtt.MQTTMessage.__new__(mqtt.MQTTMessage)
        message.timestamp = mqtt.time_func()
        message.state = mqtt.mqtt_ms_invalid
        message.dup = (header & 0x08) != 0
        message.mid = mid
        message._topic = bytes(packet[2:topic_end])
        message.payload = bytes(packet[position:])
        message.qos = qos
        message.retain = (header & 0x01) != 0
        message.info = None
        if v5:
            properties = Properties.__new__(Properties)
            properties.__dict__.update(_EMPTY_PUBLISH_PROPERTIES)
            message.properties = properties
        else:
            message.properties = None
        on_message = self.on_message
        if self._filtered_callbacks or on_message is None:
            self._handle_on_message(message)
        else:  # paho's own path minus its topic matcher (a tree walk per message, here empty)
            with self._in_callback_mutex:
                try:
                    on_message(self, self._userdata, message)
                except Exception:
                    if not self.suppress_exceptions:
                        raise
        if qos == 0 or self._manual_ack:
            return mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS
        return self._send_puback(mid)

    def _packet_write(self) -> mqtt.MQTTErrorCode:
        # Coalesce the PUBACKs waiting at the head of the queue into one send() (they carry no
        # callbacks); paho then handles the merged packet, partial writes included, as one.
        queue = self._out_packet
        if len(queue) > 1 and (queue[0]["command"] & 0xF0) == _PUBACK and queue[0]["pos"] == 0:
            parts = []
            while queue and len(parts) < self._COALESCE_MAX:
                head = queue[0]
                if (head["command"] & 0xF0) != _PUBACK or head["pos"] != 0:
                    break
                parts.append(bytes(queue.popleft()["packet"]))
            data = b"".join(parts)
            queue.appendleft(
                {"command": _PUBACK, "mid": 0, "qos": 0, "pos": 0, "to_process": len(data), "packet": data, "info": None}
            )
        return super()._packet_write()

    def loop_read(self, max_packets: int = 1) -> mqtt.MQTTErrorCode:
        # While we read, the PUBACKs we queue need no wake-up byte on the socket pair (one
        # more syscall each): the loop's next select() sees want_write() and writes them.
        wake, self._sockpairW = self._sockpairW, None
        try:
            packets = 0
            while True:
                if self._sock is None:
                    return mqtt.MQTTErrorCode.MQTT_ERR_NO_CONN
                rc = self._packet_read()
                if rc == mqtt.MQTTErrorCode.MQTT_ERR_AGAIN:  # socket and buffer both empty
                    return mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS
                if rc > 0:
                    return self._loop_rc_handle(rc)
                packets += 1
                if packets % self._SERVICE_EVERY == 0:
                    self._packets_read()
                    # a long flood (QoS 0 has no in-flight window): send the queued PUBACKs
                    # and keep-alive pings without leaving, or buffered packets would wait
                    # for the socket to become readable again
                    rc = self.loop_write() or self.loop_misc()
                    if rc:
                        return rc
        finally:
            if self._sockpairW is None:
                self._sockpairW = wake
            self._packets_read()

    def _packets_read(self) -> None:
        hook = self.on_packets_read
        if hook is not None:
            hook()


PAHO_INTERNALS_OK = (
    all(
        hasattr(mqtt.Client, name)
        for name in (
            "_sock_recv", "_packet_read", "_packet_write", "_loop_rc_handle", "_packet_queue",
            "_handle_publish", "_handle_on_message", "_send_puback",
        )
    )
    and all(hasattr(mqtt, name) for name in ("time_func", "mqtt_ms_invalid"))
    and mqtt.PUBACK == _PUBACK
    and set(mqtt.MQTTMessage.__slots__)
    == {"_topic", "dup", "info", "mid", "payload", "properties", "qos", "retain", "state", "timestamp"}
)
