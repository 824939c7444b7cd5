"""Reports that leave the room as documents: the daily report (báo cáo ngày), the quick damage
report as XLSX, the shift log, CSV exports of series."""
