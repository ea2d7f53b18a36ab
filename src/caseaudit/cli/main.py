"""The ``caseaudit`` command: thin click adapters over ``caseaudit.api``.

Exit codes (contract §2): 0 done; 1 internal error; 2 bad usage or invalid input (nothing
written); 3 done but some cases could not be allocated.
"""

from __future__ import annotations

import datetime as dt
import shlex
import signal
import sys
import traceback
import warnings
from collections.abc import Callable, Iterable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from caseaudit.io.folders import OutputLocationError, check_output_dir, write_folder
from caseaudit.model.calendar import MONTH_PATTERN
from caseaudit.model.errors import InputError, InputWarning, plural
from caseaudit.results import Result

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_UNALLOCATED = 0, 1, 2, 3
F = TypeVar("F", bound=Callable[..., Any])


def _month(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not MONTH_PATTERN.match(value.strip()):
        raise click.BadParameter(f"expected a month as YYYY-MM, got {value!r}")
    return value.strip() if value else value


def handles_errors(command: F) -> F:
    """Turn domain errors into clean messages and the contract's exit codes."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = click.get_current_context().find_root().params.get("debug", False)
        try:
            return command(*args, **kwargs)
        except InputError as error:
            for line in error.lines():
                click.echo(line, err=True)
            sys.exit(EXIT_INPUT)
        except OutputLocationError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(EXIT_INPUT)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as error:  # a bug: short message, traceback only with --debug
            if debug:
                traceback.print_exc()
            click.echo(
                f"internal error ({type(error).__name__}): {error}. Re-run with --debug "
                "for details.",
                err=True,
            )
            sys.exit(EXIT_INTERNAL)

    return _shows_input_warnings(wrapper)  # type: ignore[return-value]


def _shows_input_warnings(run: Callable[..., Any]) -> Callable[..., Any]:
    """Print what the input reader ignored (an unknown column, say) on stderr, each once,
    when the command is done: after any input errors, which are the root causes."""

    @wraps(run)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        caught: list[warnings.WarningMessage] = []
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", InputWarning)
                return run(*args, **kwargs)
        finally:
            for warning in caught:
                if issubclass(warning.category, InputWarning):
                    click.echo(str(warning.message), err=True)
                else:  # shown as Python would have shown it
                    warnings.showwarning(
                        warning.message, warning.category, warning.filename, warning.lineno
                    )

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
@click.option(
    "--quiet", "-q", is_flag=True, help="No progress on the terminal (stderr), as in a pipe."
)
@click.version_option(package_name="caseaudit")
def cli(debug: bool, quiet: bool) -> None:
    """Case file audit allocation for children's social care.

    Example: caseaudit allocate data/ --month 2026-03 --out out/
    """


def _progress() -> Any:
    """Stages on stderr while the command runs, on a terminal only (issue 24)."""
    from caseaudit.cli.progress import progress

    return progress(click.get_current_context().find_root().params.get("quiet", False))


def _run(
    out_dir: Path,
    force: bool,
    inputs: list[Path],
    call: Callable[[str, Callable[[str], None]], Result],
    written: Callable[[Any], str] | None = None,
    details: Callable[[Any], Iterable[str]] = lambda result: (),
    stages: bool = False,
    **write_options: bool,
) -> None:
    """The tail every command shares (contract §2): check the output folder before any
    work, call the API with the command line for the manifest, write, say what happened
    (the summary, ``details``, where the files are) and exit 3 when the result is not
    complete, saying why on stderr."""
    check_output_dir(out_dir, force, inputs)
    with _progress() as tell:  # stages on stderr, on a terminal only (issue 24)
        if not stages:  # the API tells its own stages where it has them
            tell("running")
        result = call(shlex.join(["caseaudit", *sys.argv[1:]]), tell)
        tell("writing")
        result.write(out_dir, force=force, **write_options)
    click.echo(result.summary())
    for line in details(result):
        click.echo(line)
    click.echo(written(result) if written else f"files written to {out_dir}")
    if not result.complete:
        click.echo(result.incomplete_notice, err=True)
        sys.exit(EXIT_UNALLOCATED)


def solve_options(command: F) -> F:
    """--out, --seed, --time-limit and --force, shared by allocate and reallocate."""
    for option in reversed(
        [
            click.option(
                "--out",
                "out_dir",
                required=True,
                type=click.Path(path_type=Path),
                help="Output directory.",
            ),
            click.option(
                "--seed", type=int, default=None, help="Solver seed (default: config, else 0)."
            ),
            click.option(
                "--time-limit", type=float, default=None, help="Solver time limit in seconds."
            ),
            click.option("--force", is_flag=True, help="Replace a non-empty output directory."),
        ]
    ):
        command = option(command)
    return command


@cli.command()
@click.argument("data_dir", type=click.Path(path_type=Path))
@click.option("--month", required=True, callback=_month, help="The month to allocate, YYYY-MM.")
@solve_options
@handles_errors
def allocate(
    data_dir: Path,
    month: str,
    out_dir: Path,
    seed: int | None,
    time_limit: float | None,
    force: bool,
) -> None:
    """Allocate the month's audits and write the hand-off files.

    Example: caseaudit allocate data/ --month 2026-03 --out out/2026-03
    """
    from caseaudit.api import allocate as run_allocate

    _run(
        out_dir,
        force,
        [data_dir],
        lambda command, tell: run_allocate(
            data_dir, month, seed=seed, time_limit_s=time_limit, command=command, progress=tell
        ),
        stages=True,
    )


@cli.command()
@click.argument("data_dir", type=click.Path(path_type=Path))
@click.option("--month", required=True, callback=_month, help="The month to re-plan, YYYY-MM.")
@click.option(
    "--previous",
    "previous_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Output directory of the month's allocate (or an earlier reallocate).",
)
@solve_options
@handles_errors
def reallocate(
    data_dir: Path,
    month: str,
    previous_dir: Path,
    out_dir: Path,
    seed: int | None,
    time_limit: float | None,
    force: bool,
) -> None:
    """Move audits after exemptions, leavers, late breaks or new conflicts, changing as
    little of the previous plan as possible.

    Example: caseaudit reallocate data/ --month 2026-03 --previous out/2026-03 --out out/2026-03-r1
    """
    from caseaudit.api import reallocate as run_reallocate

    def moved(result: Any) -> str:
        counts = result.manifest["counts"]
        return (
            f"{plural(counts['must_move'], 'audit')} had to move; {counts['moved']} moved in "
            f"all; files written to {out_dir}"
        )

    _run(
        out_dir,
        force,
        [data_dir, previous_dir],
        lambda command, tell: run_reallocate(
            data_dir,
            month,
            previous_dir,
            seed=seed,
            time_limit_s=time_limit,
            command=command,
            progress=tell,
        ),
        stages=True,
        written=moved,
        details=lambda result: _exemption_lines(result.tables["exemption_decisions"]),
    )


def _exemption_lines(decisions: Any) -> list[str]:
    """One line per exemption of the month read: honoured or not, and why (§4: who must
    agree; a pending or refused one is not honoured), as exemption_decisions.csv says."""
    return [
        f"exemption {case_id} for {auditor_id}: "
        f"{'honoured' if honoured else 'not honoured'} ({reason})"
        for case_id, auditor_id, honoured, reason in zip(
            decisions["case_id"],
            decisions["auditor_id"],
            decisions["honoured"],
            decisions["reason"],
            strict=True,
        )
    ]


@cli.command()
@click.argument("data_dir", type=click.Path(path_type=Path))
@click.option("--month", default=None, callback=_month, help="Also check the month's rules.")
@handles_errors
def validate(data_dir: Path, month: str | None) -> None:
    """Check every input table (and, with --month, the month's rules).

    Example: caseaudit validate data/ --month 2026-03
    """
    from caseaudit.api import load
    from caseaudit.model.validate import month_workload

    with _progress() as tell:  # stages on stderr, on a terminal only (issue 24)
        data = load(data_dir, month, progress=tell)
        if month is not None:
            cases, reaudits_due = month_workload(data, month)
    counts = ", ".join(f"{name} {len(frame)}" for name, frame in data.tables.items() if len(frame))
    click.echo(f"valid: {counts}")
    if month is not None:
        empty = " (the month's sample is empty)" if not cases else ""
        click.echo(
            f"{month}: {plural(cases, 'case')} in {month}{empty}; "
            f"{plural(reaudits_due, 're-audit')} due"
        )


@cli.command()
@click.option("--preset", required=True, help="small, median, largest, region or national.")
@click.option("--seed", type=int, default=0, show_default=True, help="Generator seed.")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Data directory to write.",
)
@click.option("--month", default=None, callback=_month, help="Target month (default: fixed).")
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["csv", "parquet"]),
    default="csv",
    show_default=True,
)
@click.option("--force", is_flag=True, help="Replace a data folder generate wrote earlier.")
@handles_errors
def generate(
    preset: str, seed: int, out_dir: Path, month: str | None, file_format: str, force: bool
) -> None:
    """Write a synthetic, valid data directory (same arguments, same files), with a
    manifest.json so that only generate's own earlier folder is ever replaced.

    Example: caseaudit generate --preset median --seed 1 --out data/
    """
    from caseaudit.io.tables import write_input_tables
    from caseaudit.synth import DEFAULT_MONTH, PRESETS, generate_tables

    if preset not in PRESETS:
        raise click.BadParameter(f"unknown preset {preset!r}; choose from {', '.join(PRESETS)}")
    check_output_dir(out_dir, force, kind="data")
    with _progress() as tell:  # stages on stderr, on a terminal only (issue 24)
        tell("generating")
        tables = generate_tables(preset, seed, month)
        made = {"preset": preset, "seed": seed, "month": month or DEFAULT_MONTH}
        tell("writing")
        write_folder(
            out_dir,
            force,
            "data",
            lambda staging: write_input_tables(staging, tables, file_format),
            {"command": "caseaudit generate", **made, "format": file_format},
        )
    click.echo(f"wrote {preset} (seed {seed}, month {month or DEFAULT_MONTH}) to {out_dir}")


@cli.command()
@click.argument("out_dir", type=click.Path(path_type=Path))
@click.option("--xlsx", is_flag=True, help="One workbook, caseaudit.xlsx, a sheet per table.")
@handles_errors
def init(out_dir: Path, xlsx: bool) -> None:
    """Write blank input tables to fill in (every table's header, as CSV or, with --xlsx,
    one workbook) and a config.toml listing every setting with its default (issue 24).

    Example: caseaudit init data/ --xlsx
    """
    from caseaudit.io.templates import write_templates

    if out_dir.is_dir() and any(out_dir.iterdir()):
        # Never over a filled-in template, not even with --force (it has none).
        raise OutputLocationError(
            f"{out_dir} is not empty: init writes blank tables only into a new or empty folder"
        )
    check_output_dir(out_dir, False, kind="data")
    write_folder(
        out_dir,
        False,
        "data",
        lambda staging: write_templates(staging, xlsx),
        {"command": "caseaudit init" + (" --xlsx" if xlsx else "")},
    )
    what = "caseaudit.xlsx (a sheet per table)" if xlsx else "a CSV per table"
    click.echo(f"wrote {what} and config.toml to {out_dir}: fill them in, then validate")


@cli.command()
@click.option(
    "--out",
    "out_dir",
    default=Path("caseaudit-demo"),
    type=click.Path(path_type=Path),
    show_default=True,
    help="Where the demo's data and outputs go (an earlier demo there is replaced).",
)
@handles_errors
def demo(out_dir: Path) -> None:
    """Generate the median sample authority, allocate its month and write its monitoring
    report as of the ledger's last day (DIR/report/report.html).

    Example: caseaudit demo --out /tmp/demo
    """
    import pandas as pd

    from caseaudit.api import AllocationResult
    from caseaudit.api import allocate as run_allocate
    from caseaudit.api import draw_sample as run_draw_sample
    from caseaudit.api import report as run_report
    from caseaudit.io.tables import write_input_tables
    from caseaudit.model.calendar import add_months, last_day
    from caseaudit.plans.sample import SampleResult
    from caseaudit.reporting.command import ReportResult
    from caseaudit.synth import DEFAULT_MONTH, generate_tables
    from caseaudit.synth.undrawn import without_month

    # An earlier demo is replaced without --force; any other non-empty folder is refused
    # (contract §6).
    check_output_dir(out_dir, force=True, kind="demo")
    result: AllocationResult | None = None
    monitoring: ReportResult | None = None
    drawn: SampleResult | None = None

    def fill(staging: Path) -> None:
        """The data, the month's hand-off files and the report, staged as one folder."""
        nonlocal result, monitoring, drawn
        data_dir = staging / "data"
        # The month is drawn from the caseload first (issue 21), then allocated.
        tables = without_month(generate_tables("median", 0, DEFAULT_MONTH), DEFAULT_MONTH)
        write_input_tables(data_dir, tables, "csv")
        drawn = run_draw_sample(data_dir, DEFAULT_MONTH, seed=0, command="caseaudit demo")
        drawn.write(staging / "sample")
        cases = pd.concat([tables["cases"], drawn.sample.drop(columns=["drawn_rank"])])
        write_input_tables(data_dir, {"cases": cases}, "csv")
        result = run_allocate(data_dir, DEFAULT_MONTH, seed=0, command="caseaudit demo")
        result.write(staging / "out")
        # The report speaks for the ledger's last day: the day before the list goes out.
        monitoring = run_report(data_dir, last_day(add_months(DEFAULT_MONTH, -1)), "caseaudit demo")
        monitoring.write(staging / "report")

    write_folder(out_dir, True, "demo", fill, {"command": "caseaudit demo"})
    assert result is not None and monitoring is not None and drawn is not None
    data_dir, result_dir, report_dir = out_dir / "data", out_dir / "out", out_dir / "report"
    decisions = result.break_decisions["decision"].value_counts()
    reaudits = int(result.allocations["is_reaudit"].sum())
    click.echo(f"caseaudit demo: median sample authority, month {DEFAULT_MONTH}")
    click.echo(f"  sample drawn:      {len(drawn.sample)} cases ({out_dir / 'sample'})")
    click.echo(f"  cases allocated:   {len(result.allocations)}")
    click.echo(f"  unallocated:       {len(result.unallocated)}")
    click.echo(
        f"  breaks:            {int(decisions.get('granted', 0))} granted, "
        f"{int(decisions.get('refused_cap', 0))} refused (cap {result.problem.break_cap}), "
        f"{int(decisions.get('not_required', 0))} not required"
    )
    click.echo(
        f"  re-audits:         {reaudits} allocated, {len(result.reaudit_schedule)} on the schedule"
    )
    click.echo(
        f"  solver:            {result.solve.status} in {result.solve.timings['solve_s']:.2f}s"
    )
    click.echo(f"  input data:        {data_dir}")
    click.echo(f"  hand-off files:    {result_dir}")
    click.echo(f"  report:            {report_dir / 'report.html'}")
    click.echo(f"                     {monitoring.summary()}")


@cli.command("draw-sample")
@click.argument("data_dir", type=click.Path(path_type=Path))
@click.option("--month", required=True, callback=_month, help="The month to draw, YYYY-MM.")
@click.option(
    "--out", "out_dir", required=True, type=click.Path(path_type=Path), help="Output directory."
)
@click.option("--seed", type=int, default=None, help="Sampling seed (default: config, else 0).")
@click.option(
    "--size",
    type=click.IntRange(min=0),
    default=None,
    help="Cases to draw (default: one per auditor who can take one, less the re-audits due).",
)
@click.option("--force", is_flag=True, help="Replace a non-empty output directory.")
@handles_errors
def draw_sample(
    data_dir: Path, month: str, out_dir: Path, seed: int | None, size: int | None, force: bool
) -> None:
    """Draw the month's stratified sample from the caseload (sample.csv, ready to append
    to cases.csv), fair over the audit year and always allocatable.

    Example: caseaudit draw-sample data/ --month 2026-03 --out sample/2026-03
    """
    from caseaudit.api import draw_sample as run_draw_sample

    _run(
        out_dir,
        force,
        [data_dir],
        lambda command, tell: run_draw_sample(
            data_dir, month, seed=seed, size=size, command=command, progress=tell
        ),
        stages=True,
        written=lambda _: (
            f"files written to {out_dir}; append sample.csv to cases.csv, then allocate"
        ),
    )


def _date(_ctx: click.Context, _param: click.Parameter, value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"expected a date as YYYY-MM-DD, got {value!r}") from None


def as_of_options(as_of_help: str) -> Callable[[F], F]:
    """DATA_DIR, --as-of (a date, described by ``as_of_help``) and --out, shared by
    moderate and report."""

    def decorate(command: F) -> F:
        for option in reversed(
            [
                click.argument("data_dir", type=click.Path(path_type=Path)),
                click.option("--as-of", "as_of", required=True, callback=_date, help=as_of_help),
                click.option(
                    "--out",
                    "out_dir",
                    required=True,
                    type=click.Path(path_type=Path),
                    help="Output directory.",
                ),
            ]
        ):
            command = option(command)
        return command

    return decorate


@cli.command()
@as_of_options("The day P&Q arrange moderation, YYYY-MM-DD: challenges raised by then count.")
@click.option("--seed", type=int, default=None, help="Tie-break seed (default: config, else 0).")
@click.option("--force", is_flag=True, help="Replace a non-empty output directory.")
@handles_errors
def moderate(data_dir: Path, as_of: dt.date, out_dir: Path, seed: int | None, force: bool) -> None:
    """Find an independent senior manager to moderate each challenged audit without
    consensus (§21–22); exit 3 if any is left without one.

    Example: caseaudit moderate data/ --as-of 2026-02-28 --out out/moderation
    """
    from caseaudit.api import moderate as run_moderate

    _run(
        out_dir,
        force,
        [data_dir],
        lambda command, tell: run_moderate(
            data_dir, as_of, seed=seed, command=command, progress=tell
        ),
        stages=True,
    )


@cli.command()
@as_of_options("The day the report speaks for, YYYY-MM-DD: what had happened and what was late.")
@click.option("--force", is_flag=True, help="Replace a non-empty output directory.")
@handles_errors
def report(data_dir: Path, as_of: dt.date, out_dir: Path, force: bool) -> None:
    """Write the monitoring lists (outstanding, non-completions, amendments due, awaiting
    actions, inadequate cycle, open challenges), the figures and report.html for the
    Senior Leadership Team (§27–28).

    Example: caseaudit report data/ --as-of 2026-02-28 --out out/report
    """
    from caseaudit.api import report as run_report

    _run(
        out_dir,
        force,
        [data_dir],
        lambda command, tell: run_report(data_dir, as_of, command=command, progress=tell),
        stages=True,
        written=lambda _: f"files written to {out_dir} (open {out_dir / 'report.html'})",
    )


@cli.command()
@as_of_options("The day the notices are for, YYYY-MM-DD (and the catch-up days before it).")
@click.option(
    "--plan",
    "plan_dir",
    default=None,
    type=click.Path(path_type=Path),
    help="The month's plan folder (allocate's or reallocate's output). Default: the "
    "ledger's rows of the month, else the plan allocate would make.",
)
@click.option("--send", is_flag=True, help="Send each notice through [smtp] (else none leaves).")
@click.option("--force", is_flag=True, help="Replace a non-empty output directory.")
@handles_errors
def notify(
    data_dir: Path, as_of: dt.date, out_dir: Path, plan_dir: Path | None, send: bool, force: bool
) -> None:
    """Write every notice due on the day, once: allocations and heads-ups, reminders,
    chases, amendments, the break cap, moderators, the inadequate cycle's meetings and
    escalations, awaited actions (§1-30); with --send, send them. Exit 3 if any cannot go.

    Example: caseaudit notify data/ --as-of 2026-03-02 --plan out/2026-03 --out out/notices
    """
    from caseaudit.api import notify as run_notify

    # The notices never go into the data folder or the plan they read (contract §2).
    check_output_dir(out_dir, force, [data_dir, *([plan_dir] if plan_dir else [])])
    command = shlex.join(["caseaudit", *sys.argv[1:]])
    with _progress() as tell:
        result = run_notify(data_dir, as_of, plan=plan_dir, command=command, progress=tell)
        if send:
            tell("sending")
            result.send(data_dir)
        tell("writing")
        result.write(out_dir, force=force)
    click.echo(result.summary())
    click.echo(f"files written to {out_dir}")
    if not result.undeliverable.empty:
        lost = plural(len(result.undeliverable), "notice")
        click.echo(f"{lost} cannot be delivered: see undeliverable.csv", err=True)
    for notice_id, reason in sorted(result.failed.items()):
        click.echo(f"not sent: {notice_id}: {reason}", err=True)
    if not result.complete:
        sys.exit(EXIT_UNALLOCATED)


@cli.command()
@click.argument("plan_dir", type=click.Path(path_type=Path))
@click.argument("data_dir", type=click.Path(path_type=Path))
@handles_errors
def record(plan_dir: Path, data_dir: Path) -> None:
    """Append a plan's allocations to DATA_DIR's history as allocated (a re-plan's moved
    audits as reallocated, with their -r<k> rows), all or nothing; refuses rows already
    there (issue 20).

    Example: caseaudit record out/2026-03 data/
    """
    from caseaudit.api import record as run_record

    data = run_record(plan_dir, data_dir)
    click.echo(f"history now holds {plural(len(data['history']), 'row')}")


@cli.command("plan-breaks")
@click.argument("data_dir", type=click.Path(path_type=Path))
@click.option(
    "--year",
    required=True,
    type=click.IntRange(1000, 9998),
    help="The audit year, by the calendar year it starts in (2026: 2026-04 to 2027-03).",
)
@solve_options
@click.option(
    "--emit-requests",
    is_flag=True,
    help="Also write breaks.csv (one on-time request per planned break) and "
    "breaks_merged.csv (the data's breaks with the plan's months, ready to replace "
    "breaks.csv).",
)
@handles_errors
def plan_breaks(
    data_dir: Path,
    year: int,
    out_dir: Path,
    seed: int | None,
    time_limit: float | None,
    force: bool,
    emit_requests: bool,
) -> None:
    """Plan the audit year's breaks: each auditor's needed months off, within the monthly
    and service caps, past months as history shows them, kept requests and wishes first
    (§2–3); exit 3 if the caps cannot hold every needed break.

    Example: caseaudit plan-breaks data/ --year 2026 --out out/breaks-2026 --emit-requests
    """
    from caseaudit.api import plan_breaks as run_plan_breaks

    _run(
        out_dir,
        force,
        [data_dir],
        lambda command, tell: run_plan_breaks(
            data_dir, year, seed=seed, time_limit_s=time_limit, command=command, progress=tell
        ),
        stages=True,
        emit_requests=emit_requests,
    )


@cli.command()
@click.argument("data_dir", type=click.Path(path_type=Path))
@click.option("--month", required=True, callback=_month, help="The month to explain, YYYY-MM.")
@click.option("--case", "case_id", default=None, help="A case id: why its auditor, who else.")
@click.option("--auditor", "auditor_id", default=None, help="A staff id: why (not) them.")
@click.option(
    "--previous",
    "previous_dir",
    default=None,
    type=click.Path(path_type=Path),
    help="Explain the plan in this folder (allocate's or reallocate's output) instead.",
)
@click.option("--seed", type=int, default=None, help="Solver seed (default: config, else 0).")
@click.option("--json", "as_json", is_flag=True, help="Print the stable JSON answer instead.")
@handles_errors
def explain(
    data_dir: Path,
    month: str,
    case_id: str | None,
    auditor_id: str | None,
    previous_dir: Path | None,
    seed: int | None,
    as_json: bool,
) -> None:
    """Explain the month's plan: why this auditor, why not that one (--case and
    --auditor), every auditor for a case (--case), or, with neither, why cases are
    unallocated and which relaxations would cover them. Writes no file.

    Example: caseaudit explain data/ --month 2026-03 --case C0000093 --auditor S0155

    \b
    Glossary (the words of the answer -> what they mean -> the id in --json):
      fair share of the year's audits -> audits go first to whoever has had
          fewest this audit year (policy §2) -> fair_spread
      a fresh pair of eyes -> an auditor who has not audited the subject in
          the last 12 months -> fresh_eyes
      the original auditor for a re-audit -> policy §25 -> original_auditor
      drawn by lot where all else is equal -> between equally good plans, a
          draw fixed by the seed (same seed, same plan) -> tie_break
      these 3 cases share only 2 auditors who may take them -> a shortage:
          more cases than the auditors allowed them can take -> deficient_sets
    """
    from caseaudit.api import explain as run_explain

    with _progress() as tell:  # stages on stderr, on a terminal only (issue 24)
        answer = run_explain(
            data_dir,
            month,
            case=case_id.strip() if case_id else None,
            auditor=auditor_id.strip() if auditor_id else None,
            previous=previous_dir,
            seed=seed,
            progress=tell,
        )
    click.echo(answer.to_json() if as_json else answer.summary())


@cli.command()
@click.argument("data_dir", type=click.Path(path_type=Path))
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True)
@click.option("--no-browser", is_flag=True, help="Print the address; do not open a browser.")
@click.option(
    "--runs",
    "runs_dir",
    default=None,
    type=click.Path(path_type=Path),
    help="Where the run folders go (default: DATA_DIR/../caseaudit-runs).",
)
@handles_errors
def serve(data_dir: Path, port: int, no_browser: bool, runs_dir: Path | None) -> None:
    """Run the month from a browser on this machine (127.0.0.1 only, a private
    address with a token); needs pip install 'caseaudit[web]' (issue 25).

    Example: caseaudit serve data/
    """
    try:
        from caseaudit.web.app import serve as run_serve
    except ImportError as error:
        raise click.ClickException(
            f"caseaudit serve needs the web extra ({error.name} is missing): "
            "pip install 'caseaudit[web]'"
        ) from None
    if not data_dir.is_dir():
        raise click.BadParameter(f"{data_dir} is not a folder", param_hint="DATA_DIR")
    run_serve(data_dir, port, not no_browser, runs_dir)


def main() -> None:
    # Piped into ``head`` and the like, stop quietly when the reader goes away, as Unix
    # tools do, rather than report a BrokenPipeError as an internal error (exit 1).
    # Outputs are written atomically, so nothing is left half-written.
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    cli()


if __name__ == "__main__":  # python -m caseaudit.cli.main, as the console script
    main()
