"""Where the commune's places are: each village, camera, sensor and loudspeaker must lie near
the commune's map centre. A slipped digit or a swapped latitude and longitude would otherwise
put a sensor or a loudspeaker in another province on the map; the file's check names each one."""

from __future__ import annotations

import math

from controlroom.i18n import tr

MAX_KM_FROM_CENTRE = 40.0  # a commune after the 2025 mergers spans at most some 30 km


def far_from_centre(config) -> list[str]:
    """One message per place more than MAX_KM_FROM_CENTRE from `site.map_center`."""
    lat0, lon0 = config.site.map_center
    problems = []
    for section in ("villages", "cameras", "sensors", "speakers"):
        for i, item in enumerate(getattr(config, section)):
            km = distance_km(lat0, lon0, item.lat, item.lon)
            if km > MAX_KM_FROM_CENTRE:
                problems.append(f"{section}[{i}]: " + tr(
                    "{lat}, {lon} is {km:.0f} km from the commune's map centre (site.map_center), more than "
                    "{limit:.0f} km: a typing slip, or latitude and longitude swapped?",
                    lat=item.lat, lon=item.lon, km=km, limit=MAX_KM_FROM_CENTRE))
    return problems


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), accurate to well under a kilometre here."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, a)))
