"""Reading a commune's config file: one validated ``Config``, or ``ConfigError`` carrying one
message per problem, each naming the file, the key and what is wrong (in the UI language);
the CLI prints them and exits non-zero.
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from controlroom.config.schema import Config
from controlroom.i18n import tr


class ConfigError(Exception):
    """A config file that cannot be used; `messages` holds one line per problem."""

    def __init__(self, messages: list[str]):
        super().__init__("\n".join(messages))
        self.messages = messages


_PYDANTIC_REASONS = {
    "missing": "required key is missing",
    "extra_forbidden": "unknown key (check the spelling)",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "string_type": "must be text",
    "list_type": "must be a list",
    "dict_type": "must be a table",
    "literal_error": "must be one of {expected}",
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
    "greater_than": "must be greater than {gt}",
    "too_short": "must have at least {min_length} item(s)",
    "string_pattern_mismatch": "may only contain lower-case letters, digits, '_' and '-'",
    "tuple_type": "must be a pair [latitude, longitude]",
    "union_tag_invalid": "unknown {discriminator} {tag}; use one of {expected_tags}",
}


def _reason(error: dict) -> str:
    template = _PYDANTIC_REASONS.get(error["type"])
    if template is None:
        message = str(error.get("msg", "invalid value"))
        return message.removeprefix("Value error, ")
    context = {k: v for k, v in (error.get("ctx") or {}).items()}
    return tr(template, **context) if context else tr(template)


def _key_path(loc: tuple) -> str:
    """("cameras", 3, "village") -> "cameras[3].village", the way the TOML reads."""
    key = ""
    for part in loc:
        if isinstance(part, int):
            key += f"[{part}]"
        elif not str(part).startswith("function-"):
            key += ("." if key else "") + str(part)
    return key


def _format_errors(path: str, error: ValidationError) -> list[str]:
    messages: list[str] = []
    for item in error.errors():
        key = _key_path(item["loc"])
        reason = _reason(item)
        if item["type"] == "value_error" and not key:  # cross-reference checks: "key: reason" lines
            for line in reason.splitlines():
                sub_key, _, sub_reason = line.partition(": ")
                messages.append(tr("{file}: {key}: {reason}", file=path, key=sub_key, reason=sub_reason))
        else:
            messages.append(tr("{file}: {key}: {reason}", file=path, key=key or "(file)", reason=reason))
    return messages


def parse_config(text: str, source: str = "<config>", base_dir: Path | None = None) -> Config:
    """Parse TOML text into a validated Config, or raise ConfigError. Files the config names
    (map layers) are taken relative to `base_dir`, the config file's folder."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([tr("{file}: not valid TOML: {reason}", file=source, reason=_toml_reason(exc))]) from None
    try:
        return Config.model_validate(raw, context={"base_dir": base_dir})
    except ValidationError as exc:
        raise ConfigError(_format_errors(source, exc)) from None


def load_config(path: str | Path) -> Config:
    """Read and validate a site file; unreadable files raise ConfigError too."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([tr("{file}: cannot read the file: {reason}", file=str(path), reason=exc.strerror or str(exc))]) from None
    except UnicodeDecodeError:
        raise ConfigError([tr("{file}: the file is not UTF-8 text", file=str(path))]) from None
    return parse_config(text, str(path), path.parent)


def demo_config_path() -> Path:
    """The bundled demo commune (installed as package data)."""
    return Path(str(resources.files("controlroom.sites").joinpath("quangtho.toml")))


def _toml_reason(exc: Exception) -> str:
    """tomllib's English reason, said where it is in the operator's language."""
    where = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
    if where:
        return tr("a syntax error at line {line}, column {column}", line=where[1], column=where[2])
    if "end of document" in str(exc):
        return tr("a syntax error at the end of the file (something left unclosed)")
    return str(exc)
