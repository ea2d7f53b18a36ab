"""Test set-up: helper modules beside the tests, and the independent checker on every solve.

Every call of ``caseaudit.api.allocate`` / ``reallocate`` / ``moderate`` made by a test
through the CLI or ``caseaudit.api`` is wrapped: its result is written to a scratch directory and
re-verified by ``checker`` (plain pandas, no caseaudit code) against the input files, and
its files are walked against the output tables' declarations.
The per-rule builders (``builders.solve`` / ``resolve``) run the same checker themselves.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

import caseaudit
import caseaudit.api
from caseaudit.io.tables import write_input_tables
from caseaudit.io.writer import write_outputs
from caseaudit.model.dataset import LINE, Dataset
from caseaudit.model.outputs import OUTPUT_TABLES

# Test helpers (builders, checker) are plain modules beside the tests.
sys.path.insert(0, str(Path(__file__).parent))

import checker
from builders import declared_columns

#: The source path of a table built or changed in memory (``caseaudit.model.frames``).
IN_MEMORY = "<memory>"

# CI replays the same examples every run (a red CI must be reproducible); developers'
# runs draw new ones each time, which is where new counterexamples come from.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

#: Test files whose tiny hand-built instances each check one rule: they run first, so that
#: ``pytest -x`` stops at a broken rule within seconds (issue 13), before the slower
#: suites; every hypothesis property runs last.
RULE_TEST_FILES = (
    "test_rules.py",
    "test_each_rule_decides.py",
    "test_reallocate.py",
    "test_moderation.py",
    "test_break_plan.py",
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "property: a hypothesis property test (set by conftest; runs last)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every hypothesis test ``property`` and order the suite: the per-rule files,
    then the other deterministic tests, then the properties (a stable sort keeps each
    file's own order). ``make mutants`` runs ``-m "not property"``."""

    def group(item: pytest.Item) -> tuple[int, int]:
        if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            item.add_marker(pytest.mark.property)
            return 2, 0
        if item.path.name in RULE_TEST_FILES:
            return 0, RULE_TEST_FILES.index(item.path.name)
        return 1, 0

    items.sort(key=group)


@contextlib.contextmanager
def input_folder(data: object) -> Iterator[Path | None]:
    """The folder a run read; for a dataset built or changed in memory (``generate``,
    ``replace``) its tables written to a scratch folder, so that what-if runs are
    re-checked too. None for anything else."""
    if isinstance(data, str | Path):
        yield Path(data)
        return
    sources = getattr(data, "sources", {})
    folders = {Path(s.path).parent for s in sources.values() if s.path != IN_MEMORY}
    read_from_one_folder = len(folders) == 1 and all(s.path != IN_MEMORY for s in sources.values())
    if read_from_one_folder:
        yield folders.pop()
        return
    if not isinstance(data, Dataset):
        yield None
        return
    with tempfile.TemporaryDirectory() as scratch:
        tables = {name: frame.drop(columns=[LINE]) for name, frame in data.tables.items()}
        write_input_tables(Path(scratch), tables, "parquet")
        yield Path(scratch)


def _verify(data: object, result: caseaudit.api.AllocationResult, previous: object) -> None:
    overrides = result.problem.config.as_dict()
    with input_folder(data) as data_dir, tempfile.TemporaryDirectory() as scratch:
        if data_dir is None:
            return
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


def _verify_moderation(data: object, result: caseaudit.api.ModerationResult) -> None:
    """Issue 8: every moderation plan re-checked by the checker's own reading."""
    config = result.problem.config
    with input_folder(data) as data_dir, tempfile.TemporaryDirectory() as scratch:
        if data_dir is None:
            return
        out = Path(scratch) / "out"
        result.write(out)
        violations = checker.check_moderation(data_dir, out, result.problem.as_of, config.as_dict())
        violations += checker.check_output_files(out, declared_columns(), config.output.date_format)
    assert not violations, "independent checker:\n" + "\n".join(violations)


@pytest.fixture(autouse=True)
def independent_checker_on_every_solve(monkeypatch: pytest.MonkeyPatch) -> None:
    original_allocate = caseaudit.api.allocate
    original_reallocate = caseaudit.api.reallocate
    original_moderate = caseaudit.api.moderate

    def allocate(data, month, *args, **kwargs):  # type: ignore[no-untyped-def]
        result = original_allocate(data, month, *args, **kwargs)
        _verify(data, result, None)
        return result

    def reallocate(data, month, previous_dir, *args, **kwargs):  # type: ignore[no-untyped-def]
        result = original_reallocate(data, month, previous_dir, *args, **kwargs)
        _verify(data, result, previous_dir)
        return result

    def moderate(data, as_of, *args, **kwargs):  # type: ignore[no-untyped-def]
        result = original_moderate(data, as_of, *args, **kwargs)
        _verify_moderation(data, result)
        return result

    monkeypatch.setattr(caseaudit.api, "moderate", moderate)
    monkeypatch.setattr(caseaudit, "moderate", moderate)
    monkeypatch.setattr(caseaudit.api, "allocate", allocate)
    monkeypatch.setattr(caseaudit.api, "reallocate", reallocate)
    monkeypatch.setattr(caseaudit, "allocate", allocate)
    monkeypatch.setattr(caseaudit, "reallocate", reallocate)


def _verify_break_plan(data: object, result: caseaudit.api.BreakPlanResult) -> None:
    """Issue 9: every break plan re-checked by the checker's own reading of the inputs,
    its emitted requests included, and its files walked against the declarations (the
    month table with this run's per-service columns)."""
    config = result.problem.config
    declared = declared_columns()
    months = OUTPUT_TABLES["break_plan_months"].as_written(list(result.months.columns))
    declared["break_plan_months"] = [(c.name, c.kind) for c in months.columns]
    with input_folder(data) as data_dir, tempfile.TemporaryDirectory() as scratch:
        if data_dir is None:
            return
        out = Path(scratch) / "out"
        # The tables and manifest as ``write`` puts them (the figure is left out: it is
        # not what the checker reads, and drawing it is the slow part).
        tables = {**result.tables, "breaks": result.requests_for_allocate}
        write_outputs(out, tables, result.manifest, config.output)
        violations = checker.check_break_plan(
            data_dir, out, result.problem.facts.year, config.as_dict()
        )
        violations += checker.check_output_files(out, declared, config.output.date_format)
    assert not violations, "independent checker:\n" + "\n".join(violations)


@pytest.fixture(autouse=True)
def independent_checker_on_every_break_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    original = caseaudit.api.plan_breaks

    def plan_breaks(data, year, *args, **kwargs):  # type: ignore[no-untyped-def]
        result = original(data, year, *args, **kwargs)
        _verify_break_plan(data, result)
        return result

    monkeypatch.setattr(caseaudit.api, "plan_breaks", plan_breaks)
    monkeypatch.setattr(caseaudit, "plan_breaks", plan_breaks)
