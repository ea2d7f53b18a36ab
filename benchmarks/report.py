"""caseaudit report at scale (issue 10): `python benchmarks/report.py`.

The `region` preset (seed 1: about 2,500 auditors and a full year of history, twelve
months of ledger before the target month), reported as of the ledger's last day. The
figure is the whole `caseaudit report` process as P&Q would run it (interpreter start,
imports, reading, validation, the lists and figures, the charts, the files), the median
of a few runs, with the peak resident memory of the process (``benchmarks/measure.py``).
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

from caseaudit.io.tables import write_input_tables
from caseaudit.model.calendar import add_months, last_day
from caseaudit.synth import DEFAULT_MONTH, generate_tables

MEASURE = Path(__file__).with_name("measure.py")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="region")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    as_of = last_day(add_months(DEFAULT_MONTH, -1)).isoformat()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir, out, measured = Path(tmp) / "data", Path(tmp) / "out", Path(tmp) / "m.json"
        tables = generate_tables(args.preset, args.seed)
        write_input_tables(data_dir, tables, "parquet")
        months = tables["history"]["month"]
        command = [sys.executable, str(MEASURE), str(measured), "report", str(data_dir)]
        command += ["--as-of", as_of, "--out", str(out), "--force"]
        times, peaks = [], []
        for _ in range(args.runs):
            started = time.perf_counter()
            done = subprocess.run(command, capture_output=True)
            times.append(time.perf_counter() - started)
            report = json.loads(measured.read_text())
            if done.returncode != 0 or report["exit"] != 0:
                raise SystemExit(done.stderr.decode())
            peaks.append(report["peak_mib"])
        manifest = json.loads((out / "manifest.json").read_text())
        page_kib = (out / "report.html").stat().st_size / 1024
    counts, timings = manifest["counts"], manifest["timings_s"]
    print(
        f"report    {args.preset} (seed {args.seed}), {len(tables['history'])} ledger rows "
        f"{months.min()}..{months.max()}, as of {as_of}\n"
        f"  whole process  {statistics.median(times):8.3f} s (median of {args.runs}), peak "
        f"{max(peaks):.0f} MiB; load {timings['load_s']:.3f} s, lists and figures "
        f"{timings['monitoring_s']:.3f} s; {counts['outstanding']} outstanding, "
        f"{counts['non_completions']} non-completions, {counts['amendments_due']} amendments, "
        f"{counts['awaiting_actions']} awaiting actions, {counts['inadequate_cycle']} in the "
        f"inadequate cycle, {counts['challenges_open']} open challenges; report.html "
        f"{page_kib:.0f} KiB",
        flush=True,
    )


if __name__ == "__main__":
    main()
