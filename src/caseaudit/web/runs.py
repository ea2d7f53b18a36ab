"""The run folders ``caseaudit serve`` writes (issue 25, contract §2).

Each action (allocate, re-plan, draw the sample, report, moderation, the year's
breaks) runs in a thread and writes one new folder under the runs folder
(``DATA_DIR/../caseaudit-runs/`` unless ``--runs``), through ``write_folder``: all or
nothing, never over a folder caseaudit did not write, never inside the data folder.
Its manifest says ``"serve": {...}`` (the action and its inputs): a folder without it
was not made by the server and is never listed or served. One action runs at a time:
a second press while one runs is told "already running", never a second writer.
"""

from __future__ import annotations

import re
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from caseaudit.io.folders import MANIFEST, OutputLocationError, check_output_dir, our_manifest
from caseaudit.model.errors import InputError

#: A run id as the server makes them: ``<month or year or date>-<action>-<n>``.
RUN_ID = re.compile(r"^[0-9]{4}(?:-[0-9]{2}){0,2}-[a-z-]+-[0-9]{3}$")
#: A file a run lists: a plain name, no folder, nothing hidden.
FILE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")

Stage = Callable[[str], None]
#: An action: given the run folder and a way to report its stage, writes the folder
#: (through ``write_folder``) with ``serve`` in its manifest.
Action = Callable[[Path, Stage], None]


@dataclass
class Job:
    """An action in progress or finished in this server's life."""

    run_id: str
    action: str
    #: Each stage as the API names it (``caseaudit.results.STAGES``: "reading",
    #: "checking", "solving", ...) with the seconds since the run started, as the
    #: terminal shows them (issue 24).
    stages: list[tuple[str, float]] = field(default_factory=list)
    done: bool = False
    errors: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)

    def tell(self, stage: str) -> None:
        """The ``progress`` callback the action passes to the API: a stage told twice
        in a row (``load`` inside ``allocate``, say) is listed once."""
        if self.stages and self.stages[-1][0] == stage:
            return
        self.stages.append((stage, round(time.perf_counter() - self.started, 1)))


class AlreadyRunning(Exception):
    """Another action is running: one at a time, so no two write at once."""

    def __init__(self, job: Job) -> None:
        super().__init__(f"{job.action} is already running (run {job.run_id})")
        self.job = job


class Runs:
    """The runs folder: starting actions, one at a time, and finding what they wrote."""

    def __init__(self, root: Path, data_dir: Path) -> None:
        self.root = root
        self.data_dir = data_dir
        self.jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._running: Job | None = None

    def start(self, prefix: str, action_name: str, action: Action) -> Job:
        """Start ``action`` in a thread in a new run folder ``<prefix>-<action>-<n>``;
        ``AlreadyRunning`` when another action has not finished."""
        with self._lock:
            if self._running is not None and not self._running.done:
                raise AlreadyRunning(self._running)
            run_id = self._next_id(f"{prefix}-{action_name}")
            run_dir = self.root / run_id
            # Refused before any work (contract §2): inside the data folder, say.
            check_output_dir(run_dir, False, [self.data_dir])
            job = Job(run_id, action_name)
            self.jobs[run_id] = job
            self._running = job
        threading.Thread(target=self._run, args=(job, run_dir, action), daemon=True).start()
        return job

    def _next_id(self, stem: str) -> str:
        taken = set(self.jobs)
        if self.root.is_dir():
            taken |= {entry.name for entry in self.root.iterdir()}
        number = 1
        while f"{stem}-{number:03d}" in taken:
            number += 1
        return f"{stem}-{number:03d}"

    def _run(self, job: Job, run_dir: Path, action: Action) -> None:
        try:
            action(run_dir, job.tell)
            job.tell("done")
        except InputError as error:
            job.errors = error.lines()
        except OutputLocationError as error:
            job.errors = [f"error: {error}"]
        except Exception as error:  # a bug: said in the page, the traceback on stderr
            traceback.print_exc()
            job.errors = [f"internal error ({type(error).__name__}): {error}"]
        finally:
            job.done = True

    def manifest(self, run_id: str) -> dict[str, Any] | None:
        """The manifest of a finished run the server made, or None. ``run_id`` is
        matched against the folder's entries, never joined as a path as given."""
        if not RUN_ID.match(run_id) or not self.root.is_dir():
            return None
        if run_id not in {entry.name for entry in self.root.iterdir() if entry.is_dir()}:
            return None
        manifest = our_manifest(self.root / run_id)
        if manifest is None or not isinstance(manifest.get("serve"), dict):
            return None
        return dict(manifest)

    def file(self, run_id: str, name: str) -> Path | None:
        """A file of a finished run, only when its manifest lists ``name``."""
        manifest = self.manifest(run_id)
        if manifest is None or not FILE_NAME.match(name):
            return None
        files = manifest.get("files")
        listed = set(files) | {MANIFEST} if isinstance(files, list) else set()
        if name not in listed:
            return None
        return self.root / run_id / name

    def finished(self, kind: str | None = None) -> list[tuple[str, dict[str, Any]]]:
        """The server's finished runs, newest first (by id), of one action if given."""
        if not self.root.is_dir():
            return []
        runs = []
        # Newest first by when the folder was put in place; the name breaks ties.
        entries = sorted(
            self.root.iterdir(), key=lambda e: (e.stat().st_mtime_ns, e.name), reverse=True
        )
        for entry in entries:
            manifest = self.manifest(entry.name)
            if manifest is None:
                continue
            if kind is None or manifest["serve"].get("action") == kind:
                runs.append((entry.name, manifest))
        return runs
