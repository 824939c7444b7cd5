"""A camera tile's state badge keeps its detail whole: "since 23:10:45" on a line of its own
where the tile is too narrow for one line, never cut to "since 23:…"."""

from __future__ import annotations

from PyQt6.QtGui import QFont, QFontMetrics

from controlroom.widgets.camera_tile import badge_lines


def _metrics() -> QFontMetrics:
    font = QFont()
    font.setPixelSize(16)
    font.setBold(True)
    return QFontMetrics(font)


def test_one_line_where_it_fits(qapp):
    metrics = _metrics()
    lines = badge_lines(metrics, "MẤT KẾT NỐI", "từ 23:10:45", 1000)
    assert lines == ["MẤT KẾT NỐI  từ 23:10:45"]


def test_a_narrow_tile_puts_the_time_on_its_own_line_whole(qapp):
    metrics = _metrics()
    width = metrics.horizontalAdvance("MẤT KẾT NỐI  từ 23:10:45") - 10  # one line no longer fits
    assert badge_lines(metrics, "MẤT KẾT NỐI", "từ 23:10:45", width) == ["MẤT KẾT NỐI", "từ 23:10:45"]


def test_a_line_still_too_wide_ends_in_an_ellipsis_and_fits(qapp):
    metrics = _metrics()
    width = metrics.horizontalAdvance("khung hình cuối") + 4
    lines = badge_lines(metrics, "ĐỨNG HÌNH", "khung hình cuối 12,5 giây trước", width)
    assert len(lines) == 2 and lines[1].endswith("…")
    assert all(metrics.horizontalAdvance(line) <= width for line in lines)


def test_no_detail_is_one_line(qapp):
    assert badge_lines(_metrics(), "ĐANG KẾT NỐI", "", 40)[0].endswith("…")
