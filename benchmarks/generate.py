"""caseaudit generate at scale (issue 23): `python benchmarks/generate.py`.

The figure is the whole `caseaudit generate --preset national --seed 0 --format parquet`
process (interpreter start, imports, building the authority, sorting and writing its
eleven tables), with its peak resident memory (``benchmarks/measure.py``). Beside it, in
the same run:

- the baseline of issue 23: `caseaudit validate` of the folder it wrote (reading and
  checking the same tables);
- pyarrow writing the same tables alone (``pq.write_table`` of the Arrow tables read
  back from that folder, the reading not counted): the floor for the write stage;
- the stages of generate in one process: building the tables, then writing them.

Target: ≤ 10 s and ≤ 1.5 GiB on a quiet 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from caseaudit.synth import DEFAULT_MONTH

MEASURE = Path(__file__).with_name("measure.py")
#: Reads every table of a folder back, then times pq.write_table of each alone.
PYARROW_WRITE = """
import json, resource, sys, time
from pathlib import Path
import pyarrow.parquet as pq
source, target = Path(sys.argv[1]), Path(sys.argv[2])
target.mkdir()
tables = {path.name: pq.read_table(path) for path in sorted(source.glob("*.parquet"))}
started = time.perf_counter()
for name, table in tables.items():
    pq.write_table(table, target / name)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"write_s": seconds, "peak_mib": peak}))
"""
#: generate's two stages in one process: building the tables, then writing them.
STAGES = """
import json, sys, time
from pathlib import Path
started = time.perf_counter()
from caseaudit.io.tables import write_input_tables
from caseaudit.synth import generate_tables
imported = time.perf_counter()
tables = generate_tables(sys.argv[1], int(sys.argv[2]))
built = time.perf_counter()
write_input_tables(Path(sys.argv[3]), tables, "parquet")
written = time.perf_counter()
rows = {name: len(frame) for name, frame in tables.items()}
print(json.dumps({"import_s": imported - started, "build_s": built - imported,
                  "write_s": written - built, "rows": rows}))
"""

#: CPU seconds (user + system) of each finished child process, by label: on a shared
#: machine the wall clock depends on the load, the CPU time much less.
CPU: dict[str, list[float]] = {}


def _run(label: str, command: list[str]) -> tuple[float, str]:
    """Wall seconds and standard output of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    CPU.setdefault(label, []).append(cpu)
    if done.returncode != 0:
        raise SystemExit(f"{label} failed:\n{done.stderr}")
    return seconds, done.stdout


def _measured(label: str, report: Path, arguments: list[str]) -> tuple[float, float]:
    """Wall seconds and peak MiB of one caseaudit command run through measure.py."""
    seconds, _ = _run(label, [sys.executable, str(MEASURE), str(report), *arguments])
    measured = json.loads(report.read_text())
    if measured["exit"] != 0:
        raise SystemExit(f"{label} exited {measured['exit']}")
    return seconds, measured["peak_mib"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="national")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        report, data = root / "m.json", root / "data"
        times, peaks = [], []
        for _ in range(args.runs):
            arguments = ["generate", "--preset", args.preset, "--seed", str(args.seed)]
            arguments += ["--format", "parquet", "--out", str(data), "--force"]
            seconds, peak = _measured("generate", report, arguments)
            times.append(seconds)
            peaks.append(peak)
        arguments = ["validate", str(data), "--month", DEFAULT_MONTH]
        validate_s, validate_peak = _measured("validate", report, arguments)
        _, out = _run("pyarrow", [sys.executable, "-c", PYARROW_WRITE, str(data), str(root / "w")])
        pyarrow = json.loads(out)
        _, out = _run(
            "stages",
            [sys.executable, "-c", STAGES, args.preset, str(args.seed), str(root / "s")],
        )
        stages = json.loads(out)
    rows = sum(stages["rows"].values())
    print(
        f"generate {args.preset} (seed {args.seed}, Parquet): {rows} rows in "
        f"{len(stages['rows'])} tables\n"
        f"  whole process   {statistics.median(times):8.3f} s (median of {args.runs}; CPU "
        f"{statistics.median(CPU['generate']):.3f} s), peak {max(peaks):.0f} MiB; stages: "
        f"imports {stages['import_s']:.3f} s, build {stages['build_s']:.3f} s, "
        f"write {stages['write_s']:.3f} s\n"
        f"  baseline        {validate_s:8.3f} s (CPU {CPU['validate'][0]:.3f} s), peak "
        f"{validate_peak:.0f} MiB: caseaudit validate of the same folder\n"
        f"  pyarrow write   {pyarrow['write_s']:8.3f} s, peak {pyarrow['peak_mib']:.0f} MiB: "
        f"pq.write_table of the same tables alone (reading them back not counted)\n"
        f"  load average    {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores",
        flush=True,
    )


if __name__ == "__main__":
    main()
