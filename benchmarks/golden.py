"""Golden outputs: every command on small, median, largest and region, compared file by file.

``make golden`` (compare) and ``make golden-record`` (record), issue 19: before the
house is rebuilt, the outputs of every command are recorded, and after it they must be
the same bytes. What is committed is ``benchmarks/golden.json``: per preset and command,
the exit code, the SHA-256 of stdout and stderr, and the SHA-256 of every file written.
It is small and reviewable; the outputs themselves (tens of MB for region) are kept, when
recorded, under ``.golden/`` (not committed) so that a later compare on the same machine
can also show the differing lines.

The runs go through the command line only (the ``caseaudit`` script beside the
interpreter, with this tree's ``src`` first on the path), in a
scratch folder with relative paths, so that moving modules around cannot change what is
run and the manifests' ``command`` keys are the same wherever it runs. Per preset (seed 0,
the presets' month 2026-03, CSV data as P&Q keep it):

- ``generate``: the data folder itself;
- ``allocate`` of 2026-03;
- ``reallocate`` of 2026-03 after 5 honoured exemptions of the plan's first audits (by
  audit id), approved by the first Assistant Director (CSC auditors) or Strategic Lead
  (P&Q auditors), as ``benchmarks/run.py`` does;
- ``moderate`` and ``report`` as of 2026-02-28; ``plan-breaks --year 2026
  --emit-requests``;
- ``explain --json`` for a pair (the second allocation's case with the first one's
  auditor: allowed, not chosen, as ``benchmarks/explain.py`` asks), a case (the first
  allocation's) and the month, the month with ``[policy] max_audits_per_year = 9`` so
  that it is short of auditors and the diagnosis and relaxations have something to say.

Volatile content left out of the comparison: in every ``manifest.json``, the keys
``timings_s`` and every key naming an installed version (``*_version``, ``versions``),
at any depth; the file is hashed as canonical JSON without them. Everything else is
compared byte for byte (Parquet files, PNG images and report.html included: they are
byte-stable for one set of installed packages; re-record after upgrading any).

    python benchmarks/golden.py                      # compare with benchmarks/golden.json
    python benchmarks/golden.py --record             # run and write benchmarks/golden.json
    python benchmarks/golden.py --presets small median --keep /tmp/golden-now
"""

from __future__ import annotations

import argparse
import csv
import difflib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "benchmarks" / "golden.json"
OUTPUTS = ROOT / ".golden" / "outputs"  # the recorded files, for line diffs (not committed)
PRESETS = ("small", "median", "largest", "region")
SEED = 0
MONTH = "2026-03"
AS_OF = "2026-02-28"
YEAR = "2026"
EXEMPTIONS = 5
#: Keys of a manifest.json that change from run to run or with the installed packages.
VOLATILE_KEYS = frozenset({"timings_s", "versions"})


def volatile(key: str) -> bool:
    return key in VOLATILE_KEYS or key.endswith("_version")


def stable_json(value: object) -> object:
    """``value`` without its volatile keys, at any depth."""
    if isinstance(value, dict):
        return {k: stable_json(v) for k, v in value.items() if not volatile(k)}
    if isinstance(value, list):
        return [stable_json(v) for v in value]
    return value


def file_digest(path: Path) -> str:
    if path.name == "manifest.json":
        stable = stable_json(json.loads(path.read_text(encoding="utf-8")))
        data = json.dumps(stable, sort_keys=True, indent=1).encode()
    else:
        data = path.read_bytes()
    return hashlib.sha256(data).hexdigest()


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Step:
    """One command of one preset: its arguments, and the folder it writes (if any)."""

    name: str
    arguments: tuple[str, ...]
    writes: str | None


