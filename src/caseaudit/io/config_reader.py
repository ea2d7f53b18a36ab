"""Read ``config.toml``: pydantic validation with each error located at its key's line."""

from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from caseaudit.model.config import Config
from caseaudit.model.dataset import SourceFile
from caseaudit.model.errors import IssueCollector

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
        data: dict[str, Any] = tomllib.loads(text)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        line = int(m.group(1)) if (m := re.search(r"line (\d+)", str(exc))) else 1
        issues.add(path.name, line, "-", f"not valid TOML: {exc}")
        return Config(), source, {}
    lines = key_lines(text)
    try:
        return Config.model_validate(data), source, lines
    except ValidationError as exc:
        for error in exc.errors():
            location = ".".join(str(part) for part in error["loc"])
            line = lines.get(location, lines.get(location.split(".")[0], 1))
            if error["type"] == "extra_forbidden":
                kind = "section" if "." not in location else "key"
                message = f"unknown {kind} {location!r}"
            else:
                message = f"{location}: {error['msg']}"
            issues.add(path.name, line, location, message)
        return Config(), source, lines
