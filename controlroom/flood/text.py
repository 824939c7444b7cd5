"""Spoken Vietnamese text of flood warning bulletins, filled from the live station state.

The template is site data (``config.flood.bulletin_template``) because the words go out over
the village loudspeakers; only numbers, times and names are filled in here.
"""

from __future__ import annotations

from datetime import datetime

from controlroom.config import Config

_ROMAN = {1: "I", 2: "II", 3: "III"}


def vn_number(value: float, digits: int = 2) -> str:
    """4.62 -> "4,62" (Vietnamese decimal comma)."""
    return f"{value:.{digits}f}".replace(".", ",")


def vn_time(ts: datetime, config: Config) -> str:
    local = ts.astimezone(config.site.tz)
    return f"{local:%H} giờ {local:%M} ngày {local:%d/%m/%Y}"


def alarm_phrase(height_m: float | None, alarm_level: int, config_alarm) -> str:
    """Where the water stands against the station's levels. Levels the commune set itself are
    "mức cảnh báo … của xã": villagers hear "mức báo động" as the state's official levels."""
    if height_m is None:
        return "chưa có số đo"

    def name(level: int) -> str:
        roman = _ROMAN[level]
        return f"mức báo động {roman}" if config_alarm.official else f"mức cảnh báo {roman} của xã"

    if alarm_level == 0:
        return f"dưới {name(1)} {vn_number(config_alarm.level_1 - height_m)} mét"
    top = (config_alarm.level_1, config_alarm.level_2, config_alarm.level_3)[alarm_level - 1]
    if height_m - top < 0.005:
        return f"ở {name(alarm_level)}"
    return f"trên {name(alarm_level)} {vn_number(height_m - top)} mét"


def trend_phrase(trend_cm_h: float | None) -> str:
    if trend_cm_h is None:
        return "chưa đủ số liệu xu thế"
    if trend_cm_h >= 2:
        return f"đang lên {round(trend_cm_h)} xăng-ti-mét mỗi giờ"
    if trend_cm_h <= -2:
        return f"đang xuống {round(-trend_cm_h)} xăng-ti-mét mỗi giờ"
    return "ít thay đổi"


def bulletin_text(config: Config, *, station_name: str, height_m: float | None, alarm_level: int, alarm,
                  trend_cm_h: float | None, risk_level: int | None, village_names: list[str], issued: datetime,
                  forecast: bool = False, old_reading_at: datetime | None = None) -> str:
    """`old_reading_at`: the level is the station's last reading, too old to be the water now (a
    silent gauge, a restart): it is quoted with its time, with neither its place against the
    alarm levels nor a trend, and a risk level it set says so. `risk_level` None: no level set
    (no live reading since the start): said as not known, never as level 0."""
    unit = ", ".join(x for x in (config.site.unit_name or config.site.name, config.site.province) if x)
    old = vn_time(old_reading_at, config) if old_reading_at is not None and height_m is not None else None
    if risk_level is None:
        risk = "chưa xác định (chưa có số đo mực nước mới)"
    else:
        risk = str(risk_level) + (" (theo dự báo)" if forecast else f" theo số đo lúc {old}" if old else "")
        if alarm is not None and not alarm.official and risk_level > 0:
            risk += " (ước tính theo mức cảnh báo của xã, chưa phải cấp độ do cơ quan chức năng công bố)"
    where = (f"theo số đo cũ lúc {old}, trạm chưa gửi số đo mới" if old
             else alarm_phrase(height_m, alarm_level, alarm))
    return config.flood.bulletin_template.format(
        unit=unit, issued=vn_time(issued, config), station=station_name,
        level=vn_number(height_m) if height_m is not None else "chưa rõ",
        alarm=where, trend=trend_phrase(None if old else trend_cm_h),
        risk=risk, villages=", ".join(village_names) or "toàn xã")


def repeat_text(config: Config, text: str, issued: datetime) -> str:
    """A repeat says it repeats, and when the bulletin was first issued."""
    return f"Nhắc lại bản tin cảnh báo lũ phát lúc {vn_time(issued, config)}. {text}"
