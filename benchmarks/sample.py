"""caseaudit draw-sample at scale (issue 21): `python benchmarks/sample.py`.

The `national` preset (about 15,000 auditors who can take a case and a caseload of about
150,000 open cases), the target month's cases removed so that it is still to be drawn.
The figure is the whole `caseaudit draw-sample` process as P&Q would run it (interpreter
start, imports, reading, validation, the draw, the Hall check, the files), the median of
a few runs, with its peak resident memory (``benchmarks/measure.py``); beside it, in the
same run, two baselines: a process that only reads the caseload (and staff, which every
data directory needs), and ``caseaudit validate`` of the same folder (reading and
checking every table, as draw-sample does first). Then where the time went: reading and
checking the folder (the whole process less the draw's own stages), building the month
(the size), the exclusions and the rounding, the draw with the Hall check. Target:
≤ 10 s and ≤ 2 GiB.
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

from caseaudit.io.tables import write_input_tables
from caseaudit.synth import DEFAULT_MONTH, generate_tables
from caseaudit.synth.undrawn import without_month

MEASURE = Path(__file__).with_name("measure.py")
READ_ONLY = (
    "import sys; from caseaudit.io.reader import read_dataset; "
    "data = read_dataset(sys.argv[1]); print(len(data['caseload']))"
)


#: CPU seconds (user + system) of each finished child process, by command: on a shared
#: machine the wall clock depends on the load, the CPU time much less.
CPU: dict[str, list[float]] = {}


def _timed(command: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True)
        times.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        CPU.setdefault(command[1], []).append(cpu)
        if done.returncode != 0:
            raise SystemExit(done.stderr.decode())
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="national")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir, out, measured = Path(tmp) / "data", Path(tmp) / "out", Path(tmp) / "m.json"
        tables = without_month(generate_tables(args.preset, args.seed), DEFAULT_MONTH)
        write_input_tables(data_dir, tables, "parquet")
        baseline_dir = Path(tmp) / "caseload-only"
        write_input_tables(
            baseline_dir,
            # cases is a required table: an empty one, so that only the caseload is read.
            {
                "staff": tables["staff"],
                "caseload": tables["caseload"],
                "cases": tables["cases"].iloc[:0],
            },
            "parquet",
        )
        baseline = _timed([sys.executable, "-c", READ_ONLY, str(baseline_dir)], args.runs)
        validate_command = [sys.executable, "-m", "caseaudit.cli.main", "validate"]
        validated = _timed([*validate_command, str(data_dir)], args.runs)
        command = [sys.executable, str(MEASURE), str(measured), "draw-sample", str(data_dir)]
        command += ["--month", DEFAULT_MONTH, "--out", str(out), "--force"]
        times, peaks = [], []
        for _ in range(args.runs):
            times += _timed(command, 1)
            report = json.loads(measured.read_text())
            if report["exit"] != 0:
                raise SystemExit(f"draw-sample exited {report['exit']}")
            peaks.append(report["peak_mib"])
        manifest = json.loads((out / "manifest.json").read_text())
    counts, timings = manifest["counts"], manifest["timings_s"]
    whole = statistics.median(times)
    stages = {
        "reading and checking (and writing)": max(whole - timings["total_s"], 0.0),
        "building the month (size)": timings["size_s"],
        "exclusions and rounding": timings["rounding_s"],
        "draw and Hall check": timings["draw_and_hall_s"],
    }
    slowest = max(stages, key=lambda stage: stages[stage])
    print(
        f"draw-sample {args.preset} (seed {args.seed}), caseload {counts['caseload']} rows, "
        f"{counts['eligible']} eligible\n"
        f"  whole process  {statistics.median(times):8.3f} s (median of {args.runs}; CPU "
        f"{statistics.median(CPU[str(MEASURE)]):.3f} s), peak "
        f"{max(peaks):.0f} MiB; drew {counts['drawn']}, replaced {counts['replaced']}; "
        f"size {timings['size_s']:.3f} s, rounding {timings['rounding_s']:.3f} s, draw and "
        f"Hall check {timings['draw_and_hall_s']:.3f} s\n"
        f"  baseline       {statistics.median(baseline):8.3f} s (CPU "
        f"{statistics.median(CPU['-c']):.3f} s): reading the caseload alone\n"
        f"  validate       {statistics.median(validated):8.3f} s (CPU "
        f"{statistics.median(CPU['-m']):.3f} s): reading and checking the same folder\n"
        f"  stages         "
        + ", ".join(f"{stage} {seconds:.3f} s" for stage, seconds in stages.items())
        + f"; the most: {slowest}\n"
        f"  load average   {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores",
        flush=True,
    )


if __name__ == "__main__":
    main()
