"""caseaudit validate at national scale (issue 23): `python benchmarks/validate.py`.

The figure is the whole `caseaudit validate` process as P&Q would run it (interpreter
start, imports, reading, respelling, the checks), the median of a few runs with its peak
resident memory, printed beside two baselines of the same run: the start-up alone
(``python -c "import caseaudit.cli.main"``) and the floor, reading the same Parquet files
alone with pyarrow. Below them, the stage that took the time, timed in one process:
reading and typing the tables (read), the identities respelled (respell), the checks
(check). ``--data DIR`` measures a folder already made (else the national preset, seed 0,
is generated as Parquet first, about 20 s); the load average is printed beside.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: Reading every Parquet file of a folder with pyarrow alone: what no reader can beat.
FLOOR = """
import sys, pathlib, pyarrow.parquet as pq
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.parquet")):
    pq.read_table(path)
"""


def _run(command: list[str]) -> tuple[float, float, int, str]:
    """Wall seconds, peak resident MiB and exit code of one process, and its stdout."""
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors)
        assert child.stdout is not None
        out = child.stdout.read().decode()
        # wait4, not wait: the child's own peak memory, not the largest child's so far.
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            errors.seek(0)
            raise SystemExit(f"{' '.join(command)}: exit {child.returncode}\n{errors.read()}")
    return elapsed, usage.ru_maxrss / 1024, child.returncode, out


def _measure(command: list[str], runs: int) -> tuple[float, float, str]:
    results = [_run(command) for _ in range(runs)]
    return (
        statistics.median(r[0] for r in results),
        max(r[1] for r in results),
        results[-1][3],
    )


def split(data_dir: str) -> None:
    """Time read, respell and check in this process (``--split``), as JSON on stdout."""
    import caseaudit.io.reader as reader

    spent = {"respell": 0.0, "check": 0.0}

    def timed(stage: str, function):  # type: ignore[no-untyped-def]
        def run(*args, **kwargs):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[stage] += time.perf_counter() - started

        return run

    reader.canonical_dataset = timed("respell", reader.canonical_dataset)  # type: ignore[assignment]
    reader.validate_dataset = timed("check", reader.validate_dataset)  # type: ignore[assignment]
    started = time.perf_counter()
    reader.load_dataset(data_dir)
    total = time.perf_counter() - started
    spent["read"] = total - spent["respell"] - spent["check"]
    print(json.dumps(spent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="a data folder (default: generate national, seed 0)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--split", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.split:
        split(args.split)
        return
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data
        if data_dir is None:
            data_dir = str(Path(tmp) / "national")
            generate = [sys.executable, "-m", "caseaudit.cli.main", "generate"]
            options = ["--preset", "national", "--seed", "0", "--format", "parquet"]
            subprocess.run(
                [*generate, *options, "--out", data_dir], check=True, capture_output=True
            )
        python = sys.executable
        startup = _measure([python, "-c", "import caseaudit.cli.main"], args.runs)
        floor = _measure([python, "-c", FLOOR, data_dir], args.runs)
        whole = _measure([python, "-m", "caseaudit.cli.main", "validate", data_dir], args.runs)
        stages = json.loads(_measure([python, __file__, "--split", data_dir], 1)[2])
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"validate  {data_dir} ({whole[2].strip()})\n"
        f"  whole process  {whole[0]:7.3f} s (median of {args.runs}), peak {whole[1]:5.0f} MiB\n"
        f"  start-up       {startup[0]:7.3f} s (import caseaudit.cli.main), peak "
        f"{startup[1]:5.0f} MiB\n"
        f"  floor          {floor[0]:7.3f} s (the Parquet files read by pyarrow alone), peak "
        f"{floor[1]:5.0f} MiB\n"
        f"  stages         read {stages['read']:.3f} s, respell {stages['respell']:.3f} s, "
        f"check {stages['check']:.3f} s\n"
        f"  load average   {load}",
        flush=True,
    )


if __name__ == "__main__":
    main()
