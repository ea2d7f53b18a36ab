"""The monitoring report of issue 10: the lists P&Q chase from and the Senior Leadership
Team's page, from Python.

>>> from caseaudit import load, report
>>> result = report(load("data/"), "2026-02-28")
>>> result.non_completions.head()               # pandas DataFrames, most urgent first
>>> print(result.summary())
>>> result.write("out/report", force=True)       # CSV, Parquet, report.html, manifest.json
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from caseaudit.io.reader import read_dataset
from caseaudit.model.calendar import month_of
from caseaudit.model.config import OutputConfig
from caseaudit.model.dataset import Dataset
from caseaudit.model.errors import IssueCollector
from caseaudit.model.validate import check_ledger_gaps, validate_dataset
from caseaudit.provenance import input_hashes
from caseaudit.reporting.monitoring import (
    FIGURE_NAMES,
    Monitoring,
    build_monitoring,
)
from caseaudit.results import Result, manifest_header


@dataclass(frozen=True)
class ReportResult(Result):
    """The lists and figures as of one day, the manifest, and the page drawn from them."""

    monitoring: Monitoring
    #: ``[output]`` of the config: the CSVs' date format and byte-order mark.
    output: OutputConfig = field(default_factory=OutputConfig)
    manifest: dict[str, object] = field(default_factory=dict)

    @property
    def as_of(self) -> dt.date:
        return self.monitoring.as_of

    @property  # the monitoring's own tables, not a copy: read-only here
    def tables(self) -> dict[str, pd.DataFrame]:  # type: ignore[override]
        """Every list and figure by its output name (see ``caseaudit.model.outputs``)."""
        return self.monitoring.tables

    @property
    def outstanding(self) -> pd.DataFrame:
        """Audits past their month's last day and not completed (§6, §27)."""
        return self.tables["outstanding"]

    @property
    def non_completions(self) -> pd.DataFrame:
        """Outstanding audits without an honoured exemption (§28–31)."""
        return self.tables["non_completions"]

    @property
    def amendments_due(self) -> pd.DataFrame:
        """Returned audits and when their amendments are due (§20)."""
        return self.tables["amendments_due"]

    @property
    def awaiting_actions(self) -> pd.DataFrame:
        """Finalised audits whose actions are not confirmed yet (§23, §27)."""
        return self.tables["awaiting_actions"]

    @property
    def inadequate_cycle(self) -> pd.DataFrame:
        """Inadequate audits awaiting their re-audit (§25–26)."""
        return self.tables["inadequate_cycle"]

    @property
    def challenges_open(self) -> pd.DataFrame:
        """Challenges without consensus and their moderation (§21–22)."""
        return self.tables["challenges_open"]

    @property
    def figures(self) -> dict[str, pd.DataFrame]:
        """The figures' tables: judgements, domains, audits per auditor, breaks, completion."""
        return {name: self.tables[name] for name in FIGURE_NAMES}

    def summary(self) -> str:
        return self.monitoring.summary()

    @cached_property
    def html(self) -> bytes:
        """``report.html``: one self-contained page (drawn once, on first use)."""
        from caseaudit.reporting.html import report_html

        return report_html(self.monitoring)

    @property
    def output_config(self) -> OutputConfig:
        return self.output

    def files(self) -> dict[str, bytes]:
        return {"report.html": self.html}


def report(
    data: Dataset | Path | str,
    as_of: dt.date | str,
    command: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> ReportResult:
    """The monitoring lists and figures as of ``as_of`` (issue 10). ``data`` may be a
    directory path; ``as_of`` a date or ISO text; ``progress`` is told each stage as it
    starts (issue 24)."""
    tell = progress or (lambda _stage: None)
    started = time.perf_counter()
    day = as_of if isinstance(as_of, dt.date) else dt.date.fromisoformat(str(as_of).strip())
    issues = IssueCollector()
    tell("reading")
    dataset = data if isinstance(data, Dataset) else read_dataset(data, issues)
    read = time.perf_counter()
    tell("checking")
    validate_dataset(dataset, None, issues)  # every table, as ``caseaudit.load`` does
    if "history" not in dataset.unreadable:
        # Contract §2: a month missing from the ledger before the as-of month would
        # silently change every figure of the report.
        check_ledger_gaps(dataset, month_of(day), issues)
    issues.raise_if_any()
    loaded = time.perf_counter()
    tell("monitoring")
    monitoring = build_monitoring(dataset, day)
    timings = {
        "load_s": loaded - started,
        "read_s": read - started,
        "check_s": loaded - read,
        "monitoring_s": time.perf_counter() - loaded,
    }
    timings["total_s"] = time.perf_counter() - started
    manifest: dict[str, object] = {
        **manifest_header(command, "report", solver=False),
        "as_of": day.isoformat(),
        "period": [monitoring.period[0], monitoring.period[-1]],
        "audit_year": list(monitoring.audit_year),
        "inputs_sha256": input_hashes(dataset),
        "config": dataset.config.as_dict(),
        "counts": {name: len(frame) for name, frame in monitoring.tables.items()},
        "timings_s": {k: round(v, 4) for k, v in sorted(timings.items())},
    }
    return ReportResult(monitoring, dataset.config.output, manifest)
