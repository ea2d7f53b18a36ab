"""Test set-up: helper modules beside the tests, and the independent checker on every solve.

Every call of ``caseaudit.api.allocate`` / ``reallocate`` made by a test through the CLI
or ``caseaudit.api`` is wrapped: its result is written to a scratch directory and
re-verified by ``checker`` (plain pandas, no caseaudit code) against the input files, and
its files are walked against the output tables' declarations.
The per-rule builders (``builders.solve`` / ``resolve``) run the same checker themselves.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

import caseaudit
import caseaudit.api

# Test helpers (builders, checker) are plain modules beside the tests.
sys.path.insert(0, str(Path(__file__).parent))

import checker
from builders import declared_columns

# CI replays the same examples every run (a red CI must be reproducible); developers'
# runs draw new ones each time, which is where new counterexamples come from.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def _data_dir(data: object) -> Path | None:
    """The directory a run read, when it was read from one directory."""
    if isinstance(data, str | Path):
        return Path(data)
    sources = getattr(data, "sources", {})
    folders = {Path(s.path).parent for s in sources.values()}
    return folders.pop() if len(folders) == 1 else None


def _verify(data: object, result: caseaudit.api.AllocationResult, previous: object) -> None:
    data_dir = _data_dir(data)
    if data_dir is None:
        return
    overrides = result.problem.config.as_dict()
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "out"
        result.write(out)
        month = result.problem.month
        if previous is None:
            violations = checker.check_allocation(data_dir, out, month, overrides)
        else:
            violations = checker.check_reallocation(data_dir, out, month, Path(previous), overrides)
        violations += checker.check_output_files(
            out, declared_columns(), result.problem.config.output.date_format
        )
    assert not violations, "independent checker:\n" + "\n".join(violations)


@pytest.fixture(autouse=True)
def independent_checker_on_every_solve(monkeypatch: pytest.MonkeyPatch) -> None:
    original_allocate = caseaudit.api.allocate
    original_reallocate = caseaudit.api.reallocate

    def allocate(data, month, *args, **kwargs):  # type: ignore[no-untyped-def]
        result = original_allocate(data, month, *args, **kwargs)
        _verify(data, result, None)
        return result

    def reallocate(data, month, previous_dir, *args, **kwargs):  # type: ignore[no-untyped-def]
        result = original_reallocate(data, month, previous_dir, *args, **kwargs)
        _verify(data, result, previous_dir)
        return result

    monkeypatch.setattr(caseaudit.api, "allocate", allocate)
    monkeypatch.setattr(caseaudit.api, "reallocate", reallocate)
    monkeypatch.setattr(caseaudit, "allocate", allocate)
    monkeypatch.setattr(caseaudit, "reallocate", reallocate)
