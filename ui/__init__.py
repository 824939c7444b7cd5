"""The console (Qt), grouped like the core: shell, screens, access, alerts, broadcast, cameras,
flood, map, sensors, reports."""
