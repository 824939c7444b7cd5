"""The duty log and quick damage report tabs of the flood duty panel (see flood_duty_panel)."""

from __future__ import annotations

from datetime import datetime, timezone
from html import escape

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QHeaderView, QLabel,
                             QLineEdit, QListWidget, QPushButton, QTableWidget, QTableWidgetItem,
                             QVBoxLayout, QWidget)

from controlroom.flood.damage_indicators import GROUPS, INDICATORS
from controlroom.flood.damage_report import commune_totals
from controlroom.flood.duty_log import entry_text
from controlroom.i18n import format_number, tr
from controlroom.paths import data_dir
from controlroom.widgets.flow_layout import FlowLayout


def _num(value: float) -> str:
    if not value:
        return ""
    return format_number(value, 0 if float(value).is_integer() else 2)


class HandoverDialog(QDialog):
    """Both officers sign with their passwords; checked off the GUI thread by the caller."""

    def __init__(self, outgoing: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Shift handover"))
        form = QFormLayout(self)
        form.addRow(tr("Outgoing officer"), QLabel(outgoing))
        self.out_password = QLineEdit(self)
        self.out_password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(tr("Outgoing officer's password"), self.out_password)
        self.incoming = QLineEdit(self)
        form.addRow(tr("Incoming officer (user name)"), self.incoming)
        self.in_password = QLineEdit(self)
        self.in_password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(tr("Incoming officer's password"), self.in_password)
        self.note = QLineEdit(self)
        form.addRow(tr("Handover note"), self.note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


class DutyLogTab(QWidget):
    def __init__(self, panel) -> None:
        super().__init__(panel)
        self.panel = panel
        self.log = panel.duty.duty_log
        layout = QVBoxLayout(self)
        self.shift_label = QLabel(self)
        self.shift_label.setWordWrap(True)
        layout.addWidget(self.shift_label)
        row = FlowLayout()  # wraps in a narrow dock instead of widening it
        self.buttons: dict[str, QPushButton] = {}
        for key, text, slot in (("start", tr("Start my shift"), self.start_shift), ("handover", tr("Handover…"), self.handover),
                                ("verify", tr("Verify"), self.verify), ("pdf", tr("Export PDF"), self.export_pdf),
                                ("refresh", tr("Refresh"), self.reload)):
            button = self.buttons[key] = QPushButton(text, self)
            button.clicked.connect(slot)
            row.addWidget(button)
        layout.addLayout(row)
        self.entries = QListWidget(self)
        layout.addWidget(self.entries, 1)
        note_row = QHBoxLayout()
        self.note = QLineEdit(self)
        self.note.setPlaceholderText(tr("Write a duty log entry and press Enter"))
        self.note.returnPressed.connect(self.add_note)
        note_row.addWidget(self.note, 1)
        layout.addLayout(note_row)
        self._shift = None
        self.reload()

    def role_controls(self) -> list[tuple[QWidget, str]]:
        """What the panel's role gate disables: a viewer neither takes a shift nor writes a note."""
        return [(self.buttons["start"], "duty.shift"), (self.buttons["handover"], "duty.shift"), (self.note, "duty.note")]

    def reload(self) -> None:
        def load():
            shift = self.log.current_shift() or (self.log.shifts()[-1] if self.log.shifts() else None)
            return shift, (self.log.entries(shift) if shift else [])
        self.panel.worker.run(load, self._show)

    def _show(self, result) -> None:
        shift, entries = result
        self._shift = shift
        tz = self.panel.config.site.tz
        if shift is None:
            self.shift_label.setText(tr("No shift open. Start your shift to keep the duty log."))
        elif shift.signed_off:
            self.shift_label.setText(tr("Last shift: {name}, signed off at {t}", name=shift.officer_name,
                                        t=f"{shift.ended_at.astimezone(tz):%H:%M %d/%m}"))
        else:
            self.shift_label.setText(tr("On duty: {name} since {t}", name=shift.officer_name,
                                        t=f"{shift.started_at.astimezone(tz):%H:%M %d/%m}"))
        self.entries.clear()
        for entry in entries:
            self.entries.addItem(f"{entry.ts.astimezone(tz):%H:%M:%S}  {entry_text(entry)}  — {entry.actor}")
        self.entries.scrollToBottom()

    def start_shift(self) -> None:
        operator = self.panel.operator()
        self.panel.worker.run(lambda: self.log.start_shift(operator), lambda _r: self.reload())

    def add_note(self) -> None:
        text = self.note.text().strip()
        if not text:
            return
        operator = self.panel.operator()
        self.note.clear()
        self.panel.worker.run(lambda: self.log.note(operator, text).result(timeout=30), lambda _r: self.reload())

    def handover(self) -> None:
        shift = self.log_shift()
        if shift is None or shift.signed_off:
            return
        dialog = HandoverDialog(shift.officer_name, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        out_pw, inc, in_pw, note = (dialog.out_password.text(), dialog.incoming.text().strip(),
                                    dialog.in_password.text(), dialog.note.text())
        acting = self.panel.operator()
        self.panel.worker.run(lambda: self.log.handover_signed(acting, out_pw, inc, in_pw, note),
                              lambda _r: self.reload())

    def log_shift(self):
        return self._shift

    def verify(self) -> None:
        shift = self._shift
        if shift is None:
            return

        def show(result):
            ok, reason = result
            self.panel.notify(tr("The duty log is intact.") if ok else reason, error=not ok)

        self.panel.worker.run(lambda: self.log.verify_shift(shift), show)

    def export_pdf(self) -> None:
        shift = self._shift
        if shift is None:
            return
        config = self.panel.config
        path = data_dir() / "reports" / f"so-truc-ban-{shift.id}.pdf"

        def build():
            from controlroom.ui.reports.pdf import SERIF, html_to_pdf
            tz = config.site.tz
            rows = "".join(f"<tr><td>{e.ts.astimezone(tz):%H:%M:%S %d/%m}</td><td>{escape(entry_text(e))}</td>"
                           f"<td>{escape(e.actor)}</td></tr>" for e in self.log.entries(shift))
            ok, reason = self.log.verify_shift(shift)
            html = (f"<h2>SỔ TRỰC BAN — {escape((config.site.unit_name or config.site.name).upper())}</h2>"
                    f"<p>{escape(config.site.province)} · {escape(shift.officer_name)} · "
                    f"{shift.started_at.astimezone(tz):%H:%M %d/%m/%Y} → "
                    f"{shift.ended_at.astimezone(tz).strftime('%H:%M %d/%m/%Y') if shift.ended_at else '…'}</p>"
                    f"<table border='1' cellspacing='0' cellpadding='3' width='100%'>{rows}</table>"
                    f"<p><i>{escape(tr('Audit chain verified.') if ok else reason)}</i></p>")
            return html_to_pdf(html, path, "Sổ trực ban", fonts=SERIF, margins_mm=(15, 12, 12, 12))

        self.panel.worker.run(build, lambda p: self.panel.notify(tr("Saved {path}", path=str(p))))


class DamageTab(QWidget):
    """Indicators down, villages across, the commune total on the right; edit, save, export."""

    def __init__(self, panel) -> None:
        super().__init__(panel)
        self.panel = panel
        self.reports = panel.duty.damage
        self.villages = [(v.id, v.name) for v in panel.config.villages]
        layout = QVBoxLayout(self)
        row = FlowLayout()
        self.event_box = QComboBox(self)
        self.event_box.setMinimumContentsLength(24)
        row.addWidget(QLabel(tr("Event")))
        row.addWidget(self.event_box)
        self.buttons: dict[str, QPushButton] = {}
        for key, text, slot in (("new", tr("New flood event"), self.new_event), ("save", tr("Save figures"), self.save),
                                ("export", tr("Export PDF and XLSX"), self.export)):
            button = self.buttons[key] = QPushButton(text, self)
            button.clicked.connect(slot)
            row.addWidget(button)
        layout.addLayout(row)
        self.deadline = QLabel(self)
        layout.addWidget(self.deadline)
        self.table = QTableWidget(len(INDICATORS), len(self.villages) + 2, self)
        self.table.setHorizontalHeaderLabels([tr("Unit")] + [name for _, name in self.villages] + [tr("Commune total")])
        self.table.setVerticalHeaderLabels([(GROUPS[i.group].split(".")[0] + ". " if "." in GROUPS[i.group] else "")
                                            + i.label for i in INDICATORS])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemChanged.connect(self._recalc)
        layout.addWidget(self.table, 1)
        self.event_box.currentIndexChanged.connect(self.load_event)
        self._loading = False
        self._dirty_villages: set[str] = set()
        self.reload_events()

    def role_controls(self) -> list[tuple[QWidget, str]]:
        """What the panel's role gate disables: a viewer reads the figures, fills in none."""
        return [(self.buttons[key], "damage.report") for key in ("new", "save", "export")]

    def reload_events(self) -> None:
        self.panel.worker.run(self.reports.events, self._fill_events)

    def _fill_events(self, events) -> None:
        tz = self.panel.config.site.tz
        self.event_box.blockSignals(True)
        self.event_box.clear()
        for event in events:
            self.event_box.addItem(f"{event.hazard} — {event.started_at.astimezone(tz):%H:%M %d/%m/%Y}", event.id)
        self.event_box.blockSignals(False)
        self.load_event()

    def event_id(self) -> str | None:
        return self.event_box.currentData()

    def new_event(self) -> None:
        operator = self.panel.operator()
        now = datetime.now(timezone.utc)
        self.panel.worker.run(lambda: self.reports.open_event(operator, "Lũ, ngập lụt", now), lambda _r: self.reload_events())

    def load_event(self) -> None:
        event_id = self.event_id()
        if event_id is None:
            self.deadline.setText(tr("No disaster event yet: start one when the flood begins."))
            return

        def load():
            event = self.reports.event(event_id)
            return event, self.reports.per_village(event_id), self.reports.next_deadline(event, datetime.now(timezone.utc))

        self.panel.worker.run(load, self._show)

    def _show(self, result) -> None:
        event, per_village, (deadline, number) = result
        tz = self.panel.config.site.tz
        recipients = "; ".join(self.panel.config.flood.report_recipients) or "—"
        self.deadline.setText(tr("Quick report no. {n} due by {t} · to: {to}", n=number,
                                 t=f"{deadline.astimezone(tz):%H:%M %d/%m}", to=recipients))
        self._loading = True
        for r, indicator in enumerate(INDICATORS):
            unit = QTableWidgetItem(indicator.unit)
            unit.setFlags(unit.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.table.setItem(r, 0, unit)
            for c, (vid, _) in enumerate(self.villages, 1):
                self.table.setItem(r, c, QTableWidgetItem(_num(per_village.get(vid, {}).get(indicator.code, 0.0))))
        self._loading = False
        self._dirty_villages.clear()
        self._recalc()

    def _figures(self) -> dict[str, dict[str, float]]:
        result: dict[str, dict[str, float]] = {}
        for c, (vid, _) in enumerate(self.villages, 1):
            for r, indicator in enumerate(INDICATORS):
                item = self.table.item(r, c)
                text = (item.text() if item else "").strip().replace(",", ".")
                if text:
                    result.setdefault(vid, {})[indicator.code] = text
        return result

    def _recalc(self, item: QTableWidgetItem | None = None) -> None:
        if self._loading:
            return
        if item is not None and item.column() >= 1 and item.column() <= len(self.villages):
            self._dirty_villages.add(self.villages[item.column() - 1][0])
        numeric = {}
        for vid, figures in self._figures().items():
            clean = {}
            for code, text in figures.items():
                try:
                    clean[code] = float(text)
                except ValueError:
                    continue
            numeric[vid] = clean
        totals = commune_totals(numeric)
        self._loading = True
        last = len(self.villages) + 1
        for r, indicator in enumerate(INDICATORS):
            cell = QTableWidgetItem(_num(totals.get(indicator.code, 0.0)) or "0")
            cell.setFlags(cell.flags() & ~Qt.ItemFlag.ItemIsEditable)
            font = cell.font()
            font.setBold(True)
            cell.setFont(font)
            self.table.setItem(r, last, cell)
        self._loading = False

    def save(self) -> None:
        event_id = self.event_id()
        if event_id is None:
            return
        operator = self.panel.operator()
        figures = self._figures()
        villages = set(self._dirty_villages) or {vid for vid, _ in self.villages}

        def write():
            for vid in villages:
                self.reports.set_village(operator, event_id, vid, figures.get(vid, {}))

        self.panel.worker.run(write, lambda _r: self.load_event())

    def export(self) -> None:
        event_id = self.event_id()
        if event_id is None:
            return
        operator = self.panel.operator()

        def build():
            from controlroom.reports.damage_xlsx import write_damage_xlsx
            from controlroom.ui.reports.damage_pdf import write_damage_pdf
            report = self.reports.report(event_id)
            stem = data_dir() / "reports" / f"bao-cao-nhanh-{event_id}-so-{report.number}"
            paths = [str(write_damage_pdf(report, stem.with_suffix(".pdf"))),
                     str(write_damage_xlsx(report, stem.with_suffix(".xlsx")))]
            self.reports.mark_exported(operator, report, paths)
            return paths

        self.panel.worker.run(build, lambda paths: self.panel.notify(tr("Saved {path}", path="; ".join(paths))))

    def check_reminder(self) -> list:
        return self.reports.reminder(datetime.now(timezone.utc))
