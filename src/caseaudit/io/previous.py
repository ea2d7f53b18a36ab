"""Read the previous plan of a month (an ``allocate`` or ``reallocate`` output directory)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from caseaudit.model.errors import IssueCollector, plural

REQUIRED = {
    "allocations": ("audit_id", "month", "case_id", "auditor_id"),
    "break_decisions": ("auditor_id", "month", "requested_on", "on_time", "decision"),
}


@dataclass(frozen=True)
class PreviousPlan:
    allocations: pd.DataFrame
    break_decisions: pd.DataFrame
    files_sha256: dict[str, str]
    directory: str


def read_previous_plan(directory: Path | str, month: str) -> PreviousPlan:
    """The plan's Parquet files, checked to be of ``month``; ``InputError`` otherwise."""
    root = Path(directory)
    issues = IssueCollector()
    frames: dict[str, pd.DataFrame] = {}
    hashes: dict[str, str] = {}
    for name, columns in REQUIRED.items():
        path = root / f"{name}.parquet"
        label = f"{root.name}/{path.name}"
        if not path.exists():
            issues.add(label, 1, "-", f"previous plan file missing: {path}")
            continue
        hashes[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
        try:
            frame = pq.read_table(path).to_pandas(date_as_object=True)
        except Exception as exc:  # pyarrow raises many kinds
            issues.add(label, 1, "-", f"not a readable Parquet file ({type(exc).__name__})")
            continue
        missing = [c for c in columns if c not in frame.columns]
        for column in missing:
            issues.add(label, 1, column, "required column missing")
        if missing:
            continue
        frame = frame.astype(object).where(frame.notna(), None)
        _check_month(issues, label, frame["month"], month)
        frames[name] = frame
    if "allocations" in frames:
        duplicated = frames["allocations"]["case_id"].duplicated()
        for position in duplicated[duplicated].index:
            issues.add(
                f"{root.name}/allocations.parquet",
                int(position) + 2,
                "case_id",
                "case allocated twice in the previous plan",
            )
    issues.raise_if_any()
    return PreviousPlan(frames["allocations"], frames["break_decisions"], hashes, str(root))


def read_plan(directory: Path | str) -> PreviousPlan:
    """A plan folder of whichever month its allocations are of (``notify --plan``)."""
    path = Path(directory) / "allocations.parquet"
    months: list[object] = []
    if path.exists():
        try:
            months = pq.read_table(path, columns=["month"]).column("month").to_pylist()
        except Exception:  # read_previous_plan says what is wrong with the file
            months = []
    month = next((m for m in months if isinstance(m, str)), "")
    return read_previous_plan(directory, month)


def _check_month(issues: IssueCollector, label: str, months: pd.Series, month: str) -> None:
    """One issue per other month found, at its first row, with the count: a plan of the
    wrong month is one mistake, not one per row."""
    wrong = months[months != month]
    shown = wrong.map(lambda v: "(empty)" if v is None else str(v))
    for value, rows in wrong.groupby(shown, sort=True):
        first_line = int(rows.index[0]) + 2
        issues.add(
            label,
            first_line,
            "month",
            f"{plural(len(rows), 'row')} of the plan {'is' if len(rows) == 1 else 'are'} of "
            f"month {value}, not {month}: --previous must be an output of {month}",
        )
