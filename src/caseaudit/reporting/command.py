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
import sys
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from caseaudit.io.reader import read_dataset
from caseaudit.io.writer import write_outputs
from caseaudit.model.config import OutputConfig
from caseaudit.model.dataset import Dataset
from caseaudit.model.errors import IssueCollector
from caseaudit.model.validate import validate_dataset
from caseaudit.provenance import input_hashes, package_version
from caseaudit.reporting.monitoring import FIGURE_NAMES, Monitoring, build_monitoring


@dataclass(frozen=True)
class ReportResult:
    """The lists and figures as of one day, the manifest, and the page drawn from them."""

    monitoring: Monitoring
    #: ``[output]`` of the config: the CSVs' date format and byte-order mark.
    output: OutputConfig = field(default_factory=OutputConfig)
    manifest: dict[str, object] = field(default_factory=dict)

    @property
    def as_of(self) -> dt.date:
        return self.monitoring.as_of

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
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

    def write(self, out_dir: Path | str, force: bool = False) -> None:
        """Every list and figure as CSV and Parquet, ``report.html`` and ``manifest.json``,
        all or nothing (contract §2)."""
        write_outputs(
            Path(out_dir),
            self.tables,
            self.manifest,
            self.output,
            force=force,
            files={"report.html": self.html},
        )


def report(
    data: Dataset | Path | str, as_of: dt.date | str, command: str | None = None
) -> ReportResult:
    """The monitoring lists and figures as of ``as_of`` (issue 10). ``data`` may be a
    directory path; ``as_of`` a date or ISO text."""
    started = time.perf_counter()
    day = as_of if isinstance(as_of, dt.date) else dt.date.fromisoformat(str(as_of).strip())
    if isinstance(data, Dataset):
        dataset = data
        validate_dataset(dataset).raise_if_any()
    else:  # read and check every table, as ``caseaudit.load`` does
        issues = IssueCollector()
        dataset = read_dataset(data, issues)
        validate_dataset(dataset, None, issues).raise_if_any()
    loaded = time.perf_counter()
    monitoring = build_monitoring(dataset, day)
    timings = {
        "load_s": loaded - started,
        "monitoring_s": time.perf_counter() - loaded,
    }
    timings["total_s"] = time.perf_counter() - started
    manifest: dict[str, object] = {
        "tool": "caseaudit",
        "tool_version": package_version("caseaudit"),
        "python_version": sys.version.split()[0],
        "command": command or "caseaudit.report()",
        "as_of": day.isoformat(),
        "period": [monitoring.period[0], monitoring.period[-1]],
        "audit_year": list(monitoring.audit_year),
        "inputs_sha256": input_hashes(dataset),
        "config": dataset.config.as_dict(),
        "counts": {name: len(frame) for name, frame in monitoring.tables.items()},
        "timings_s": {k: round(v, 4) for k, v in sorted(timings.items())},
    }
    return ReportResult(monitoring, dataset.config.output, manifest)
