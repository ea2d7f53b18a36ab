"""Located input problems: every check reports where, never only the first.

Problems are ranked so that a root cause is read first: a file that cannot be read as a
table (``FILE``) before a header that lacks or misnames a column (``HEADER``) before a bad
cell of ``staff`` or value of ``config.toml`` (``DEFINING``), which the other tables are
read against, before any other bad cell or rule across rows (``ROW``). Identical messages
on many lines of one file are printed once, with a count and the first lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum

MAX_REPORTED_ISSUES = 200
#: How many further line numbers a folded message lists before "…".
LINES_LISTED = 5


class Priority(IntEnum):
    """What an issue blocks, most fundamental first (the order issues are printed in)."""

    FILE = 0  # the file cannot be read as a table: everything else about it is noise
    HEADER = 1  # a column is missing or misnamed: the table's rows cannot be trusted
    #: A value of ``config.toml`` or a cell of ``staff``, which the other tables are read
    #: against: an unknown staff id or "not an auditor" elsewhere may follow from it, so it
    #: is read first (issue 18).
    DEFINING = 2
    ROW = 3  # one cell, or a rule across rows or tables


class SheetFile(str):
    """A table read from a workbook's sheet, named as messages name it
    (``cases.xlsx:cases``), with the letter of each column of its header, so that an
    issue is located as a spreadsheet locates a cell: ``cases.xlsx:cases!F12`` (contract
    §2). A column the header lacks (or ``-``) is located by its row: ``cases!1:1``."""

    letters: dict[str, str]

    def __new__(cls, label: str, letters: Mapping[str, str]) -> SheetFile:
        named = super().__new__(cls, label)
        named.letters = dict(letters)
        return named

    def __reduce__(self) -> tuple[object, ...]:  # kept whole across processes (sweep)
        return (SheetFile, (str(self), self.letters))

    def cell(self, line: int, column: str) -> str:
        letter = self.letters.get(column)
        return f"{self}!{letter}{line}" if letter else f"{self}!{line}:{line}"


@dataclass(frozen=True, order=True)
class InputIssue:
    """One problem in the input, located as a spreadsheet user would look for it.

    ``line`` is the spreadsheet line (header = 1; Parquet row index + 2); ``column`` is
    ``-`` when no single column applies (contract §2).
    """

    file: str
    line: int
    column: str
    message: str
    priority: Priority = field(default=Priority.ROW, compare=False)

    def __str__(self) -> str:
        if isinstance(self.file, SheetFile):  # a workbook's sheet: where a spreadsheet looks
            return f"{self.file.cell(self.line, self.column)}: {self.column}: {self.message}"
        return f"{self.file}:{self.line}: {self.column}: {self.message}"

    def sort_key(self) -> tuple[int, str, int, str, str]:
        return (self.priority, self.file, self.line, self.column, self.message)


class InputWarning(UserWarning):
    """Something in the input that is ignored, not refused (an unknown column, say).

    Issued with :func:`warnings.warn` by the reader (so a notebook shows it) and kept on
    ``Dataset.warnings``; the command line prints each on stderr.
    """


def plural(count: int, noun: str, plural_noun: str | None = None) -> str:
    """``plural(1, "case")`` → ``"1 case"``; ``plural(2, "case")`` → ``"2 cases"``."""
    return f"{count} {noun if count == 1 else (plural_noun or noun + 's')}"


def fold_identical(issues: Iterable[InputIssue]) -> list[tuple[InputIssue, list[int]]]:
    """Issues that differ only by line, grouped: each first issue with the later lines.

    Groups come in the order of their first issue (root causes first, then by file/line).
    """
    groups: dict[tuple[Priority, str, str, str], list[InputIssue]] = {}
    for issue in sorted(issues, key=InputIssue.sort_key):
        groups.setdefault((issue.priority, issue.file, issue.column, issue.message), []).append(
            issue
        )
    folded = [(group[0], [i.line for i in group[1:]]) for group in groups.values()]
    return sorted(folded, key=lambda pair: pair[0].sort_key())


def _folded_line(first: InputIssue, more_lines: list[int]) -> str:
    if not more_lines:
        return str(first)
    listed = ", ".join(str(line) for line in more_lines[:LINES_LISTED])
    ellipsis = ", …" if len(more_lines) > LINES_LISTED else ""
    return f"{first} (and {plural(len(more_lines), 'more line')} like it: {listed}{ellipsis})"


class InputError(Exception):
    """Raised with every input problem found, so that one run reports them all."""

    def __init__(self, issues: list[InputIssue]) -> None:
        self.issues = sorted(set(issues), key=InputIssue.sort_key)
        super().__init__("\n".join(self.lines()))

    def __reduce__(self) -> tuple[type[InputError], tuple[list[InputIssue]]]:
        """Pickled with its issues, not its message: a sweep's worker process raises it
        and the parent re-raises it (``Exception`` pickles ``args``, the joined text)."""
        return (type(self), (self.issues,))

    def lines(self) -> list[str]:
        """The messages to print: root causes first, identical messages folded, at most
        the contract's 200 lines and then how many problems were not shown."""
        folded = fold_identical(self.issues)
        shown = folded[:MAX_REPORTED_ISSUES]
        lines = [_folded_line(first, more) for first, more in shown]
        hidden = sum(1 + len(more) for _, more in folded[MAX_REPORTED_ISSUES:])
        if hidden:
            lines.append(f"-:-: -: {plural(hidden, 'more problem')} not shown")
        return lines


class IssueCollector:
    """Accumulates located issues (and ignored-input warnings) across all tables and
    checks of one run."""

    def __init__(self) -> None:
        self.issues: list[InputIssue] = []
        self.warnings: list[InputIssue] = []

    def add(
        self, file: str, line: int, column: str, message: str, priority: Priority = Priority.ROW
    ) -> None:
        self.issues.append(InputIssue(file, line, column, message, priority))

    def warn(self, file: str, line: int, column: str, message: str) -> None:
        """Something ignored, not refused: the run goes on."""
        self.warnings.append(InputIssue(file, line, column, message))

    def raise_if_any(self) -> None:
        if self.issues:
            raise InputError(self.issues)
