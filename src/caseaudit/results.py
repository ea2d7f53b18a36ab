"""One result type for every command (issue 19): tables, a manifest, ``summary()``,
``complete`` and ``write()``.

Each command's result (``AllocationResult``, ``ModerationResult``, ``BreakPlanResult``,
``ReportResult``, ``SampleResult``) is a :class:`Result`: the output tables by name, the
manifest (its header from :func:`manifest_header`), a one-paragraph ``summary()``, and
``complete`` — False when the command must exit 3 (contract §2), with
``incomplete_notice`` saying why on stderr. ``write()`` writes the tables, the result's
extra files and ``manifest.json`` into a folder, all or nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from caseaudit.io.writer import write_outputs
from caseaudit.model.config import OutputConfig
from caseaudit.provenance import package_version


class Result:
    """What a command returns. A subclass (a frozen dataclass) has ``tables`` and
    ``manifest`` fields and says how it is summarised; ``complete`` is True unless it
    says otherwise."""

    tables: dict[str, pd.DataFrame]
    manifest: dict[str, object]

    @property
    def output_config(self) -> OutputConfig:
        """``[output]`` of the config: the CSVs' date format and byte-order mark."""
        return OutputConfig()

    @property
    def complete(self) -> bool:
        """Everything asked for was done; False means exit 3 (contract §2)."""
        return True

    @property
    def incomplete_notice(self) -> str:
        """What stderr says when the result is not complete."""
        return ""

    def summary(self) -> str:
        raise NotImplementedError

    def files(self) -> dict[str, bytes]:
        """Files written beside the tables (a figure, a page)."""
        return {}

    def written_tables(self, **options: bool) -> dict[str, pd.DataFrame]:
        """The tables ``write`` writes; ``options`` are the command's writing flags."""
        return self.tables

    def write(self, out_dir: Path | str, force: bool = False, **options: bool) -> None:
        """The tables as CSV and Parquet, the extra files and ``manifest.json``, all or
        nothing (contract §2)."""
        write_outputs(
            Path(out_dir),
            self.written_tables(**options),
            self.manifest,
            self.output_config,
            force=force,
            files=self.files() or None,
        )


def manifest_header(command: str | None, function: str, solver: bool = True) -> dict[str, object]:
    """The first keys of every manifest: the tool and its versions (OR-Tools' when the
    command solves), and the command line (or the API function called)."""
    header: dict[str, object] = {
        "tool": "caseaudit",
        "tool_version": package_version("caseaudit"),
    }
    if solver:
        header["ortools_version"] = package_version("ortools")
    header["python_version"] = sys.version.split()[0]
    header["command"] = command or f"caseaudit.{function}()"
    return header


#: The stages every command tells its ``progress`` callback, in the words a terminal and
#: the web page show (issue 24, issue 25).
STAGES = {
    "reading": "reading the input tables",
    "checking": "checking every rule across the tables",
    "building": "building the problem to solve",
    "solving": "solving",
    "reasons": "writing each decision's reasons",
    "generating": "generating the synthetic tables",
    "drawing": "drawing the sample",
    "monitoring": "gathering the monitoring lists and figures",
    "notices": "gathering the notices due",
    "sending": "sending the notices",
    "writing": "writing the files",
    "running": "working",
}
