"""``report.html``: the monitoring report as one self-contained page (issue 10).

The page loads nothing: the charts are matplotlib PNGs embedded as ``data:`` URIs, the
style and the one small script are inline, and a Content-Security-Policy forbids any
other source. It prints on A4 (print CSS: portrait pages for the summary and figures,
landscape pages for the wide lists, repeated table headers, no rows split across pages)
and reads on a phone (below 700 px every list row becomes a card whose cells carry their
column's label; a long ``snake_case`` value may break after an underscore).

Every figure is drawn above its own table, which shows the numbers of the CSV of the
same name (folded under the chart when it has a row per auditor); every list is a table
in the order of its CSV, most urgent first. Each table
carries ``data-table`` and each headline count ``data-count`` so that the numbers can be
checked against the CSVs (``tests/test_report.py`` does it in a headless browser). The
script records any script or image error in ``data-errors`` on the page and marks a
chart that could not be shown, in words, rather than leaving a blank.

matplotlib is imported inside the drawing function: only ``report`` pays for it. Figures
are drawn on the Agg canvas directly (no pyplot) and saved without the version stamp, so
the same inputs give the same bytes.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from caseaudit.model.outputs import OUTPUT_TABLES
from caseaudit.provenance import package_version
from caseaudit.reporting.monitoring import FIGURE_NAMES, LIST_NAMES, Monitoring

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Grade colours, from outstanding to inadequate (colour-blind safe, darkest = worst).
GRADE_COLOURS = ("#1a9850", "#91cf60", "#d9ef8b", "#fdae61", "#d73027")
GRADE_LABELS = {
    "outstanding": "Outstanding",
    "good": "Good",
    "requires_improvement_good_elements": "Requires improvement (good elements)",
    "requires_improvement": "Requires improvement",
    "inadequate": "Inadequate",
}
COLUMN_LABELS = {
    "audit_id": "Audit",
    "month": "Month",
    "case_id": "Case",
    "service": "Service",
    "auditor_id": "Auditor",
    "team_manager_id": "Team manager",
    "group_manager_id": "Group manager",
    "status": "Status",
    "due_on": "Due on",
    "days_overdue": "Days overdue",
    "non_completion": "Non-completion",
    "exemption": "Exemption",
    "returned_on": "Returned on",
    "amendment_due_on": "Amendment due",
    "overdue": "Overdue",
    "finalised_on": "Finalised on",
    "age_days": "Days since finalised",
    "judgement": "Judgement",
    "confirmed_on": "Confirmed on",
    "reflection_meeting_by": "Reflection meeting by",
    "review_meeting_on": "Review meeting on",
    "reaudit_deadline": "Re-audit deadline",
    "reaudit_month": "Re-audit month",
    "escalation": "Escalation",
    "head_of_service_id": "Head of service",
    "next_step": "Next step",
    "raised_by": "Raised by",
    "raised_on": "Raised on",
    "days_open": "Days open",
    "moderation_status": "Moderation",
    "moderator_id": "Moderator",
    "assigned_on": "Assigned on",
    "final_judgement": "Final judgement",
    "decided_on": "Decided on",
    "judged": "Judged",
    "inadequate_share": "Share inadequate",
    "inadequate_share_target": "Target",
    "domain": "Domain",
    "met": "Met",
    "partially_met": "Partially met",
    "not_met": "Not met",
    "not_applicable": "Not applicable",
    "not_met_share": "Share not met",
    "audits": "Audits",
    "completed": "Completed",
    "max_audits_per_year": "Yearly maximum",
    "eligible": "Eligible auditors",
    "requested": "Requested",
    "granted": "Granted",
    "refused_cap": "Refused (cap)",
    "not_required": "Not required",
    "cap": "Cap",
    "due": "Due",
    "on_time": "On time",
    "late": "Late",
    "not_completed": "Not completed",
    "on_time_share": "Share on time",
    "audited": "Audited",
    "audited_share": "Share of audited",
    "caseload_share": "Share of caseload",
    "caseload_share_low": "95% from",
    "caseload_share_high": "95% to",
    "effective_audits": "Effective audits",
    **GRADE_LABELS,
}
LIST_TITLES = {
    # "Overdue", not "Outstanding": that is the best grade (issue 24). The file keeps
    # its name, outstanding.csv.
    "outstanding": ("Overdue audits", "§6, §27", "Not completed by the month's last day."),
    "non_completions": (
        "Non-completions",
        "§28–31",
        "Overdue without an exemption agreed by the Assistant Director or the Strategic "
        "Lead; still to be completed, whatever the delay.",
    ),
    "amendments_due": (
        "Amendments due",
        "§20",
        "Returned to the auditor; due back within the working days the policy allows.",
    ),
    "awaiting_actions": (
        "Awaiting the team manager's actions",
        "§23, §27",
        "Finalised; the team manager has not yet confirmed that the actions are done.",
    ),
    "inadequate_cycle": (
        "Inadequate cycle",
        "§25–26",
        "Inadequate audits awaiting their re-audit: meetings, deadline, escalation to the "
        "head of service after a repeat inadequate.",
    ),
    "challenges_open": (
        "Open challenges",
        "§21–22",
        "Challenges without consensus and their moderation; a decided one is shown in the "
        "month of its decision only; a late one was raised after finalisation.",
    ),
    "retrospective_exemptions": (
        "Retrospective exemptions",
        "§5, §30",
        "Exemptions agreed after the audit's due date: a non-completion until then.",
    ),
    "cancellations": (
        "Cancellations",
        "§30",
        "Audits cancelled, with who authorised it; only the Assistant Director (CSC) or the "
        "Strategic Lead (P&Q) may.",
    ),
    "incomplete_audit_tools": (
        "Incomplete audit tools",
        "§16",
        "Audits with a judgement but not every domain rated.",
    ),
}
FIGURE_TITLES = {
    "judgements_by_month": ("Judgements by month", "§16, §25"),
    "judgements_by_service": ("Judgements by service", "§16"),
    "caseload_estimates": ("Judgements of the caseload", "§16"),
    "domain_ratings": ("Domains most often not met", "§16"),
    "audits_per_auditor": ("Audits per auditor this audit year", "§2"),
    "breaks_by_month": ("Audit breaks against the cap", "§3"),
    "completion_by_service": ("Completion on time by service", "§6"),
    "amendments_by_service": ("Amendments back on time by service and month", "§20"),
}
#: A figure's plain-words note under its heading.
FIGURE_NOTES = {
    "caseload_estimates": (
        "Each month's sample is drawn at random within strata, so each audited file stands "
        "for 1 / (its chance of being drawn) open cases. Weighting the files so gives each "
        "judgement's share of the whole caseload, not only of the files audited; the range "
        "is where the true share lies with 95% confidence. Empty when the ledger has no "
        "inclusion probabilities (audits drawn before draw-sample)."
    ),
}
#: Why a list is empty, in words ({day}: the as-of day, ISO).
EMPTY_LISTS = {
    "outstanding": "No audits are overdue on {day}.",
    "non_completions": "No audit is a non-completion on {day}.",
    "amendments_due": "No returned audit awaits its amendments on {day}.",
    "awaiting_actions": "No finalised audit awaits the team manager's actions on {day}.",
    "inadequate_cycle": "No case is in the inadequate cycle on {day}.",
    "challenges_open": "No challenge is open on {day}.",
    "retrospective_exemptions": (
        "No exemption was agreed after its audit's due date in the twelve months to {day}."
    ),
    "cancellations": "No audit was cancelled in the twelve months to {day}.",
    "incomplete_audit_tools": "No audit has a judgement with a domain left unrated on {day}.",
}
#: A figure's table with no row.
EMPTY_FIGURE = "Nothing to show as of {day}."
#: Columns holding codes (statuses, grades, moderation states): shown in words.
CODE_COLUMNS = frozenset(
    {"status", "moderation_status", "escalation", "judgement", "final_judgement"}
)
#: Codes whose words are not the code with spaces; any other code reads with its
#: underscores as spaces (``non_completed`` → "not completed").
CODE_WORDS = {
    "non_completed": "not completed",
    **{code: label.lower() for code, label in GRADE_LABELS.items()},
}
#: A list or table longer than this shows its first rows and the count left to its CSV,
#: which holds every row: a national page stays a few megabytes (issue 24).
SHOWN_ROWS = 200
#: Column kinds kept on one line (a date split as "2025-" / "03" reads badly).
DAYS = ("date", "month")
#: A figure's table longer than this (one row per auditor, say) is folded under its chart.
FOLDED_ABOVE_ROWS = 24
#: Records script and image errors on the page, and says in words which chart failed.
SCRIPT = """(function () {
  var errors = [];
  function note(text) {
    errors.push(text);
    document.documentElement.setAttribute("data-errors", JSON.stringify(errors));
  }
  window.addEventListener("error", function (event) {
    var target = event.target;
    if (target && target.tagName === "IMG") {
      note("chart not shown: " + (target.getAttribute("data-chart") || target.src.slice(0, 40)));
    } else {
      note(String(event.message || "error"));
    }
  }, true);
  window.addEventListener("load", function () {
    var shown = 0;
    document.querySelectorAll("img[data-chart]").forEach(function (img) {
      if (img.complete && img.naturalWidth > 0) {
        shown += 1;
      } else {
        img.insertAdjacentText("afterend", "This chart could not be shown; its table follows.");
      }
    });
    document.documentElement.setAttribute("data-charts-shown", String(shown));
    if (!document.documentElement.hasAttribute("data-errors")) {
      document.documentElement.setAttribute("data-errors", "[]");
    }
  });
})();"""
STYLE = """
:root { --ink: #1d2733; --muted: #5b6875; --line: #d5dbe1; --band: #f3f5f7; --accent: #1f5f8b; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1180px; padding: 1rem 1.25rem 3rem; color: var(--ink);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
h1 { font-size: 1.6rem; margin: .2rem 0; }
h2 { font-size: 1.2rem; margin: 2rem 0 .3rem; border-bottom: 2px solid var(--accent);
  padding-bottom: .2rem; }
h2 .para { font-weight: normal; color: var(--muted); font-size: .85rem; margin-left: .4rem; }
p.lead, p.note { color: var(--muted); margin: .2rem 0 .6rem; }
nav { margin: .6rem 0; font-size: .9rem; }
nav a { color: var(--accent); margin-right: .8rem; white-space: nowrap; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(140px, 1fr));
  gap: .6rem; margin: 1rem 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: .55rem .7rem;
  background: var(--band); text-decoration: none; color: inherit; }
