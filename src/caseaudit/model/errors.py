"""Located input problems: every check reports where, never only the first."""

from __future__ import annotations

from dataclasses import dataclass

MAX_REPORTED_ISSUES = 200


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

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.column}: {self.message}"


class InputError(Exception):
    """Raised with every input problem found, so that one run reports them all."""

    def __init__(self, issues: list[InputIssue]) -> None:
        self.issues = sorted(set(issues), key=lambda i: (i.file, i.line, i.column, i.message))
        super().__init__("\n".join(str(i) for i in self.issues[:MAX_REPORTED_ISSUES]))

    def lines(self) -> list[str]:
        """The messages to print, capped at the contract's 200."""
        shown = [str(i) for i in self.issues[:MAX_REPORTED_ISSUES]]
        hidden = len(self.issues) - len(shown)
        if hidden > 0:
            shown.append(f"-:-: -: {hidden} more problems not shown")
        return shown


class IssueCollector:
    """Accumulates located issues across all tables and checks of one run."""

    def __init__(self) -> None:
        self.issues: list[InputIssue] = []

    def add(self, file: str, line: int, column: str, message: str) -> None:
        self.issues.append(InputIssue(file, line, column, message))

    def raise_if_any(self) -> None:
        if self.issues:
            raise InputError(self.issues)
