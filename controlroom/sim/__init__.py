"""The demo simulator: the commune's sensors, devices, loudspeakers and citizen reports over MQTT."""
