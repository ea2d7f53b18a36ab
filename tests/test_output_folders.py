"""Output folders (contract §2, §6; issue 18): no command ever deletes a file caseaudit did
not write, nor writes into, over or around its input folders.

Every command that writes is run with ``--out`` as the current folder (holding a user's
file), a non-empty folder of the user's, the data folder, its parent and a folder inside
it, with and without ``--force``: each is exit 2 and every file under the test's folder
is unchanged, byte for byte (hashed before and after), and no file or folder appears.
The small preset is generated once per session; the commands run in-process, as the
refusal comes before any work.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from caseaudit.cli.main import cli
from caseaudit.synth import DEFAULT_MONTH

MONTH = DEFAULT_MONTH
AS_OF = "2026-02-28"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture(scope="session")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The small preset's data folder and the month's plan (reallocate's --previous)."""
    root = tmp_path_factory.mktemp("small")
    data, plan = root / "data", root / "plan"
    assert run("generate", "--preset", "small", "--out", str(data)).exit_code == 0
    result = run("allocate", str(data), "--month", MONTH, "--out", str(plan))
    assert result.exit_code == 0, result.stdout + result.stderr
    return data, plan


#: Each command that writes, as arguments given the data folder, the previous plan and OUT.
COMMANDS: dict[str, Callable[[Path, Path, str], list[str]]] = {
    "allocate": lambda data, _plan, out: ["allocate", str(data), "--month", MONTH, "--out", out],
    "reallocate": lambda data, plan, out: [
        "reallocate",
        str(data),
        "--month",
        MONTH,
        "--previous",
        str(plan),
        "--out",
        out,
    ],
    "moderate": lambda data, _plan, out: ["moderate", str(data), "--as-of", AS_OF, "--out", out],
    "report": lambda data, _plan, out: ["report", str(data), "--as-of", AS_OF, "--out", out],
    "plan-breaks": lambda data, _plan, out: [
        "plan-breaks",
        str(data),
        "--year",
        "2026",
        "--out",
        out,
    ],
    "draw-sample": lambda data, _plan, out: [
        "draw-sample",
        str(data),
        "--month",
        "2026-04",
        "--out",
        out,
    ],
    "notify": lambda data, plan, out: [
        "notify",
        str(data),
        "--as-of",
        "2026-03-02",
        "--plan",
        str(plan),
        "--out",
        out,
    ],
    "generate": lambda _data, _plan, out: ["generate", "--preset", "small", "--out", out],
    "demo": lambda _data, _plan, out: ["demo", "--out", out],
}
#: Commands that read a data folder; the others make one (generate) or their own (demo).
READS_DATA = (
    "allocate",
    "reallocate",
    "moderate",
    "report",
    "plan-breaks",
    "draw-sample",
    "notify",
)
#: Where --out points, relative to the test's area: ``data`` is the data folder given.
PLACES = {
    "current folder": ".",
    "a folder of the user's": "mine",
    "the data folder": "data",
    "the data folder's parent": ".",
    "a folder inside the data folder": "data/inner",
}


def cases() -> list[tuple[str, str, bool]]:
    """(command, place, force) for every command and every place that applies to it;
    demo has no --force (it replaces only an earlier demo, contract §6)."""
    triples = []
    for command in COMMANDS:
        for place in PLACES:
            if "data folder" in place and command not in READS_DATA:
                continue  # generate and demo read no data folder: no input to protect
            for force in (False, True) if command != "demo" else (False,):
                triples.append((command, place, force))
    return triples


def hashes(root: Path) -> dict[str, str]:
    """Every file and folder under ``root``: a file's SHA-256, a folder's mark."""
    found = {}
    for path in sorted(root.rglob("*")):
        key = path.relative_to(root).as_posix()
        found[key] = "folder" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@pytest.mark.parametrize(("command", "place", "force"), cases())
