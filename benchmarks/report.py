"""caseaudit report at scale (issues 10, 23, 24): `python benchmarks/report.py`.

The ``national`` preset (seed 0; ``--data DIR`` reuses a generated directory, ``--preset
region --seed 1`` is issue 10's region with a full year of history), reported as of the
ledger's last day (2026-02-28). Printed, each beside its baseline from the same run:

- the whole ``caseaudit report`` process as P&Q would run it (interpreter start,
  imports, reading, validation, the lists and figures, the charts, the files), the
  median of a few runs, with the peak resident memory of the process
  (``benchmarks/measure.py``), beside ``caseaudit validate`` on the same folder
  (reading and checking, which the report must do anyway); target ≤ 6 s, ≤ 1.5 GiB;
- where the time went: the manifest's stages (reading, checking, the lists and
  figures), then the page and the files timed in this process (``report.html`` drawn,
  every table written);
- ``report.html``'s size (target ≤ 5 MB) and its rendering in Chromium (Playwright
  driving the system ``chromium``): ``page.goto`` until the load event, and the first
  contentful paint, beside the median authority's page rendered the same way; target
  under 5 s.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import caseaudit
from caseaudit.io.tables import write_input_tables
from caseaudit.model.calendar import add_months, last_day
from caseaudit.synth import DEFAULT_MONTH, generate_tables

MEASURE = Path(__file__).with_name("measure.py")
#: The page renders within a few seconds; a minute means something is wrong.
RENDER_TIMEOUT_MS = 60_000
#: The first contentful paint on the page's clock (ms), waiting for it if a long page
#: paints after its load event; null if it never comes within the timeout.
FIRST_PAINT = """() => new Promise((resolve) => {
  const seen = (entries) => entries.find((e) => e.name === "first-contentful-paint");
  const now = seen(performance.getEntriesByType("paint"));
  if (now) { resolve(now.startTime); return; }
  new PerformanceObserver((list) => {
    const entry = seen(list.getEntries());
    if (entry) { resolve(entry.startTime); }
  }).observe({ type: "paint", buffered: true });
  setTimeout(() => resolve(null), TIMEOUT);
})""".replace("TIMEOUT", str(RENDER_TIMEOUT_MS))


def timed(command: list[str], measured: Path, runs: int) -> tuple[float, float]:
    """Median wall time and peak memory (MiB) of ``runs`` runs of a measured command."""
    times, peaks = [], []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True)
        times.append(time.perf_counter() - started)
        report = json.loads(measured.read_text())
        if done.returncode != 0 or report["exit"] != 0:
            raise SystemExit(done.stderr.decode())
        peaks.append(report["peak_mib"])
    return statistics.median(times), max(peaks)


def page_and_files(data_dir: Path, as_of: str, out: Path) -> tuple[float, float]:
    """Seconds to draw ``report.html`` and to write every file, in this process."""
    result = caseaudit.report(data_dir, as_of)
    started = time.perf_counter()
    result.html  # noqa: B018 (drawn on first use)
    drawn = time.perf_counter()
    result.write(out, force=True)
    return drawn - started, time.perf_counter() - drawn


def render_times(pages: list[Path]) -> list[tuple[float, float]]:
    """Each page opened in headless Chromium: seconds until the load event (from
    ``page.goto``) and until the first contentful paint (the page's own clock)."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    times = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
        )
        for path in pages:
            page = browser.new_page()
            started = time.perf_counter()
            page.goto(path.resolve().as_uri(), wait_until="load", timeout=RENDER_TIMEOUT_MS)
            loaded = time.perf_counter() - started
            paint = page.evaluate(FIRST_PAINT)
            times.append((loaded, float("nan") if paint is None else paint / 1000))
            page.close()
        browser.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="national")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, default=None, help="A generated data directory.")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    as_of = last_day(add_months(DEFAULT_MONTH, -1)).isoformat()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data or Path(tmp) / "data"
        if args.data is None:
            write_input_tables(data_dir, generate_tables(args.preset, args.seed), "parquet")
        out, measured = Path(tmp) / "out", Path(tmp) / "m.json"
        run = [sys.executable, str(MEASURE), str(measured)]
        baseline = timed([*run, "validate", str(data_dir)], measured, args.runs)
        report = [*run, "report", str(data_dir), "--as-of", as_of, "--out", str(out), "--force"]
        whole = timed(report, measured, args.runs)
        manifest = json.loads((out / "manifest.json").read_text())
        page, files = page_and_files(data_dir, as_of, Path(tmp) / "again")
        median = Path(tmp) / "median"
        caseaudit.report(caseaudit.generate("median", 0), as_of).write(median)
        (national, national_paint), (small, small_paint) = render_times(
            [out / "report.html", median / "report.html"]
        )
        page_mb = (out / "report.html").stat().st_size / 1e6
        median_mb = (median / "report.html").stat().st_size / 1e6
    counts, timings = manifest["counts"], manifest["timings_s"]
    print(
        f"report    {args.preset} (seed {args.seed}), as of {as_of}\n"
        f"  whole process  {whole[0]:8.3f} s (median of {args.runs}), peak {whole[1]:.0f} MiB "
        f"(target 6 s, 1.5 GiB); baseline (validate: read and check) {baseline[0]:.3f} s, "
        f"peak {baseline[1]:.0f} MiB\n"
        f"  stages: read {timings['read_s']:.3f} s, check {timings['check_s']:.3f} s, lists "
        f"and figures {timings['monitoring_s']:.3f} s, the page {page:.3f} s, the files "
        f"{files:.3f} s\n"
        f"  {counts['outstanding']} overdue, {counts['non_completions']} non-completions, "
        f"{counts['amendments_due']} amendments, {counts['awaiting_actions']} awaiting "
        f"actions, {counts['inadequate_cycle']} in the inadequate cycle, "
        f"{counts['challenges_open']} open challenges, {counts['audits_per_auditor']} auditors\n"
        f"  report.html {page_mb:.2f} MB (target 5 MB): Chromium load event {national:.3f} s, "
        f"first paint {national_paint:.3f} s (target 5 s); baseline the median authority's "
        f"page {median_mb:.2f} MB: load {small:.3f} s, first paint {small_paint:.3f} s",
        flush=True,
    )


if __name__ == "__main__":
    main()
