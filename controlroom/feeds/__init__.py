"""Feeds: how readings reach the room — the MQTT link (parsing, de-duplication, acknowledgement
after storage) and finding or starting the broker. The core builds the feed; it is not a duty
with a setup of its own."""