def test_out_that_holds_or_touches_the_users_files_is_refused(
    small: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    place: str,
    force: bool,
) -> None:
    # The area: the data folder (as generate wrote it, with its manifest), the previous
    # plan, a user's folder and a user's file. For "current folder" the area is where the
    # command runs from; for the data folder's parent, it runs from elsewhere.
    area = tmp_path / "area"
    area.mkdir()
    data, plan = area / "data", area / "plan"
    shutil.copytree(small[0], data)
    shutil.copytree(small[1], plan)
    (data / "inner").mkdir()
    (data / "inner" / "kept.txt").write_text("a user's note\n", encoding="utf-8")
    (area / "mine").mkdir()
    (area / "mine" / "notes.txt").write_text("a user's notes\n", encoding="utf-8")
    (area / "letter.txt").write_text("a user's letter\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(area if place == "current folder" else elsewhere)
    out = PLACES[place] if place == "current folder" else str(area / PLACES[place])
    before = hashes(tmp_path)

    result = run(*COMMANDS[command](data, plan, out), *(["--force"] if force else []))

    assert result.exit_code == 2, result.stdout + result.stderr
    assert result.stderr.startswith(f"error: output folder {out} "), result.stderr
    assert "Traceback" not in result.stderr
    assert hashes(tmp_path) == before


def test_demo_into_the_current_folder_is_refused_and_deletes_nothing(tmp_path: Path) -> None:
    # Issue 18: `caseaudit demo --out .` emptied the current folder, then crashed.
    (tmp_path / "letter.txt").write_text("a user's letter\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "notes.txt").write_text("notes\n", encoding="utf-8")
    before = hashes(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent / "src")}
    done = subprocess.run(
        [sys.executable, "-c", "from caseaudit.cli.main import main; main()", "demo", "--out", "."],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("error: output folder . is not empty"), done.stderr
    assert hashes(tmp_path) == before


def test_a_folder_holding_another_kind_of_caseaudit_folder_is_refused(
    small: tuple[Path, Path], tmp_path: Path
) -> None:
    # The plan is caseaudit's, but an output of allocate: generate (even with --force)
    # and demo leave it alone; allocate leaves generate's data folder alone.
    plan = tmp_path / "plan"
    shutil.copytree(small[1], plan)
    data = tmp_path / "data"
    shutil.copytree(small[0], data)
    before = hashes(tmp_path)
    for args in (
        ["generate", "--preset", "small", "--out", str(plan), "--force"],
        ["demo", "--out", str(plan)],
        ["allocate", str(small[0]), "--month", MONTH, "--out", str(data), "--force"],
    ):
        result = run(*args)
        assert result.exit_code == 2, result.stdout + result.stderr
        assert "choose another folder" in result.stderr, result.stderr
    assert hashes(tmp_path) == before


def test_a_file_beside_caseaudits_own_files_stops_the_replacement(
    small: tuple[Path, Path], tmp_path: Path
) -> None:
    # The safer choice: a folder caseaudit wrote but that now also holds a user's file is
    # not replaced at all (rather than replaced around that file); the message names it.
    out = tmp_path / "out"
    shutil.copytree(small[1], out)
    (out / "my notes.txt").write_text("mine\n", encoding="utf-8")
    before = hashes(tmp_path)
    result = run("allocate", str(small[0]), "--month", MONTH, "--out", str(out), "--force")
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "holds files caseaudit did not write (my notes.txt)" in result.stderr
    assert hashes(tmp_path) == before


def test_generate_writes_a_manifest_and_replaces_only_its_own_folder(tmp_path: Path) -> None:
    out = tmp_path / "data"
    assert run("generate", "--preset", "small", "--out", str(out)).exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tool"] == "caseaudit"
    assert manifest["folder"] == "data"
    written = sorted(p.name for p in out.iterdir() if p.name != "manifest.json")
    assert manifest["files"] == written
    # Again without --force: refused; with it: replaced, the same files.
    again = run("generate", "--preset", "small", "--out", str(out))
    assert again.exit_code == 2
    assert "pass --force" in again.stderr
    (out / "cases.csv").write_text("edited\n", encoding="utf-8")
    assert run("generate", "--preset", "small", "--out", str(out), "--force").exit_code == 0
    assert (out / "cases.csv").read_text(encoding="utf-8").startswith("case_id,")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]  # no staging left


def test_demo_replaces_an_earlier_demo_without_force(tmp_path: Path) -> None:
    # Contract §6: a folder holding a demo's manifest is replaced; only its listed files
    # go (a stale one among them), and the result is a complete demo.
    out = tmp_path / "demo"
    (out / "out").mkdir(parents=True)
    (out / "out" / "stale.csv").write_text("old\n", encoding="utf-8")
    earlier = {"tool": "caseaudit", "folder": "demo", "files": ["out/stale.csv"]}
    (out / "manifest.json").write_text(json.dumps(earlier), encoding="utf-8")
    result = run("demo", "--out", str(out))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert not (out / "out" / "stale.csv").exists()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["folder"] == "demo"
    on_disk = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert on_disk == sorted([*manifest["files"], "manifest.json"])
    assert {"data/cases.csv", "out/allocations.csv", "report/report.html"} <= set(on_disk)
