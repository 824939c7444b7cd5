"""The built-in device profiles: how each vendor format's messages become readings.

A profile is plain data: where messages come from (an MQTT topic filter, an HTTP path) and
JMESPath expressions over ``{"topic": [levels], "headers": {...}, "payload": ...}``. A source
in the config names a profile and may override any key. Each format as its own documentation
shows it (the test corpus in tests/devices/corpus/ holds their examples):

- ChirpStack v4: ``application/<id>/device/<devEUI>/event/up``, decoded values in ``object``;
  protobuf JSON leaves out fields that are zero (rssi, snr: ``defaults`` puts them back).
- The Things Stack v3: ``v3/<app>@<tenant>/devices/<device>/up``,
  ``uplink_message.decoded_payload``.
- Tasmota: ``tele/<topic>/SENSOR``, one object per sensor chip, keys like ``"PM2.5"`` (a dot in
  the key), ``Time`` in local time with no offset.
- Zigbee2MQTT: ``zigbee2mqtt/<friendly name>`` (the name may hold slashes), flat JSON; the
  bridge's own topics and availability/set/get are skipped.
- ESPHome: ``<node>/sensor/<name>/state``, a bare number as text, ``nan`` when unknown.
- Sensor.Community: HTTP POST, ``sensordatavalues`` an array of ``{value_type, value}`` with
  values as strings.
- Station files per TT 10/2021/TT-BTNMT: one line per parameter (parameter, value, unit, time
  ``YYYYMMDDhhmmss``, status); status 00 measuring, 01 calibrating, 02 device error.

``fields`` of a profile are its default names for common metrics; they apply only where the
sensor has that metric (a source's own ``fields`` are checked against the config).
"""

from __future__ import annotations

BUILTIN_PROFILES: dict[str, dict] = {
    "chirpstack_v4": {
        "topic": "application/+/device/+/event/up",
        "device": "payload.deviceInfo.devEui",
        "values": "merge(payload.object || `{}`, {rssi: payload.rxInfo[0].rssi, snr: payload.rxInfo[0].snr})",
        "timestamp": "payload.time",
        "timestamp_format": "iso",
        "defaults": {"rssi": 0.0, "snr": 0.0},
    },
    "tts_v3": {
        "topic": "v3/+/devices/+/up",
        "device": "payload.end_device_ids.device_id",
        "values": "payload.uplink_message.decoded_payload",
        "timestamp": "payload.received_at",
        "timestamp_format": "iso",
    },
    "tasmota": {
        "topic": "tele/+/SENSOR",
        "device": "topic[1]",
        "values": "payload",
        "timestamp": "payload.Time",
        "timestamp_format": "iso",
        "fields": {"PM2.5": "pm25", "PM10": "pm10", "PM1": "pm1", "Temperature": "temperature",
                   "Humidity": "humidity", "Pressure": "pressure", "CarbonDioxide": "co2"},
    },
    "zigbee2mqtt": {
        "topic": "zigbee2mqtt/#",
        "skip": ["zigbee2mqtt/bridge/#", "zigbee2mqtt/+/availability", "zigbee2mqtt/+/+/availability",
                 "zigbee2mqtt/+/set", "zigbee2mqtt/+/get", "zigbee2mqtt/+/set/+", "zigbee2mqtt/+/get/+"],
        "device": "join('/', topic[1:])",
        "values": "payload",
        "timestamp": "payload.last_seen",
        "timestamp_format": "auto",
    },
    "esphome": {
        "topic": "+/sensor/+/state",
        "device": "topic[0]",
        "metric": "topic[2]",
        "value": "payload",
    },
    "sensor_community": {
        "http_path": "/sensor-community",
        "device": "payload.esp8266id || headers.\"x-sensor\"",
        "values": "payload.sensordatavalues",
        "fields": {"SDS_P1": "pm10", "SDS_P2": "pm25", "PMS_P0": "pm1", "PMS_P1": "pm10", "PMS_P2": "pm25",
                   "SPS30_P1": "pm10", "SPS30_P2": "pm25", "BME280_temperature": "temperature",
                   "BME280_humidity": "humidity", "BME280_pressure": "pressure", "humidity": "humidity",
                   "temperature": "temperature"},
    },
    "tt10_station": {
        "device": "payload.station",
        "metric": "payload.parameter",
        "value": "payload.value",
        "unit": "payload.unit",
        "timestamp": "payload.time",
        "timestamp_format": "%Y%m%d%H%M%S",
        "status": "payload.status",
        "status_codes": {"00": "ok", "01": "calibrating", "02": "error"},
    },
}
