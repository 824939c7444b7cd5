"""Sensor figures without Qt: VN_AQI, live/stale status and limits, water levels and rain."""