def run_cli(work: Path, arguments: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(ROOT / "src")}
    command = [str(Path(sys.executable).parent / "caseaudit"), *arguments]
    return subprocess.run(command, cwd=work, env=env, capture_output=True, text=True)


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def add_exemptions(data: Path, target: Path, plan: Path) -> None:
    """``data`` copied to ``target`` with the plan's first audits exempted and approved."""
    shutil.copytree(data, target)
    staff = rows(data / "staff.csv")
    approver = {
        group: min(s["staff_id"] for s in staff if s["role"] == role)
        for group, role in (("csc", "assistant_director"), ("pq", "strategic_lead_ipq"))
    }
    group = {s["staff_id"]: s["staff_group"] for s in staff}
    chosen = sorted(rows(plan / "allocations.csv"), key=lambda r: r["audit_id"])[:EXEMPTIONS]
    extra = [
        {
            "case_id": r["case_id"],
            "month": MONTH,
            "auditor_id": r["auditor_id"],
            "requested_on": "2026-03-03",
            "decision": "approved",
            "decided_by": approver[group[r["auditor_id"]]],
            "decided_on": "2026-03-04",
        }
        for r in chosen
    ]
    keys = {(r["case_id"], r["month"], r["auditor_id"]) for r in extra}
    existing = rows(data / "exemptions.csv")
    kept = [r for r in existing if (r["case_id"], r["month"], r["auditor_id"]) not in keys]
    with (target / "exemptions.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(extra[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(kept + extra)


def steps_of(work: Path) -> Iterator[Step]:
    """The preset's commands in order; the later ones read what the earlier ones wrote."""
    yield Step("allocate", ("allocate", "data", "--month", MONTH, "--out", "allocate"), "allocate")
    add_exemptions(work / "data", work / "data-exempted", work / "allocate")
    replan = ("reallocate", "data-exempted", "--month", MONTH, "--previous", "allocate")
    yield Step("reallocate", (*replan, "--out", "reallocate"), "reallocate")
    yield Step("moderate", ("moderate", "data", "--as-of", AS_OF, "--out", "moderate"), "moderate")
    yield Step(
        "plan-breaks",
        ("plan-breaks", "data", "--year", YEAR, "--out", "plan-breaks", "--emit-requests"),
        "plan-breaks",
    )
    yield Step("report", ("report", "data", "--as-of", AS_OF, "--out", "report"), "report")
    plan = rows(work / "allocate" / "allocations.csv")
    pair = ("--case", plan[1]["case_id"], "--auditor", plan[0]["auditor_id"])
    explain = ("explain", "data", "--month", MONTH, "--json")
    yield Step("explain-pair", explain + pair, None)
    yield Step("explain-case", (*explain, "--case", plan[0]["case_id"]), None)
    shutil.copytree(work / "data", work / "data-tight")
    (work / "data-tight" / "config.toml").write_text("[policy]\nmax_audits_per_year = 9\n")
    month = ("explain", "data-tight", "--month", MONTH, "--json")
    yield Step("explain-month", month, None)


def record_step(work: Path, step: Step, keep: Path) -> dict[str, object]:
    """Run one step; its exit code and digests; its files copied into ``keep``."""
    done = run_cli(work, step.arguments)
    kept = keep / step.name
    kept.mkdir(parents=True, exist_ok=True)
    (kept / "stdout.txt").write_text(done.stdout, encoding="utf-8")
    (kept / "stderr.txt").write_text(done.stderr, encoding="utf-8")
    files: dict[str, str] = {}
    if step.writes is not None and (work / step.writes).is_dir():
        for path in sorted((work / step.writes).rglob("*")):
            if path.is_file():
                name = path.relative_to(work / step.writes).as_posix()
                files[name] = file_digest(path)
                (kept / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, kept / name)
    return {
        "arguments": list(step.arguments),
        "exit": done.returncode,
        "stdout": text_digest(done.stdout),
        "stderr": text_digest(done.stderr),
        "files": files,
    }


def run_preset(preset: str, scratch: Path, keep: Path) -> tuple[dict[str, object], float]:
    """Every command of ``preset``: {step: record}, and the seconds it took."""
    started = time.perf_counter()
    work = scratch / preset
    work.mkdir(parents=True)
    generate = Step(
        "generate",
        ("generate", "--preset", preset, "--seed", str(SEED), "--month", MONTH, "--out", "data"),
        "data",
    )
    results = {"generate": record_step(work, generate, keep / preset)}
    if results["generate"]["exit"] != 0:
        return results, time.perf_counter() - started
    for step in steps_of(work):
        results[step.name] = record_step(work, step, keep / preset)
    return results, time.perf_counter() - started


def differences(
    expected: dict[str, object], actual: dict[str, object], preset: str
) -> Iterator[tuple[str, str]]:
    """(``preset/step/what``, how it differs) for every step, stream and file."""
    for step in sorted(set(expected) | set(actual)):
        where = f"{preset}/{step}"
        if step not in actual:
            yield where, "not run now"
            continue
        if step not in expected:
            yield where, "not recorded"
            continue
        old, new = expected[step], actual[step]
        assert isinstance(old, dict) and isinstance(new, dict)
        if old["arguments"] != new["arguments"]:
            yield where, f"arguments {' '.join(old['arguments'])} -> {' '.join(new['arguments'])}"
        if old["exit"] != new["exit"]:
            yield where, f"exit {old['exit']} -> {new['exit']}"
        for stream in ("stdout", "stderr"):
            if old[stream] != new[stream]:
                yield f"{where}/{stream}.txt", "differs"
        old_files, new_files = old["files"], new["files"]
        for name in sorted(set(old_files) | set(new_files)):
            if name not in new_files:
                yield f"{where}/{name}", "no longer written"
            elif name not in old_files:
                yield f"{where}/{name}", "newly written"
            elif old_files[name] != new_files[name]:
                yield f"{where}/{name}", "differs"


def show_diff(recorded: Path, now: Path, lines: int) -> None:
    """The first differing lines of a text file, when the recorded copy is at hand."""
    if not recorded.is_file() or not now.is_file():
        return
    if recorded.suffix not in {".csv", ".json", ".txt", ".html", ".toml"}:
        return
    old = recorded.read_text(encoding="utf-8", errors="replace").splitlines()
    new = now.read_text(encoding="utf-8", errors="replace").splitlines()
    if recorded.name == "manifest.json":
        old = json.dumps(stable_json(json.loads("\n".join(old))), indent=1).splitlines()
        new = json.dumps(stable_json(json.loads("\n".join(new))), indent=1).splitlines()
    diff = list(difflib.unified_diff(old, new, "recorded", "now", n=0, lineterm=""))
    for line in diff[2 : 2 + lines]:
        print(f"      {line[:200]}")
    if len(diff) > 2 + lines:
        print(f"      ... {len(diff) - 2 - lines} more diff lines")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true", help=f"write {MANIFEST.name}")
    parser.add_argument("--presets", nargs="+", default=list(PRESETS), choices=PRESETS)
    parser.add_argument("--keep", type=Path, help="keep this run's outputs in this folder")
    parser.add_argument("--diff-lines", type=int, default=6, help="lines shown per text file")
    args = parser.parse_args(argv)
    recorded: dict[str, dict[str, object]] = (
        json.loads(MANIFEST.read_text()) if MANIFEST.is_file() else {}
    )
    if not args.record and not recorded:
        print(f"nothing recorded: run {sys.argv[0]} --record first", file=sys.stderr)
        return 2
    keep = args.keep or (OUTPUTS if args.record else None)
    results: dict[str, dict[str, object]] = {}
    total = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="caseaudit-golden-") as tmp:
        scratch = Path(tmp)
        outputs = keep if keep is not None else scratch / "kept"
        for preset in args.presets:
            if (outputs / preset).exists():
                shutil.rmtree(outputs / preset)
            results[preset], seconds = run_preset(preset, scratch / "work", outputs)
            print(f"{preset:8} {len(results[preset])} commands in {seconds:5.1f}s", flush=True)
        print(f"all      {time.perf_counter() - total:5.1f}s")
        if args.record:
            recorded.update(results)
            ordered = {p: recorded[p] for p in PRESETS if p in recorded}
            MANIFEST.write_text(json.dumps(ordered, indent=1, sort_keys=True) + "\n")
            print(f"recorded {', '.join(args.presets)} in {MANIFEST.relative_to(ROOT)}")
            if keep is not None:
                print(f"outputs kept in {keep}")
            return 0
        found = []
        for preset in args.presets:
            if preset not in recorded:
                found.append((preset, "not recorded"))
                continue
            found += list(differences(recorded[preset], results[preset], preset))
        if not found:
            print(f"golden: every output of {', '.join(args.presets)} as recorded")
            return 0
        print(f"golden: {len(found)} differences from {MANIFEST.relative_to(ROOT)}:")
        for where, how in found:
            print(f"  {where}: {how}")
            if how == "differs":
                show_diff(OUTPUTS / where, outputs / where, args.diff_lines)
        return 1


if __name__ == "__main__":
    sys.exit(main())
