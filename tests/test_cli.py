"""The `controlroom` command as an operator meets it: help, broken configs, startup failures."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from controlroom.config import demo_config_path


def controlroom_command() -> list[str]:
    script = Path(sys.executable).with_name("controlroom")
    if script.exists():
        return [str(script)]
    found = shutil.which("controlroom")
    assert found, "the controlroom console script is not installed (pip install -e .)"
    return [found]


def run(args: list[str], data_dir: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ, CONTROLROOM_DATA_DIR=str(data_dir), QT_QPA_PLATFORM="offscreen")
    return subprocess.run(controlroom_command() + args, capture_output=True, text=True, timeout=timeout, env=env)


def test_help_lists_the_options_and_the_simulate_command(tmp_path):
    result = run(["--help"], tmp_path)
    assert result.returncode == 0, result.stderr
    for option in ("--demo", "--config", "--db", "--lang", "--screenshot", "--screenshot-delay", "simulate"):
        assert option in result.stdout
    assert "Phòng giám sát điều hành xã" in result.stdout  # Vietnamese by default

    english = run(["--lang", "en", "--help"], tmp_path)
    assert "Commune control room" in english.stdout

    simulate = run(["simulate", "--help"], tmp_path)
    assert simulate.returncode == 0
    for option in ("--host", "--port", "--seed", "--time-scale", "--duration"):
        assert option in simulate.stdout


def _broken_demo(tmp_path: Path, *replacements: tuple[str, str]) -> Path:
    text = demo_config_path().read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _problem_lines(result: subprocess.CompletedProcess, path: Path) -> list[str]:
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert all(line.startswith(f"{path}: ") for line in lines), result.stderr
    return lines


def test_broken_config_prints_one_line_per_problem_and_exits_2(tmp_path):
    broken = _broken_demo(
        tmp_path,
        ("map_zoom = 14", 'map_zoom = 14\nmap_colour = "blue"'),
        ("interval_s = 60", "interval_s = -5"),
    )
    lines = _problem_lines(run(["--config", str(broken), "--lang", "en"], tmp_path), broken)
    assert len(lines) == 2, lines
    assert "site.map_colour: unknown key" in lines[0]
    assert "sensors[0].interval_s: must be greater than" in lines[1]


def test_broken_references_are_reported_each_with_its_key(tmp_path):
    broken = _broken_demo(
        tmp_path,
        ('village = "la_van_thuong"\ngroup = "gate"', 'village = "nowhere"\ngroup = "gate"'),
        ('group = "gate"', 'group = "nogroup"'),
    )
    lines = _problem_lines(run(["--config", str(broken)], tmp_path), broken)
    assert len(lines) == 2, lines
    assert "cameras[0].village" in lines[0] and "'nowhere'" in lines[0]
    assert "cameras[0].group" in lines[1] and "'nogroup'" in lines[1]


def test_broken_config_message_is_vietnamese_by_default(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("[site\nid = 1\n", encoding="utf-8")
    result = run(["--config", str(broken)], tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "không phải tệp TOML hợp lệ" in result.stderr


def test_missing_config_file_is_one_line_and_exit_2(tmp_path):
    result = run(["--config", str(tmp_path / "nope.toml")], tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert str(tmp_path / "nope.toml") in result.stderr


def test_other_startup_failure_is_one_operator_line_with_details_in_the_log(tmp_path):
    result = run(["--db", "nosuchdialect://x", "--config", str(demo_config_path())], tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    message = [line for line in result.stderr.splitlines() if "Không khởi động được phòng điều hành" in line]
    assert len(message) == 1, result.stderr
    log_text = (tmp_path / "controlroom.log").read_text(encoding="utf-8")
    assert "Traceback" in log_text and "startup failed" in log_text


def test_cli_module_imports_no_qt():
    code = "import sys, controlroom.cli.main; print(sorted(m for m in sys.modules if m.startswith('PyQt6')))"
    result = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("language, expected", [("vi", "Đang mô phỏng"), ("en", "Simulating")])
def test_simulate_runs_for_a_duration_and_stops(tmp_path, mqtt_broker, language, expected):
    result = run(
        ["simulate", "--host", mqtt_broker.host, "--port", str(mqtt_broker.port), "--duration", "1", "--lang", language],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_the_operator_reads_vietnamese_where_python_spoke_english(tmp_path):
    """argparse's own messages, a TOML syntax error and a password asked with no terminal."""
    missing = run(["operators", "add"], tmp_path)
    assert missing.returncode == 2 and "thiếu tham số bắt buộc: username" in missing.stderr
    assert "the following arguments" not in missing.stderr
    broken = tmp_path / "broken.toml"
    broken.write_text('[site]\nid = "x"\nname = [\n', encoding="utf-8")
    syntax = run(["--config", str(broken)], tmp_path)
    assert syntax.returncode == 2 and "lỗi cú pháp" in syntax.stderr
    env = dict(os.environ, CONTROLROOM_DATA_DIR=str(tmp_path), QT_QPA_PLATFORM="offscreen")
    no_terminal = subprocess.run(controlroom_command() + ["operators", "add", "ai_do", "--role", "operator"],
                                 capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL,
                                 start_new_session=True)  # no controlling terminal to ask on
    assert no_terminal.returncode != 0 and "Traceback" not in no_terminal.stderr
    assert "--password-stdin" in no_terminal.stderr
