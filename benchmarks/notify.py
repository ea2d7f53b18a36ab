"""caseaudit notify at scale (issue 22): `python benchmarks/notify.py`.

A preset's data (default ``national``; ``--data DIR`` reuses a generated directory), its
month's plan made once by ``allocate``, then the whole ``caseaudit notify`` process on
the distribution day (interpreter start, imports, reading, validation, every kind, the
messages and files), the median of a few runs, with the peak resident memory of the
process (``benchmarks/measure.py``). The baseline is ``caseaudit validate`` on the same
data in the same run: reading and checking the tables, which notify must do anyway.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from caseaudit.io.tables import write_input_tables
from caseaudit.synth import DEFAULT_MONTH, generate_tables

MEASURE = Path(__file__).with_name("measure.py")


def timed(
    command: list[str], measured: Path, runs: int, fresh: Path | None = None
) -> tuple[float, float]:
    """Median wall time and peak memory of ``runs`` runs; with ``fresh``, each run writes
    a new folder ``fresh-<run>`` as a day's first run does. They are removed after the
    last run, not between runs: on a file system mounted with ``discard`` the removal of
    tens of thousands of files goes on in the background and slowed the next run's."""
    times, peaks = [], []
    for run in range(runs):
        out = [] if fresh is None else ["--out", f"{fresh}-{run}"]
        started = time.perf_counter()
        done = subprocess.run([*command, *out], capture_output=True)
        times.append(time.perf_counter() - started)
        report = json.loads(measured.read_text())
        if done.returncode not in (0, 3) or report["exit"] not in (0, 3):
            raise SystemExit(done.stderr.decode())
        peaks.append(report["peak_mib"])
    return statistics.median(times), max(peaks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="national")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, default=None, help="A generated data directory.")
    parser.add_argument("--plan", type=Path, default=None, help="Its plan folder (allocate's).")
    parser.add_argument("--as-of", default=None, help="Default: the month's first working day.")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data or Path(tmp) / "data"
        if args.data is None:
            write_input_tables(data_dir, generate_tables(args.preset, args.seed), "parquet")
        plan, out, measured = Path(tmp) / "plan", Path(tmp) / "out", Path(tmp) / "m.json"
        run = [sys.executable, str(MEASURE), str(measured)]
        if args.plan is None:
            allocate = [*run, "allocate", str(data_dir), "--month", DEFAULT_MONTH]
            subprocess.run([*allocate, "--out", str(plan)], check=False, capture_output=True)
        else:
            plan = args.plan
        manifest = json.loads((plan / "manifest.json").read_text())
        first = pq.read_table(plan / "allocations.parquet", columns=["distributed_on"])
        as_of = args.as_of or str(first.column(0)[0])
        baseline = timed([*run, "validate", str(data_dir)], measured, args.runs)
        notify = [*run, "notify", str(data_dir), "--as-of", as_of, "--plan", str(plan)]
        whole = timed(notify, measured, args.runs, fresh=out)
        counts = json.loads((Path(f"{out}-0") / "manifest.json").read_text())["counts"]
    kinds = ", ".join(
        f"{v} {k.removeprefix('kind_')}" for k, v in counts.items() if k.startswith("kind_") and v
    )
    print(
        f"notify    {args.preset} (seed {args.seed}), {manifest['counts']['allocations']} "
        f"allocations, as of {as_of}\n"
        f"  whole process  {whole[0]:8.3f} s (median of {args.runs}), peak {whole[1]:.0f} MiB; "
        f"baseline (validate: read and check) {baseline[0]:.3f} s, peak {baseline[1]:.0f} MiB\n"
        f"  {counts['notices']} notices ({kinds}), {counts['undeliverable']} undeliverable",
        flush=True,
    )


if __name__ == "__main__":
    main()
