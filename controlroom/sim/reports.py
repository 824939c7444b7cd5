"""Simulated citizen reports (phản ánh hiện trường) for the demo simulator.

Reports are Vietnamese data (what a resident types into the feedback app), not UI text, so
they are not translated. Village names come from the config; nothing here names a commune.
During a flood (the upstream station above alarm level I) reports come more often and are
mostly about water; otherwise they are everyday matters. Seeded: same seed, same reports.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from controlroom.config import Config, VillageConfig

# (category, text template). {village} = village name, {depth} cm, {hamlet} a hamlet number,
# {hhmm} a clock time. Categories are stable English slugs; the UI labels them.
FLOOD_REPORTS: list[tuple[str, str]] = [
    ("flooding", "Nước tràn qua đường liên thôn {village}, sâu khoảng {depth} cm, xe máy không qua được"),
    ("flooding", "Nước sông dâng nhanh, đã vào sân nhiều nhà ở xóm {hamlet} thôn {village}"),
    ("flooding", "Xóm {hamlet} thôn {village} bị ngập, cần hỗ trợ di dời người già và trẻ em"),
    ("flooding", "Đường vào trường học thôn {village} ngập {depth} cm, đề nghị cắm biển cảnh báo"),
    ("flooding", "Ao cá và ruộng thôn {village} bị ngập, cá có nguy cơ tràn bờ"),
    ("flooding", "Cống thoát nước thôn {village} bị tắc, nước không rút được"),
    ("fallen_tree", "Cây đổ chắn đường thôn {village}, cần xử lý gấp"),
    ("fallen_tree", "Cành cây gãy đè lên dây điện gần nhà văn hóa thôn {village}"),
    ("landslide", "Sạt lở bờ sông đoạn qua xóm {hamlet} thôn {village}, đề nghị khoanh vùng cảnh báo"),
    ("power_outage", "Mất điện toàn xóm {hamlet} thôn {village} từ {hhmm}"),
    ("rescue", "Một hộ ở xóm {hamlet} thôn {village} bị nước cô lập, cần thuyền hỗ trợ"),
]

EVERYDAY_REPORTS: list[tuple[str, str]] = [
    ("environment", "Rác thải ùn ứ ven đường thôn {village}, đề nghị thu gom"),
    ("environment", "Có mùi hôi từ kênh thoát nước xóm {hamlet} thôn {village}"),
    ("environment", "Đốt rơm rạ gây khói bụi ở cánh đồng thôn {village}"),
    ("traffic", "Ổ gà lớn trên đường liên thôn {village}, nguy hiểm cho xe máy ban đêm"),
    ("infrastructure", "Đèn chiếu sáng hỏng đoạn đường qua xóm {hamlet} thôn {village}"),
    ("infrastructure", "Cột điện nghiêng ở xóm {hamlet} thôn {village}, đề nghị kiểm tra"),
    ("public_order", "Tụ tập gây ồn ào sau 22 giờ ở xóm {hamlet} thôn {village}"),
    ("fallen_tree", "Cây đổ chắn đường thôn {village}, cần xử lý gấp"),
    ("animal", "Trâu bò thả rông trên đường liên thôn {village}, dễ gây tai nạn"),
]

_FAMILY = ["Nguyễn", "Trần", "Lê", "Phan", "Hoàng", "Võ", "Huỳnh", "Đặng", "Phạm", "Hồ"]
_MIDDLE_MEN = ["Văn", "Đình", "Hữu", "Quang", "Minh"]
_MIDDLE_WOMEN = ["Thị", "Ngọc", "Thanh", "Thu"]
_GIVEN_MEN = ["Hùng", "Minh", "Tuấn", "Dũng", "Phúc", "Sơn", "Thắng", "Long", "Bình"]
_GIVEN_WOMEN = ["Lan", "Hoa", "Mai", "Hương", "Thảo", "Hằng", "Nga", "Linh", "Trang"]


@dataclass(frozen=True)
class SimReport:
    report_id: str
    payload: dict


def _point_in_polygon(lat: float, lon: float, polygon: list[tuple[float, float]]) -> bool:
    inside = False
    j = len(polygon) - 1
    for i in range(len(polygon)):
        (lat_i, lon_i), (lat_j, lon_j) = polygon[i], polygon[j]
        if (lon_i > lon) != (lon_j > lon) and lat < (lat_j - lat_i) * (lon - lon_i) / (lon_j - lon_i) + lat_i:
            inside = not inside
        j = i
    return inside


# People type reports at people's pace, however fast the simulated clock runs: at 60x, one
# report per simulated hour is one a minute, which alone passes the alarm-flood limit (more than
# 10 new alerts in 10 minutes) and showed "alarm flood" at a calm river. The mean gap is the
# simulated one or this many wall-clock minutes, whichever is longer.
EVERYDAY_MEAN_WALL_MIN = 6.0
FLOOD_MEAN_WALL_MIN = 2.5


class ReportGenerator:
    """Draws the next report: when (simulated seconds) and what. Call in time order."""

    def __init__(self, config: Config, seed: int, start: datetime,
                 everyday_mean_min: float = 60.0, flood_mean_min: float = 15.0, time_scale: float = 1.0):
        self._villages = list(config.villages)
        self._low_lying = [v for v in self._villages if v.low_lying] or self._villages
        self._rng = random.Random(f"{seed}:reports")
        self._everyday_mean_s = max(everyday_mean_min, EVERYDAY_MEAN_WALL_MIN * time_scale) * 60.0
        self._flood_mean_s = max(flood_mean_min, FLOOD_MEAN_WALL_MIN * time_scale) * 60.0
        self._id_stem = f"sim-{seed}-{start:%Y%m%d%H%M%S}".replace("--", "-m")
        self._count = 0

    def gap_s(self, flooding: bool) -> float:
        """Simulated seconds until the next report (Poisson arrivals)."""
        mean = self._flood_mean_s if flooding else self._everyday_mean_s
        return max(30.0, self._rng.expovariate(1.0 / mean))

    def make(self, ts: datetime, local_ts: datetime, flooding: bool) -> SimReport:
        rng = self._rng
        self._count += 1
        if flooding and rng.random() < 0.85:
            category, template = rng.choice(FLOOD_REPORTS)
            village = rng.choice(self._low_lying)
        else:
            category, template = rng.choice(EVERYDAY_REPORTS)
            village = rng.choice(self._villages)
        text = template.format(
            village=village.name,
            depth=rng.choice([20, 30, 40, 50, 60, 80]),
            hamlet=rng.randint(1, 6),
            hhmm=f"{local_ts:%H}:{rng.choice(['00', '15', '30', '45'])}",
        )
        lat, lon = self._position(village)
        report_id = f"{self._id_stem}-{self._count:04d}"
        payload = {
            "ts": ts.isoformat(timespec="milliseconds"),
            "category": category,
            "text": text,
            "lat": round(lat, 6),
            "lon": round(lon, 6),
            "photo_url": None,  # demo reports carry no photo (nothing may leave loopback)
            "reporter": self._reporter(),
        }
        return SimReport(report_id, payload)

    def _position(self, village: VillageConfig) -> tuple[float, float]:
        rng = self._rng
        outline = list(village.outline)
        if len(outline) >= 3:
            lats = [p[0] for p in outline]
            lons = [p[1] for p in outline]
            for _ in range(50):
                lat, lon = rng.uniform(min(lats), max(lats)), rng.uniform(min(lons), max(lons))
                if _point_in_polygon(lat, lon, outline):
                    return lat, lon
        return village.lat + rng.uniform(-0.0015, 0.0015), village.lon + rng.uniform(-0.0015, 0.0015)

    def _reporter(self) -> str:
        rng = self._rng
        if rng.random() < 0.5:
            return f"{rng.choice(_FAMILY)} {rng.choice(_MIDDLE_MEN)} {rng.choice(_GIVEN_MEN)}"
        return f"{rng.choice(_FAMILY)} {rng.choice(_MIDDLE_WOMEN)} {rng.choice(_GIVEN_WOMEN)}"
