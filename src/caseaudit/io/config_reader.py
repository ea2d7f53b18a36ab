"""Read ``config.toml``: pydantic validation with each error located at its key's line.

Messages speak policy, not pydantic: the key is named once (in the column), followed by
what it accepts and what was given, e.g.
``config.toml:3: policy.max_break_fraction: must be between 0 and 1, got 1.5``.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import annotated_types
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from caseaudit.model.config import Config
from caseaudit.model.dataset import SourceFile
from caseaudit.model.errors import IssueCollector, Priority

_PART = r"""(?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+)"""
_DOTTED = rf"{_PART}(?:\s*\.\s*{_PART})*"
_SECTION = re.compile(rf"^\s*\[\s*({_DOTTED})\s*\]")
_KEY = re.compile(rf"^\s*({_DOTTED})\s*=")


def _normalise(dotted: str) -> str:
    """``policy . "max"`` → ``policy.max``: the form pydantic reports locations in."""
    return ".".join(part.strip().strip("\"'") for part in re.findall(_PART, dotted))


def key_lines(text: str) -> dict[str, int]:
    """Map ``section`` and ``section.key`` to the line where each is written (bare,
    quoted and dotted keys alike)."""
    lines: dict[str, int] = {}
    section = ""
    for number, line in enumerate(text.splitlines(), start=1):
        if match := _SECTION.match(line):
            section = _normalise(match.group(1))
            lines.setdefault(section, number)
        elif match := _KEY.match(line):
            key = _normalise(match.group(1))
            name = f"{section}.{key}" if section else key
            lines.setdefault(name, number)
            if "." in name:
                lines.setdefault(name.split(".")[0], number)
    return lines


def read_config(
    path: Path, issues: IssueCollector
) -> tuple[Config, SourceFile | None, dict[str, int]]:
    """The config in force: defaults when the file is absent."""
    if not path.exists():
        return Config(), None, {}
    raw_bytes = path.read_bytes()
    source = SourceFile("config", str(path), path.name, hashlib.sha256(raw_bytes).hexdigest())
    try:
        text = raw_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw_bytes[: exc.start].count(b"\n") + 1
        issues.add(path.name, line, "-", "not UTF-8: save the file as UTF-8 text", Priority.FILE)
        return Config(), source, {}
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = int(m.group(1)) if (m := re.search(r"line (\d+)", str(exc))) else 1
        issues.add(path.name, line, "-", f"not valid TOML: {exc}", Priority.FILE)
        return Config(), source, {}
    lines = key_lines(text)
    try:
        return Config.model_validate(data), source, lines
    except ValidationError as exc:
        for error in exc.errors():
            location = ".".join(str(part) for part in error["loc"])
            line = lines.get(location, lines.get(location.split(".")[0], 1))
            issues.add(path.name, line, location, config_message(error))
        return Config(), source, lines


def config_message(error: ErrorDetails) -> str:
    """One pydantic error in policy words: what the key accepts and what it was given.

    The key itself is not repeated: the issue's column names it.
    """
    kind = error["type"]
    location = tuple(str(part) for part in error["loc"])
    given = _as_toml(error.get("input"))
    if kind == "extra_forbidden":
        return _unknown(location)
    declared = _declared(location)
    if not isinstance(declared, FieldInfo):  # a section given as a value: ``policy = 3``
        return f"must be a section [{'.'.join(location)}], got {given}"
    expected, allowed = _expected(declared), _allowed_range(declared)
    if kind == "value_error" and expected not in NUMBERS:
        # A validator of ours (an unknown calendar, say): its message is policy words.
        return str(error.get("ctx", {}).get("error", error["msg"]))
    if kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        return f"must be {allowed}, got {given}"
    if allowed.startswith("at "):
        allowed = f"of {allowed}"  # "a whole number of at least 0"
    return f"must be {expected}{' ' + allowed if allowed else ''}, got {given}"


NUMBERS = ("a whole number", "a number")


def _declared(location: tuple[str, ...]) -> type[BaseModel] | FieldInfo | None:
    """What ``location`` is in ``Config``: a section's model, a key's declaration, or
    None when there is no such section or key."""
    declared: type[BaseModel] | FieldInfo = Config
    for part in location:
        if isinstance(declared, FieldInfo):
            return None  # a key has no keys below it
        info = declared.model_fields.get(part) or next(  # a key spelt by its alias: smtp.from
            (f for f in declared.model_fields.values() if f.alias == part), None
        )
        if info is None:
            return None
        annotation = info.annotation
        is_section = isinstance(annotation, type) and issubclass(annotation, BaseModel)
        declared = annotation if is_section else info  # type: ignore[assignment]
    return declared


def _expected(info: FieldInfo) -> str:
    """What kind of value a key takes, in words."""
    annotation = info.annotation
    if get_origin(annotation) is Literal:
        *others, last = (_as_toml(choice) for choice in get_args(annotation))
        return f"{', '.join(others)} or {last}" if others else last
    words = {
        bool: "true or false",
        int: NUMBERS[0],
        float: NUMBERS[1],
        Decimal: NUMBERS[1],
        str: "text in double quotes",
    }
    kinds = [a for a in get_args(annotation) if a is not type(None)] or [annotation]
    return " or ".join(dict.fromkeys(words.get(kind, "a value") for kind in kinds))


def _allowed_range(info: FieldInfo) -> str:
    """``between 0 and 1``, ``at least 0``, ``more than 0`` …: the key's bounds in words."""
    bounds: dict[str, tuple[str, object]] = {}
    for bound in info.metadata:
        if isinstance(bound, annotated_types.Ge):
            bounds["low"] = ("at least", bound.ge)
        elif isinstance(bound, annotated_types.Gt):
            bounds["low"] = ("more than", bound.gt)
        elif isinstance(bound, annotated_types.Le):
            bounds["high"] = ("at most", bound.le)
        elif isinstance(bound, annotated_types.Lt):
            bounds["high"] = ("less than", bound.lt)
    low, high = bounds.get("low"), bounds.get("high")
    if low and high and (low[0], high[0]) == ("at least", "at most"):
        return f"between {_as_toml(low[1])} and {_as_toml(high[1])}"
    return " and ".join(f"{words} {_as_toml(value)}" for words, value in filter(None, (low, high)))


def _unknown(location: tuple[str, ...]) -> str:
    """An unknown section or key, with the known name it most resembles (or the list)."""
    parent = _declared(location[:-1])
    fields = parent.model_fields if isinstance(parent, type) else {}
    known = [info.alias or name for name, info in fields.items()]
    close = difflib.get_close_matches(location[-1], known, n=1, cutoff=0.6)
    if len(location) == 1:
        if close:
            return f"unknown section: did you mean [{close[0]}]?"
        return "unknown section; the sections are " + ", ".join(f"[{k}]" for k in known)
    if close:
        return f"unknown key: did you mean {close[0]}?"
    section = ".".join(location[:-1])
    return f"unknown key; [{section}] takes " + ", ".join(known)


def _as_toml(value: object) -> str:
    """A value as it is written in config.toml: ``"ten"``, ``true``, ``1.5``, ``[10]``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Decimal | int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else f"{value:.1f}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_as_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "a section"
    return str(value)