.card .count { display: block; font-size: 1.7rem; font-weight: 700; color: var(--accent); }
.card .what { font-size: .85rem; }
figure { margin: .6rem 0 1rem; break-inside: avoid; }
figure img { display: block; max-width: 100%; height: auto; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .85rem; margin: .3rem 0 1rem; }
th, td { border-bottom: 1px solid var(--line); padding: .28rem .45rem; text-align: left;
  vertical-align: top; }
th { background: var(--band); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.figure-table td { white-space: nowrap; }
td:first-child, td.day { white-space: nowrap; }
tr.urgent td { background: #fdecea; }
.empty, p.more { color: var(--muted); font-style: italic; }
details summary { cursor: pointer; color: var(--accent); margin: .2rem 0 .6rem; }
footer { margin-top: 2.5rem; color: var(--muted); font-size: .8rem; }
@media (max-width: 700px) {
  body { padding: .6rem .7rem 2rem; font-size: 14px; }
  h1 { font-size: 1.3rem; }
  table.list thead { display: none; }
  table.list, table.list tbody, table.list tr, table.list td { display: block; width: 100%; }
  table.list tr { border: 1px solid var(--line); border-radius: 6px; margin-bottom: .5rem;
    padding: .25rem .4rem; }
  table.list td { border: 0; padding: .12rem 0; text-align: left; }
  table.list td::before { content: attr(data-label) ": "; font-weight: 600; }
}
@page { size: A4; margin: 12mm 11mm 14mm; }
@page lists { size: A4 landscape; }
@media print {
  body { max-width: none; padding: 0; font-size: 9.5pt; }
  nav { display: none; }
  .card { background: none; }
  h2 { break-after: avoid; }
  .scroll { overflow: visible; }
  table { font-size: 7.5pt; }
  #lists { page: lists; }
  table.list { font-size: 7pt; }
  table.list td, table.list th { padding: .2rem .25rem; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  figure img { max-height: 95mm; width: auto; }
  a { color: inherit; text-decoration: none; }
}
"""


def report_html(monitoring: Monitoring) -> bytes:
    """The whole page, as UTF-8 bytes."""
    tables = monitoring.tables
    as_of = monitoring.as_of
    version = package_version("caseaudit")
    period = f"{monitoring.period[0]} to {monitoring.period[-1]}"
    year = f"{monitoring.audit_year[0]} to {monitoring.audit_year[1]}"
    script_hash = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
    style_hash = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
    policy = (
        "default-src 'none'; img-src data:; "
        f"style-src 'sha256-{style_hash}'; script-src 'sha256-{script_hash}'"
    )
    parts = [
        "<!doctype html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">',
        f"<title>Case file audits: monitoring report as of {as_of.isoformat()}</title>",
        f"<script>{SCRIPT}</script>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        "<header>",
        "<h1>Case file audits: monitoring report</h1>",
        f'<p class="lead">As of <strong>{_long_date(as_of)}</strong> · figures for the audits '
        f"of {period} · audit year {year} · ids only, no names</p>",
        _nav(),
        "</header>",
        '<section id="summary" aria-label="What needs chasing">',
        '<div class="cards">',
        *(_card(name, tables[name]) for name in LIST_NAMES),
        "</div>",
        f'<p class="note">{html.escape(monitoring.summary())}</p>',
        "</section>",
        '<section id="figures">',
        *(_figure(name, tables[name], monitoring) for name in FIGURE_NAMES),
        "</section>",
        '<section id="lists">',
        *(_list(name, tables[name], as_of.isoformat()) for name in LIST_NAMES),
        "</section>",
        f"<footer>caseaudit {html.escape(version)} · report as of {as_of.isoformat()} · "
        "every table is also written as CSV and Parquet beside this page, in the same "
        "order.</footer>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(parts).encode("utf-8")


def _long_date(day: dt.date) -> str:
    return f"{day.day} {day.strftime('%B %Y')}"


def _nav() -> str:
    links = [
        f'<a href="#{name}">{html.escape(FIGURE_TITLES[name][0])}</a>' for name in FIGURE_NAMES
    ] + [f'<a href="#{name}">{html.escape(LIST_TITLES[name][0])}</a>' for name in LIST_NAMES]
    return "<nav>" + " ".join(links) + "</nav>"


def _card(name: str, frame: pd.DataFrame) -> str:
    title = LIST_TITLES[name][0]
    return (
        f'<a class="card" href="#{name}"><span class="count" data-count="{name}">'
        f'{len(frame)}</span><span class="what">{html.escape(title)}</span></a>'
    )


def code_words(code: str) -> str:
    """A status, grade or state in words: ``actions_complete`` → "actions complete"."""
    return CODE_WORDS.get(code, code.replace("_", " "))


def cell_text(value: object, kind: str, column: str = "") -> str:
    """A value as the page shows it: shares as percentages, booleans as yes/no, dates ISO,
    codes in words (``CODE_COLUMNS``), null as an empty cell; anything else as the CSV
    writes it."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if column in CODE_COLUMNS:
        return code_words(str(value))
    if kind == "float":
        return f"{float(value):.1%}"  # type: ignore[arg-type]
    if kind == "bool":
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _table(name: str, frame: pd.DataFrame, css: str, empty: str) -> str:
    """The table's first ``SHOWN_ROWS`` rows, then how many more its CSV holds; an
    empty table says why (``empty``)."""
    declared = OUTPUT_TABLES[name]
    kinds = declared.kinds
    numeric = {c for c, k in kinds.items() if k in ("int", "float")}
    head = "".join(
        f'<th scope="col"{" class=num" if c in numeric else ""}>'
        f"{html.escape(COLUMN_LABELS.get(c, c))}</th>"
        for c in frame.columns
    )
    if frame.empty:
        body = (
            f'<tr><td class="empty" colspan="{len(frame.columns)}">{html.escape(empty)}</td></tr>'
        )
    else:
        left = len(frame) - SHOWN_ROWS
        frame = frame.head(SHOWN_ROWS)
        labels = [html.escape(COLUMN_LABELS.get(c, c)) for c in frame.columns]
        classes = [
            ' class="num"' if c in numeric else ' class="day"' if kinds[c] in DAYS else ""
            for c in frame.columns
        ]
        columns = [
            [_breakable(html.escape(cell_text(v, kinds[c], c))) for v in frame[c].tolist()]
            for c in frame.columns
        ]
        urgent = _urgent_rows(name, frame)
        rows = []
        for position, cells in enumerate(zip(*columns, strict=True)):
            mark = ' class="urgent"' if urgent[position] else ""
            rows.append(
                f"<tr{mark}>"
                + "".join(
                    f'<td data-label="{label}"{css_class}>{text}</td>'
                    for label, css_class, text in zip(labels, classes, cells, strict=True)
                )
                + "</tr>"
            )
        body = "\n".join(rows)
    more = ""
    if not frame.empty and left > 0:
        more = (
            f'<p class="more" data-more="{name}">and {left:,} more — see '
            f'<a href="{name}.csv">{name}.csv</a></p>'
        )
    return (
        f'<div class="scroll"><table class="{css}" data-table="{name}">'
        f"<thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table></div>{more}"
    )


def _breakable(text: str) -> str:
    """A line may break after an underscore (``requires_improvement_good_elements`` in a
    narrow column on paper or a phone); the text read from the page is unchanged."""
    return text.replace("_", "_<wbr>")


def _urgent_rows(name: str, frame: pd.DataFrame) -> list[bool]:
    """Rows past a deadline, shaded: an amendment or a re-audit overdue, an escalation."""
    if name == "amendments_due":
        return [v is True for v in frame["overdue"]]
    if name == "inadequate_cycle":
        return [
            bool(overdue) or escalation != "none"
            for overdue, escalation in zip(frame["overdue"], frame["escalation"], strict=True)
        ]
    return [False] * len(frame)


def _list(name: str, frame: pd.DataFrame, day: str) -> str:
    title, paragraph, what = LIST_TITLES[name]
    return (
        f'<h2 id="{name}">{html.escape(title)} <span class="para">{paragraph} · '
        f"{len(frame)}</span></h2>"
        f'<p class="note">{html.escape(what)} Most urgent first.</p>'
        + _table(name, frame, "list", EMPTY_LISTS[name].format(day=day))
    )


def _figure(name: str, frame: pd.DataFrame, monitoring: Monitoring) -> str:
    title, paragraph = FIGURE_TITLES[name]
    empty = EMPTY_FIGURE.format(day=monitoring.as_of.isoformat())
    heading = f'<h2 id="{name}">{html.escape(title)} <span class="para">{paragraph}</span></h2>'
    if name in FIGURE_NOTES:
        heading += f'<p class="note">{html.escape(FIGURE_NOTES[name])}</p>'
    if frame.empty:
        return heading + _table(name, frame, "figure-table", empty)
    png = _png(CHARTS[name](frame, monitoring))
    encoded = base64.b64encode(png).decode("ascii")
    image = (
        f'<figure><img data-chart="{name}" alt="{html.escape(title)}: chart of the table '
        f'below" src="data:image/png;base64,{encoded}"></figure>'
    )
    table = _table(name, frame, "figure-table", empty)
    if len(frame) > FOLDED_ABOVE_ROWS:  # one row per auditor: folded under the chart
        table = f"<details><summary>The chart's {len(frame)} rows</summary>{table}</details>"
    return heading + image + table


# ----------------------------------------------------------------------------- charts


def _new_figure(height: float = 3.3) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8.0, height))
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return buffer.getvalue()


def _judgements_by_month(frame: pd.DataFrame, monitoring: Monitoring) -> Figure:
    """Stacked grades per month; the share inadequate and its target on a second axis."""
    figure = _new_figure()
    axes = figure.subplots()
    positions = list(range(len(frame)))
    bottom = [0] * len(frame)
    for grade, colour in zip(GRADE_LABELS, GRADE_COLOURS, strict=True):
        counts = [int(v) for v in frame[grade]]
        axes.bar(positions, counts, bottom=bottom, color=colour, label=GRADE_LABELS[grade])
        bottom = [b + v for b, v in zip(bottom, counts, strict=True)]
    axes.set_ylabel("audits judged")
    axes.set_xticks(positions, list(frame["month"]), rotation=45, ha="right", fontsize=8)
    share = axes.twinx()
    values = [None if v is None else 100 * float(v) for v in frame["inadequate_share"]]
    share.plot(
        positions,
        [float("nan") if v is None else v for v in values],
        color="#7f0000",
        marker="o",
        label="share inadequate",
    )
    target = 100 * monitoring.inadequate_share_target
    share.axhline(target, color="#7f0000", linestyle="--", linewidth=1, label="target")
    share.set_ylabel("% inadequate")
    top = max([target, *(v for v in values if v is not None)])
    share.set_ylim(0, max(1.0, top * 1.6))
    handles, labels = axes.get_legend_handles_labels()
    more, more_labels = share.get_legend_handles_labels()
    axes.legend(
        handles + more, labels + more_labels, fontsize=7, loc="upper left", ncol=2, framealpha=0.9
    )
    axes.set_ylim(0, max(1, max(bottom)) * 1.6)
    figure.subplots_adjust(left=0.08, right=0.92, bottom=0.2, top=0.96)
    return figure


def _judgements_by_service(frame: pd.DataFrame, monitoring: Monitoring) -> Figure:
    """Each service's grades as shares of its judgements. The target is a line where the
    inadequate share would begin at the target: a red bar starting left of it is over."""
    target = 100 * monitoring.inadequate_share_target
    return _shares_by_row(
        frame,
        "service",
        [
            (grade, colour, GRADE_LABELS[grade])
            for grade, colour in zip(GRADE_LABELS, GRADE_COLOURS, strict=True)
        ],
        [int(v) for v in frame["judged"]],
        "% of the service's judgements",
        _ShareLayout(),
        marker=(100 - target, f"inadequate target ({target:g}%)"),
    )


def _caseload_estimates(frame: pd.DataFrame, monitoring: Monitoring) -> Figure:
    """Per judgement, the share of audited files beside the caseload's estimated share
    with its 95% interval as an error bar (issue 21)."""
    figure = _new_figure(1.2 + 0.5 * len(frame))
    axes = figure.subplots()
    positions = list(range(len(frame)))[::-1]
    audited = [100 * float(v) for v in frame["audited_share"]]
    share = [100 * float(v) for v in frame["caseload_share"]]
    low = [s - 100 * float(v) for s, v in zip(share, frame["caseload_share_low"], strict=True)]
    high = [100 * float(v) - s for s, v in zip(share, frame["caseload_share_high"], strict=True)]
    axes.barh(
        [p + 0.2 for p in positions], audited, height=0.4, color="#9ecae1", label="audited files"
    )
    axes.barh(
        [p - 0.2 for p in positions],
        share,
        height=0.4,
        color="#08519c",
        xerr=[low, high],
        capsize=3,
        label="caseload (estimate, 95% interval)",
    )
    labels = [GRADE_LABELS.get(str(g), str(g)) for g in frame["judgement"]]
    axes.set_yticks(positions, labels, fontsize=8)
    axes.set_xlim(0, 100)
    axes.set_xlabel("% of judgements")
    axes.legend(fontsize=7, loc="lower right", framealpha=0.9)
    figure.subplots_adjust(left=0.3, right=0.97, bottom=0.8 / figure.get_figheight(), top=0.97)
    return figure


def _domain_ratings(frame: pd.DataFrame, monitoring: Monitoring) -> Figure:
    """Each domain's ratings as shares of its applicable ratings, most often not met on top."""
    applicable = [
        int(m) + int(p) + int(n)
        for m, p, n in zip(frame["met"], frame["partially_met"], frame["not_met"], strict=True)
    ]
    return _shares_by_row(
        frame,
        "domain",
        [
            ("not_met", "#d73027", "Not met"),
            ("partially_met", "#fdae61", "Partially met"),
            ("met", "#1a9850", "Met"),
        ],
        applicable,
        "% of the domain's ratings (not applicable left out)",
        _ShareLayout(base=1.0, per_row=0.4, left=0.36, bottom=(0.5, 0.05), top=0.4),
    )


def _audits_per_auditor(frame: pd.DataFrame, monitoring: Monitoring) -> Figure:
    """How many auditors have each number of audits this year; the yearly maximum drawn."""
    figure = _new_figure(2.8)
    axes = figure.subplots()
    limit = int(frame["max_audits_per_year"].iloc[0])
    counts = frame["audits"].astype(int).value_counts()
    top = max(limit, int(frame["audits"].max()))
    positions = list(range(top + 1))
    axes.bar(positions, [int(counts.get(n, 0)) for n in positions], color="#3b75af")
    axes.axvline(limit, color="#c0392b", linestyle="--", label=f"yearly maximum ({limit})")
    axes.set_xticks(positions)
    axes.set_xlabel(
        f"audits this audit year ({monitoring.audit_year[0]} to {monitoring.audit_year[1]})"
    )
    axes.set_ylabel("auditors")
    axes.legend(fontsize=8, loc="upper left")
    figure.subplots_adjust(left=0.08, right=0.97, bottom=0.18, top=0.95)
    return figure


def _breaks_by_month(frame: pd.DataFrame, monitoring: Monitoring) -> Figure:
    """Granted and refused breaks per month, the cap as a step line."""
    figure = _new_figure(2.9)
    axes = figure.subplots()
    positions = list(range(len(frame)))
    granted = [int(v) for v in frame["granted"]]
    refused = [int(v) for v in frame["refused_cap"]]
    axes.bar(positions, granted, color="#3b75af", label="granted")
    axes.bar(positions, refused, bottom=granted, color="#f0b27a", label="refused (cap)")
    caps = [int(v) for v in frame["cap"]]
    axes.step(
        [p - 0.5 for p in positions] + [positions[-1] + 0.5],
        [*caps, caps[-1]],
        where="post",
        color="#c0392b",
        label="cap (§3)",
    )
    axes.set_xticks(positions, list(frame["month"]), rotation=45, ha="right", fontsize=8)
    axes.set_ylabel("breaks")
    axes.set_ylim(0, max(1, *caps, *(g + r for g, r in zip(granted, refused, strict=True))) * 1.3)
    axes.legend(fontsize=8, loc="upper left", ncol=3)
    figure.subplots_adjust(left=0.08, right=0.97, bottom=0.24, top=0.95)
    return figure


def _completion_by_service(frame: pd.DataFrame, monitoring: Monitoring) -> Figure:
    """Each service's due audits: on time, late, not completed."""
    return _shares_by_row(
        frame,
        "service",
        [
            ("on_time", "#1a9850", "on time"),
            ("late", "#fdae61", "late"),
            ("not_completed", "#d73027", "not completed"),
        ],
        [int(v) for v in frame["due"]],
        "% of the service's audits whose month has ended",
        _ShareLayout(top=0.5),
    )


def _amendments_by_service(frame: pd.DataFrame, monitoring: Monitoring) -> Figure:
    """Each service and month of return: amendments back on time, late, not back."""
    labelled = frame.assign(
        row=[f"{s} {m}" for s, m in zip(frame["service"], frame["month"], strict=True)]
    )
    return _shares_by_row(
        labelled,
        "row",
        [
            ("back_on_time", "#1a9850", "back on time"),
            ("back_late", "#fdae61", "back late"),
            ("not_back", "#d73027", "not back yet"),
        ],
        [int(v) for v in frame["returned"]],
        "% of the amendments returned that month",
        _ShareLayout(top=0.5, left=0.3),
    )


@dataclass(frozen=True)
class _ShareLayout:
    """A share chart's height (inches: a base and each row's) and its margins: ``left``
    as a fraction of the width (room for the row labels), ``bottom`` as inches over the
    height plus a fraction, ``top`` as inches (room for the legend above)."""

    base: float = 1.2
    per_row: float = 0.45
    left: float = 0.22
    bottom: tuple[float, float] = (0.3, 0.1)
    top: float = 0.75


def _shares_by_row(
    frame: pd.DataFrame,
    labels: str,
    parts: list[tuple[str, str, str]],
    totals: list[int],
    xlabel: str,
    layout: _ShareLayout,
    marker: tuple[float, str] | None = None,
) -> Figure:
    """One horizontal bar per row, first row on top: each part (column, colour, legend
    label) as a percentage of the row's total (at least 1, so an empty row is empty);
    ``marker``: a dashed vertical line at that percentage, with its legend label."""
    figure = _new_figure(layout.base + layout.per_row * len(frame))
    axes = figure.subplots()
    positions = list(range(len(frame)))[::-1]
    left = [0.0] * len(frame)
    for column, colour, label in parts:
        values = [100 * int(v) / max(1, t) for v, t in zip(frame[column], totals, strict=True)]
        axes.barh(positions, values, left=left, color=colour, label=label)
        left = [a + b for a, b in zip(left, values, strict=True)]
    if marker is not None:
        axes.axvline(marker[0], color="#7f0000", linestyle="--", linewidth=1, label=marker[1])
    axes.set_yticks(positions, list(frame[labels]), fontsize=8)
    axes.set_xlim(0, 100)
    axes.set_xlabel(xlabel)
    axes.legend(fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
    height = figure.get_figheight()
    figure.subplots_adjust(
        left=layout.left, right=0.97, bottom=layout.bottom[0] / height + layout.bottom[1]
    )
    figure.subplots_adjust(top=1 - layout.top / height)
    return figure


CHARTS: dict[str, Callable[[pd.DataFrame, Monitoring], Any]] = {
    "judgements_by_month": _judgements_by_month,
    "judgements_by_service": _judgements_by_service,
    "caseload_estimates": _caseload_estimates,
    "domain_ratings": _domain_ratings,
    "audits_per_auditor": _audits_per_auditor,
    "breaks_by_month": _breaks_by_month,
    "completion_by_service": _completion_by_service,
    "amendments_by_service": _amendments_by_service,
}
