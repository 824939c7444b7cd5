"""Indicators of the quick damage report (báo cáo nhanh tình hình thiên tai và thiệt hại).

Groups and indicators follow the damage statistics of Joint Circular
43/2015/TTLT-BNNPTNT-BKHĐT (23/11/2015, in force 30/12/2015): people, houses, education,
health, culture, agriculture (crops, livestock), irrigation, transport, aquaculture,
communications, power; plus the situation figures a commune reports with it (people
evacuated, isolated households, flood depth). A commune reports the subset it can count; the
labels are the Vietnamese terms of the form (data, not UI chrome).
Figures are cumulative over the event; flood depth takes the maximum, everything else sums.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Indicator:
    code: str
    group: str
    label: str
    unit: str
    agg: str = "sum"  # "sum" over villages, or "max"


GROUPS = {
    "situation": "Tình hình chung",
    "people": "I. Về người",
    "houses": "II. Về nhà ở",
    "education": "III. Về giáo dục",
    "health": "IV. Về y tế",
    "culture": "V. Về văn hóa",
    "crops": "VI. Về nông nghiệp — trồng trọt",
    "livestock": "VI. Về nông nghiệp — chăn nuôi",
    "irrigation": "VII. Về thủy lợi",
    "transport": "VIII. Về giao thông",
    "aquaculture": "IX. Về thủy sản",
    "telecoms": "X. Về thông tin liên lạc",
    "power": "XI. Về năng lượng (điện)",
}

INDICATORS: tuple[Indicator, ...] = (
    Indicator("flood_depth_m", "situation", "Độ sâu ngập lớn nhất", "m", "max"),
    Indicator("isolated_households", "situation", "Số hộ bị chia cắt, cô lập", "hộ"),
    Indicator("evacuated_households", "situation", "Số hộ phải sơ tán", "hộ"),
    Indicator("evacuated_people", "situation", "Số người phải sơ tán", "người"),
    Indicator("dead", "people", "Số người chết", "người"),
    Indicator("missing", "people", "Số người mất tích", "người"),
    Indicator("injured", "people", "Số người bị thương", "người"),
    Indicator("affected_households", "people", "Số hộ bị ảnh hưởng", "hộ"),
    Indicator("houses_destroyed", "houses", "Nhà bị sập đổ, cuốn trôi", "cái"),
    Indicator("houses_damaged", "houses", "Nhà bị hư hỏng", "cái"),
    Indicator("houses_flooded", "houses", "Nhà bị ngập nước", "cái"),
    Indicator("schools_damaged", "education", "Điểm trường bị hư hỏng", "điểm"),
    Indicator("classrooms_flooded", "education", "Phòng học bị ngập", "phòng"),
    Indicator("health_damaged", "health", "Cơ sở y tế bị hư hỏng, ngập", "cơ sở"),
    Indicator("culture_damaged", "culture", "Công trình văn hóa bị hư hỏng", "công trình"),
    Indicator("rice_ha", "crops", "Diện tích lúa bị thiệt hại", "ha"),
    Indicator("vegetables_ha", "crops", "Diện tích hoa màu bị thiệt hại", "ha"),
    Indicator("cattle_dead", "livestock", "Gia súc bị chết, cuốn trôi", "con"),
    Indicator("poultry_dead", "livestock", "Gia cầm bị chết, cuốn trôi", "con"),
    Indicator("dikes_damaged_m", "irrigation", "Đê, kè bị sạt lở, hư hỏng", "m"),
    Indicator("canals_damaged_m", "irrigation", "Kênh mương bị sạt lở, hư hỏng", "m"),
    Indicator("roads_damaged_m", "transport", "Đường giao thông bị sạt lở, hư hỏng", "m"),
    Indicator("roads_flooded_points", "transport", "Điểm giao thông bị ngập, chia cắt", "điểm"),
    Indicator("ponds_damaged_ha", "aquaculture", "Diện tích nuôi trồng thủy sản bị thiệt hại", "ha"),
    Indicator("telecom_poles_down", "telecoms", "Cột thông tin bị gãy, đổ", "cột"),
    Indicator("power_poles_down", "power", "Cột điện bị gãy, đổ", "cột"),
)

BY_CODE = {i.code: i for i in INDICATORS}
