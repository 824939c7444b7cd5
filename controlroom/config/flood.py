"""Settings of the flood duty (trực ban phòng chống lũ): risk-level boundaries, bulletins, reports.

Kept apart from ``config/schema.py`` so the duty's legal numbers sit next to their citations; the
site config carries one ``[flood]`` table validated by ``FloodDutyConfig``.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from controlroom.config.base import StrictModel
from controlroom.i18n import tr


class RiskBoundary(StrictModel):
    """Risk level ``level`` starts at alarm level ``alarm`` (1-3) plus ``offset_m`` metres."""

    level: int = Field(ge=1, le=5)
    alarm: int = Field(ge=1, le=3)
    offset_m: float = 0.0
    clause: str = ""


# Decision 18/2021/QĐ-TTg, Điều 45 (cấp độ rủi ro thiên tai do lũ, ngập lụt), for a
# hydrological station of "khu vực 4" on one river basin:
#   khoản 2 điểm a: BĐ1 to below BĐ2            -> cấp 2
#   khoản 3 điểm a: BĐ2 to below BĐ3 + 0.3 m    -> cấp 3
#   khoản 4:        BĐ3 + 0.3 m to below BĐ3 + 1.0 m -> cấp 4
#   khoản 5:        BĐ3 + 1.0 m and above       -> cấp 5
# Areas 1-3 map the same heights to lower levels (khoản 1 and 2 name them); the built-in table
# is area 4's only, so a site of another area must list its own boundaries (validated below).
DEFAULT_BOUNDARIES = (
    RiskBoundary(level=2, alarm=1, offset_m=0.0, clause="QĐ 18/2021/QĐ-TTg Điều 45 khoản 2 điểm a"),
    RiskBoundary(level=3, alarm=2, offset_m=0.0, clause="QĐ 18/2021/QĐ-TTg Điều 45 khoản 3 điểm a"),
    RiskBoundary(level=4, alarm=3, offset_m=0.3, clause="QĐ 18/2021/QĐ-TTg Điều 45 khoản 4"),
    RiskBoundary(level=5, alarm=3, offset_m=1.0, clause="QĐ 18/2021/QĐ-TTg Điều 45 khoản 5"),
)

DEFAULT_TEMPLATE = (
    "Bản tin cảnh báo lũ của {unit}, phát lúc {issued}. "
    "Mực nước {station} là {level} mét, {alarm}, {trend}. "
    "Cấp độ rủi ro thiên tai do lũ, ngập lụt: cấp {risk}. "
    "Các thôn có nguy cơ ngập: {villages}. "
    "Đề nghị bà con chủ động di dời người và tài sản đến nơi an toàn, không qua lại vùng nước sâu, nước chảy xiết."
)


class FloodDutyConfig(StrictModel):
    """The flood duty of one commune: ``[flood]`` in the site TOML (all keys optional)."""

    risk_area: int = Field(default=4, ge=1, le=4, description="khu vực of the station per QĐ 18/2021 Điều 45")
    risk_source: str = "Quyết định 18/2021/QĐ-TTg ngày 22/4/2021, Điều 4 (màu) và Điều 45 (lũ, ngập lụt)"
    risk_boundaries: list[RiskBoundary] = list(DEFAULT_BOUNDARIES)
    bulletin_zone: str | None = Field(default=None, description="the [[zones]] id a flood bulletin warns")
    bulletin_repeat_min: float = Field(default=60.0, gt=0)
    report_categories: list[str] = Field(
        default=["flooding", "rescue", "landslide"],
        description="citizen report categories that are flood alerts (the queue's flood filter, flood mode)")
    bulletin_template: str = DEFAULT_TEMPLATE
    damage_source: str = ("Thông tư liên tịch 43/2015/TTLT-BNNPTNT-BKHĐT ngày 23/11/2015 "
                          "hướng dẫn thống kê, đánh giá thiệt hại do thiên tai gây ra")
    report_deadline: str = Field(default="17:00", pattern=r"^\d{2}:\d{2}$")
    report_reminder_min: int = Field(default=60, ge=0)
    report_recipients: list[str] = []
    report_issuer: str = ""  # e.g. "Ban Chỉ huy phòng thủ dân sự xã"

    @model_validator(mode="after")
    def _ordered(self) -> "FloodDutyConfig":
        keys = [(b.alarm, b.offset_m) for b in self.risk_boundaries]
        levels = [b.level for b in self.risk_boundaries]
        if keys != sorted(keys) or levels != sorted(levels) or len(set(levels)) != len(levels):
            raise ValueError(tr("flood risk boundaries must rise in level and height"))
        return self

    @model_validator(mode="after")
    def _area_has_its_own_boundaries(self) -> "FloodDutyConfig":
        """The built-in boundaries are area 4's; under them an area 1-3 station would show a
        higher level than Điều 45 gives it (BĐ1 is cấp 1 there, cấp 2 in area 4)."""
        if self.risk_area != 4 and "risk_boundaries" not in self.model_fields_set:
            raise ValueError(tr("flood: risk_area = {area} needs its own [[flood.risk_boundaries]] from "
                                "QĐ 18/2021/QĐ-TTg Điều 45; the built-in ones are for area 4 only",
                                area=self.risk_area))
        return self
