"""Every user-visible string has Vietnamese: tr() literals, panel titles, catalog files."""

from __future__ import annotations

import ast
import re
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from controlroom import i18n

try:  # must precede the QApplication (pytest-qt's qapp), like in ui/shell/app.py
    import PyQt6.QtWebEngineWidgets  # noqa: F401
except ImportError:
    pass

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRS = ("controlroom", "ui", "widgets")
PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)[^{}]*\}(?!\})")

# tr() calls whose first argument is not a literal, each with where its keys are checked:
# (file, enclosing function) -> the module-level dict whose VALUES are the source texts, or
# "PANELS" for panel titles (collected from Panel(...) calls below).
INDIRECT_TR = {
    ("controlroom/config/loading.py", "_reason"): "_PYDANTIC_REASONS",
    ("ui/shell/panels.py", "panel_title"): "PANELS",
    ("controlroom/config/metric_names.py", "metric_label"): "METRIC_NAMES",
    ("controlroom/config/metric_names.py", "label_in_ui_language"): "METRIC_NAMES",
    ("controlroom/flood/duty_log.py", "entry_text"): "_ACTION_WORDS",
}


def _python_files():
    for folder in SOURCE_DIRS:
        yield from sorted((ROOT / folder).rglob("*.py"))


def _is_tr(call: ast.Call) -> bool:
    func = call.func
    return (isinstance(func, ast.Name) and func.id == "tr") or (
        isinstance(func, ast.Attribute) and func.attr == "tr" and isinstance(func.value, ast.Name) and func.value.id == "i18n"
    )


def _literal(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


class _Scanner(ast.NodeVisitor):
    def __init__(self, rel: str) -> None:
        self.rel = rel
        self.functions: list[str] = []
        self.literals: list[tuple[str, int]] = []
        self.dynamic: list[tuple[str, int, str]] = []
        self.panel_titles: list[tuple[str, int]] = []
        self.dicts: dict[str, list[str]] = {}

    def visit_FunctionDef(self, node):
        self.functions.append(node.name)
        self.generic_visit(node)
        self.functions.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Assign(self, node):
        if not self.functions and isinstance(node.value, ast.Dict) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            self.dicts[node.targets[0].id] = [v for v in (_literal(x) for x in node.value.values) if v is not None]
        self.generic_visit(node)

    def visit_Call(self, node):
        if _is_tr(node):
            text = _literal(node.args[0]) if node.args else None
            if text is not None:
                self.literals.append((text, node.lineno))
            else:
                self.dynamic.append((self.rel, node.lineno, self.functions[-1] if self.functions else "<module>"))
        func = node.func
        if isinstance(func, ast.Name) and func.id == "Panel":
            title = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "title_source"), None)
            text = _literal(title)
            if text is None:
                self.dynamic.append((self.rel, node.lineno, "Panel(title_source=<not a literal>)"))
            else:
                self.panel_titles.append((text, node.lineno))
        self.generic_visit(node)


@pytest.fixture(scope="module")
def scan():
    result = {"literals": [], "dynamic": [], "panels": [], "dicts": {}}
    for path in _python_files():
        rel = path.relative_to(ROOT).as_posix()
        scanner = _Scanner(rel)
        scanner.visit(ast.parse(path.read_text(encoding="utf-8"), filename=rel))
        result["literals"] += [(text, f"{rel}:{line}") for text, line in scanner.literals]
        result["panels"] += [(text, f"{rel}:{line}") for text, line in scanner.panel_titles]
        result["dynamic"] += scanner.dynamic
        for name, values in scanner.dicts.items():
            result["dicts"][(rel, name)] = values
    return result


def test_every_tr_literal_and_panel_title_has_vietnamese(scan):
    vi = i18n.catalog("vi")
    assert scan["literals"], "the scan found no tr() calls at all"
    missing = sorted({f"{where}: {text!r}" for text, where in scan["literals"] + scan["panels"] if text not in vi})
    assert not missing, "no Vietnamese for:\n" + "\n".join(missing)


def test_tr_is_only_called_with_literals(scan):
    unexplained = [f"{rel}:{line} in {func}" for rel, line, func in scan["dynamic"] if (rel, func) not in INDIRECT_TR]
    assert not unexplained, "tr() with a non-literal first argument (the scan cannot check it):\n" + "\n".join(unexplained)


def test_indirect_tr_sources_have_vietnamese(scan):
    vi = i18n.catalog("vi")
    for (rel, _func), source in INDIRECT_TR.items():
        if source == "PANELS":
            continue  # checked with the literals
        values = scan["dicts"].get((rel, source))
        assert values, f"{rel}: {source} not found as a module-level dict of strings"
        missing = [text for text in values if text not in vi]
        assert not missing, f"{rel}: {source} entries without Vietnamese: {missing}"


def _catalog_files():
    folder = resources.files("controlroom.resources").joinpath("i18n")
    return sorted((f"{lang.name}/{entry.name}", entry) for lang in folder.iterdir() if lang.is_dir() for entry in lang.iterdir() if entry.name.endswith(".toml"))


def test_catalog_files_parse_and_keep_placeholders():
    files = _catalog_files()
    assert files
    problems = []
    for name, entry in files:
        try:
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            problems.append(f"{name}: not valid TOML: {exc}")
            continue
        for source, translation in data.items():
            if not isinstance(translation, str) or not translation.strip():
                problems.append(f"{name}: {source!r}: translation is empty or not text")
                continue
            if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(translation)):
                problems.append(f"{name}: {source!r}: placeholders differ in {translation!r}")
    assert not problems, "\n".join(problems)


def test_catalog_files_do_not_redefine_each_others_keys():
    seen: dict[str, str] = {}
    clashes = []
    for name, entry in _catalog_files():
        for source, translation in tomllib.loads(entry.read_text(encoding="utf-8")).items():
            lang_source = f"{name.split('/')[0]}:{source}"
            if lang_source in seen and seen[lang_source][1] != translation:
                clashes.append(f"{source!r}: {seen[lang_source][0]} and {name} translate it differently")
            seen[lang_source] = (name, translation)
    assert not clashes, "\n".join(clashes)


def test_main_window_built_in_vietnamese_asks_for_no_missing_string(qtbot, demo_config, make_core):
    """Every panel in PANELS, the menus and the status bar, built in Vietnamese, find a
    translation for each string they show (a real core with no broker)."""
    from controlroom.ui.shell.bridge import CoreBridge
    from controlroom.ui.shell.context import AppContext
    from controlroom.ui.shell.main_window import MainWindow

    i18n.set_language("vi")
    core = make_core(demo_config)
    bridge = CoreBridge(core.bus, core.live)
    context = AppContext(config=demo_config, core=core, bridge=bridge, broker_description="127.0.0.1:1883")
    before = i18n.missing()
    try:
        window = MainWindow(context)
        qtbot.addWidget(window)
        window.show()
        qtbot.wait(1200)  # one round of every 1 s timer (status bar, re-aging)
        window.status_bar.refresh()
        new = sorted(i18n.missing() - before)
        assert not new, "shown without a Vietnamese translation:\n" + "\n".join(new)
        assert window.windowTitle().startswith("Phòng giám sát điều hành — Quảng Thọ")
    finally:
        context.shutdown()
        bridge.close()
