"""Progress on long runs (issue 24): on a terminal, each stage of a command (reading,
checking, building, solving, reasons, writing) is named on stderr with the time since
the command started, and the total at the end, written with ``rich``.

Nothing is shown when stderr is not a terminal (a pipe, a file, a test), in CI (the
environment variable ``CI`` is set, as CI services set it) or with ``--quiet``; stdout
is never touched, so what a command prints there is the same bytes either way. Lines
are printed, not redrawn: a live display would capture stdout while it runs.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console

from caseaudit.results import STAGES

#: What the API calls at the start of each stage.
Stage = Callable[[str], None]


def shown(quiet: bool) -> bool:
    """Whether progress is shown: stderr is a terminal, not in CI, not ``--quiet``."""
    return not quiet and not os.environ.get("CI") and sys.stderr.isatty()


class Progress:
    """Names each stage as it starts, with the seconds since the command started."""

    def __init__(self, enabled: bool) -> None:
        self.console = Console(stderr=True, highlight=False) if enabled else None
        self.started = time.perf_counter()
        self.current: str | None = None

    def __call__(self, stage: str) -> None:
        if self.console is None or stage == self.current:
            return
        self.current = stage
        words = STAGES.get(stage, stage)
        self.console.print(f"[dim]{time.perf_counter() - self.started:7.1f}s[/dim] {words}…")

    def finish(self) -> None:
        if self.console is not None:
            self.console.print(f"[dim]{time.perf_counter() - self.started:7.1f}s[/dim] done")


@contextmanager
def progress(quiet: bool) -> Iterator[Progress]:
    """A ``Progress`` for one command; ``done`` is said when it ends with its work done
    (exit 0, or 3: contract §2), never after an error."""
    shown_here = Progress(shown(quiet))
    try:
        yield shown_here
    except SystemExit as leaving:  # exit 3, done but not everything allocated
        if leaving.code == 3:
            shown_here.finish()
        raise
    shown_here.finish()
