"""A config error in policy words, not pydantic's (contract §3, config.toml): the key is
named once (in the issue's column), followed by what it accepts and what was given, e.g.
``must be between 0 and 1, got 1.5``. Used where config.toml is read (``io``) and where
a config is changed in memory (``Dataset.replace``).
"""

from __future__ import annotations

import difflib
import json
from decimal import Decimal
from typing import Literal, get_args, get_origin

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from caseaudit.model.config import Config


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
        info = declared.model_fields.get(part)
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
    known = list(parent.model_fields) if isinstance(parent, type) else []
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
