"""The site's headless service (`controlroom serve`): the core with every duty, its presence
and health on MQTT, and the command channel operators' consoles send their actions through.

No Qt here. `ControlRoomService(config, …)` builds the core; `start()`/`stop()`.
"""
