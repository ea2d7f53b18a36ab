"""Progress on long runs (issue 24): the stages on stderr when it is a terminal, never
in a pipe, in CI or with --quiet; stdout the same bytes in every case."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner

import caseaudit
from caseaudit.cli.main import cli
from caseaudit.synth import DEFAULT_MONTH

SOURCE = str(Path(caseaudit.__file__).resolve().parents[1])  # this tree's caseaudit
COMMAND = "import sys; from caseaudit.cli.main import main; sys.argv[0] = 'caseaudit'; main()"


def caseaudit_run(args: list[str], cwd: Path, terminal: bool, **env: str) -> tuple[bytes, bytes]:
    """stdout (always a pipe) and stderr (a pseudo-terminal when ``terminal``)."""
    environment = {k: v for k, v in os.environ.items() if k != "CI"}
    environment.update(PYTHONPATH=SOURCE, **env)
    if not terminal:
        done = subprocess.run(
            [sys.executable, "-c", COMMAND, *args], cwd=cwd, env=environment, capture_output=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout, done.stderr
    master, slave = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-c", COMMAND, *args],
        cwd=cwd,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=slave,
    )
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the terminal closes when the process ends (EIO on Linux)
            break
        if not chunk:
            break
        shown += chunk
    stdout = process.stdout.read() if process.stdout else b""
    assert process.wait() == 0, shown
    os.close(master)
    return stdout, shown


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("progress")
    result = CliRunner().invoke(cli, ["generate", "--preset", "small", "--out", str(root / "d")])
    assert result.exit_code == 0
    return root / "d"


def allocate_args(data_dir: Path, *extra: str) -> list[str]:
    return [*extra, "allocate", str(data_dir), "--month", DEFAULT_MONTH, "--out", "out"]


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="no pseudo-terminals on this system")
def test_progress_is_shown_on_a_terminal_and_never_in_a_pipe(
    data_dir: Path, tmp_path: Path
) -> None:
    settings: tuple[tuple[str, bool, tuple[str, ...], dict[str, str]], ...] = (
        ("pipe", False, (), {}),
        ("terminal", True, (), {}),
        ("quiet", True, ("--quiet",), {}),
        ("ci", True, (), {"CI": "true"}),
    )
    for name, *_ in settings:
        (tmp_path / name).mkdir()
    # The four processes run side by side (each in its own folder): the test waits for
    # one process's time, not four (issue 23: make test stays fast).
    with ThreadPoolExecutor(len(settings)) as pool:
        started = {
            name: pool.submit(
                caseaudit_run, allocate_args(data_dir, *extra), tmp_path / name, terminal, **env
            )
            for name, terminal, extra, env in settings
        }
        runs = {name: future.result() for name, future in started.items()}
    stdout = runs["pipe"][0]
    assert stdout.startswith(f"{DEFAULT_MONTH}: ".encode())
    for name, (out, _) in runs.items():
        assert out == stdout, name  # stdout the same bytes, whatever stderr is
    shown = runs["terminal"][1].decode("utf-8")
    for words in (
        "reading the input tables",
        "checking",
        "building",
        "solving",
        "reasons",
        "writing the files",
        "done",
    ):
        assert words in shown, (words, shown)
    assert runs["pipe"][1] == b""
    assert runs["quiet"][1] == b""
    assert runs["ci"][1] == b""


def first_case_of_the_month(data_dir: Path) -> str:
    """A case of the default month, for ``explain --case``."""
    for line in (data_dir / "cases.csv").read_text(encoding="utf-8").splitlines()[1:]:
        case_id, month = line.split(",")[:2]
        if month == DEFAULT_MONTH:
            return case_id
    raise AssertionError("the small preset has no case in its month")


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="no pseudo-terminals on this system")
@pytest.mark.parametrize(
    ("command", "stages", "absent"),
    [
        # validate reads and checks, nothing else: no building nor solving to show
        ("validate", ("reading the input tables", "checking every rule"), ("building", "solving")),
        # explain makes the plan allocate makes, then answers from it; nothing is written
        (
            "explain",
            ("reading the input tables", "checking", "building", "solving", "reasons"),
            ("writing the files",),
        ),
    ],
)
def test_validate_and_explain_show_their_stages_on_a_terminal_only(
    data_dir: Path,
    tmp_path: Path,
    command: str,
    stages: tuple[str, ...],
    absent: tuple[str, ...],
) -> None:
    args = [command, str(data_dir), "--month", DEFAULT_MONTH]
    if command == "explain":
        args += ["--case", first_case_of_the_month(data_dir)]
    piped_out, piped_err = caseaudit_run(args, tmp_path, terminal=False)
    shown_out, shown_err = caseaudit_run(args, tmp_path, terminal=True)
    quiet_out, quiet_err = caseaudit_run(["--quiet", *args], tmp_path, terminal=True)
    assert piped_out == shown_out == quiet_out  # stdout the same bytes, whatever stderr is
    assert piped_out  # and it says something: the check's counts, the answer
    shown = shown_err.decode("utf-8")
    for words in (*stages, "done"):
        assert words in shown, (words, shown)
    for words in absent:
        assert words not in shown, (words, shown)
    assert piped_err == b""
    assert quiet_err == b""
