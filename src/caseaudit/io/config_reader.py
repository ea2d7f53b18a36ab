"""Read ``config.toml``: pydantic validation with each error located at its key's line.

Messages speak policy, not pydantic: the key is named once (in the column), followed by
what it accepts and what was given, e.g.
``config.toml:3: policy.max_break_fraction: must be between 0 and 1, got 1.5``.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from caseaudit.model.config import Config
from caseaudit.model.config_messages import config_message
from caseaudit.model.errors import IssueCollector, Priority
from caseaudit.model.tables import SourceFile

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
        config = Config.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            location = ".".join(str(part) for part in error["loc"])
            line = lines.get(location, lines.get(location.split(".")[0], 1))
            issues.add(path.name, line, location, config_message(error), Priority.DEFINING)
        return Config(), source, lines
    too_large = config.objective_issues()
    for location, message in too_large:
        line = lines.get(location, lines.get(location.split(".")[0], 1))
        issues.add(path.name, line, location, message)
    return (Config() if too_large else config), source, lines
