"""Plant single-rule bugs, one at a time, and check that a deterministic test catches each.

``make mutants`` (not part of ``make test``). Every entry of ``MUTANTS`` is one named bug:
a file, an exact piece of its text (which must occur exactly once) and what replaces it.
The working tree is never touched: the committed tree (``git archive HEAD``, or with
``--worktree`` the tracked and untracked files as they are now) is copied into a
temporary folder, each bug is planted there in turn, and the fast deterministic tests
(every test but the hypothesis properties, which conftest marks ``property``; no
notebooks) run against that copy with ``-x``, so the first failure names the test that
caught the bug. A bug no test catches is a hole in the suite: write the test.

    python benchmarks/mutants.py                 # every bug, the committed tree
    python benchmarks/mutants.py --worktree -k head_of_service   # a few, files as now
    python benchmarks/mutants.py --markdown      # also the table for the README
"""

# ruff: noqa: E501  (one bug per line, as the issue asks: the list reads as a table)

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
M = "src/caseaudit/model/"
S = "src/caseaudit/solver/"


@dataclass(frozen=True)
class Mutant:
    name: str
    command: str
    path: str
    original: str
    replacement: str


# fmt: off
MUTANTS: tuple[Mutant, ...] = (
    # ---- allocate: eligibility and the monthly and yearly maxima (contract §4 rules 1-2)
    Mutant("eligible_ignores_leaving_date", "allocate", "src/caseaudit/plans/month/problem.py", 'auditors["eligible"] = (starts_ok & ends_ok).astype(bool)', 'auditors["eligible"] = starts_ok.astype(bool)'),
    Mutant("eligible_ignores_start_date", "allocate", "src/caseaudit/plans/month/problem.py", 'auditors["eligible"] = (starts_ok & ends_ok).astype(bool)', 'auditors["eligible"] = ends_ok.astype(bool)'),
    Mutant("monthly_capacity_doubled", "allocate", "src/caseaudit/plans/month/adapter.py", 'capacity=auditors["capacity"].to_numpy(dtype=np.int64),', 'capacity=auditors["capacity"].to_numpy(dtype=np.int64) * 2,'),
    Mutant("no_yearly_maximum", "allocate", "src/caseaudit/plans/month/rules.py", "return _limit(auditors, left < facts.config.policy.max_audits_per_month, left, detail)", "return _limit(auditors, left < 0, left, detail)"),
    Mutant("year_never_resets", "allocate", "src/caseaudit/model/history.py", '(history["month"] >= start)', '(history["month"] >= "0000-00")'),
    Mutant("year_counts_cancelled_and_reallocated", "allocate", "src/caseaudit/model/history.py", '& ~history["status"].isin(NOT_COUNTED_STATUSES)\n    ]\n    return in_year', ']\n    return in_year'),
    # ---- allocate: breaks (contract §4 rule 3)
    Mutant("breaks_late_before_on_time", "allocate", "src/caseaudit/model/breaks.py", 'key=lambda r: (not r["on_time"], r["requested_on"], r["auditor_id"])', 'key=lambda r: (r["on_time"], r["requested_on"], r["auditor_id"])'),
    Mutant("breaks_ignore_request_date", "allocate", "src/caseaudit/model/breaks.py", 'key=lambda r: (not r["on_time"], r["requested_on"], r["auditor_id"])', 'key=lambda r: (not r["on_time"], r["auditor_id"])'),
    Mutant("breaks_tie_by_id_reversed", "allocate", "src/caseaudit/model/breaks.py", 'key=lambda r: (not r["on_time"], r["requested_on"], r["auditor_id"])', 'key=lambda r: (not r["on_time"], r["requested_on"], [-ord(c) for c in r["auditor_id"]])'),
    Mutant("break_on_last_day_is_late", "allocate", "src/caseaudit/model/breaks.py", '"on_time": requested_on <= deadline', '"on_time": requested_on < deadline'),
    Mutant("break_at_yearly_maximum_counts", "allocate", "src/caseaudit/model/breaks.py", "elif auditor_id in at_yearly_maximum:", "elif False:"),
    Mutant("break_of_ineligible_counts", "allocate", "src/caseaudit/model/breaks.py", "if auditor_id not in eligible:", "if False:"),
    Mutant("break_cap_in_floats", "allocate", "src/caseaudit/model/breaks.py", "return math.floor(Decimal(str(max_break_fraction)) * eligible_auditors)", "return math.floor(float(max_break_fraction) * eligible_auditors)"),
    Mutant("break_cap_rounds", "allocate", "src/caseaudit/model/breaks.py", "return math.floor(Decimal(str(max_break_fraction)) * eligible_auditors)", "return round(Decimal(str(max_break_fraction)) * eligible_auditors)"),
    Mutant("break_cap_omits_auditors_at_maximum", "allocate", "src/caseaudit/plans/month/problem.py", "cap = break_cap(policy.max_break_fraction, len(eligible))", "cap = break_cap(policy.max_break_fraction, len(eligible - at_maximum))"),
    Mutant("cap_notification_when_cap_is_zero", "allocate", "src/caseaudit/model/breaks.py", "if cap > 0 and granted >= cap:", "if granted >= cap:"),
    Mutant("cap_notification_to_one_head_only", "allocate", "src/caseaudit/model/breaks.py", "for head in sorted(heads_of_service)", "for head in sorted(heads_of_service)[:1]"),
    Mutant("cap_notification_to_inactive_heads", "allocate", "src/caseaudit/plans/month/problem.py", 'heads = staff[(staff["role"] == "head_of_service") & active_on(staff, first_day(month))]', 'heads = staff[staff["role"] == "head_of_service"]'),
    Mutant("no_break_rule", "allocate", "src/caseaudit/plans/month/rules.py", 'auditors["break_granted"].astype(bool),', 'auditors["break_granted"].astype(bool) & False,'),
    # ---- allocate: conflicts of interest (contract §4 rule 4)
    Mutant("direct_without_iro", "allocate", "src/caseaudit/plans/month/rules.py", '(manager, "team manager"), (iro, "IRO"))', '(manager, "team manager"))'),
    Mutant("direct_without_team_manager", "allocate", "src/caseaudit/plans/month/rules.py", '(manager, "team manager"), (iro, "IRO"))', '(iro, "IRO"))'),
    Mutant("direct_without_worker", "allocate", "src/caseaudit/plans/month/rules.py", 'for person, role in ((worker, "allocated worker"), (manager, "team manager"), (iro, "IRO")):', 'for person, role in ((manager, "team manager"), (iro, "IRO")):'),
    Mutant("chain_one_level_only", "allocate", "src/caseaudit/plans/month/rules.py", "for boss in facts.ancestors.get(person, []) if person is not None else []:", "for boss in facts.ancestors.get(person, [])[:1] if person is not None else []:"),
    Mutant("chain_of_worker_only", "allocate", "src/caseaudit/plans/month/rules.py", 'for person, role in ((worker, "allocated worker"), (manager, "team manager")):\n            for boss', 'for person, role in ((worker, "allocated worker"),):\n            for boss'),
    Mutant("same_team_ignores_service", "allocate", "src/caseaudit/plans/month/rules.py", "for person in members.get((service, team), []):", "for person in sum((v for k, v in members.items() if k[1] == team), []):"),
    Mutant("no_declared_conflicts", "allocate", "src/caseaudit/plans/month/rules.py", "for person in sorted(by_subject.get(subject, ())):", 'for person in sorted(by_subject.get(subject + "?", ())):'),
    # ---- allocate: exemptions (§4, §29-30)
    Mutant("no_exemption_rule", "allocate", "src/caseaudit/plans/month/rules.py", 'mask = auditors["staff_id"].isin(cases_of.index)', 'mask = auditors["staff_id"].isin([])'),
    Mutant("exemption_self_approval_allowed", "allocate", "src/caseaudit/model/exemptions.py", "if decided_by == item.auditor_id:", "if False:"),
    Mutant("exemption_approver_of_either_group", "allocate", "src/caseaudit/model/exemptions.py", "if needed is None or approver_role != needed:", 'if approver_role not in ("assistant_director", "strategic_lead_ipq"):'),
    Mutant("exemption_refused_counts", "allocate", "src/caseaudit/model/exemptions.py", 'if decision == "refused":', "if False:"),
    Mutant("exemption_pending_counts", "allocate", "src/caseaudit/model/exemptions.py", 'if decision == "pending":', "if False:"),
    Mutant("exemption_only_bars_its_case", "allocate", "src/caseaudit/plans/month/rules.py", "return _limit(auditors, mask, 0, detail)\n\n\ndef on_break", "return Restriction(pairs=pd.DataFrame([(c, a, 'exempted') for a, cs in cases_of.items() for c in cs.split(', ')], columns=PAIR_COLUMNS))\n\n\ndef on_break"),
    # ---- allocate: re-audits and the head of service (contract §3, §4 rule 5, §25)
    Mutant("reaudit_deadline_three_months", "allocate", "src/caseaudit/model/reaudits.py", "reaudit_deadline(d, within)", "reaudit_deadline(d, within + 1)"),
    Mutant("reaudit_month_of_the_deadline", "allocate", "src/caseaudit/model/calendar.py", "if last_day(candidate) <= deadline:", "if True:"),
    Mutant("reaudit_month_strictly_before", "allocate", "src/caseaudit/model/calendar.py", "if last_day(candidate) <= deadline:", "if last_day(candidate) < deadline:"),
    Mutant("no_reaudit_priority", "allocate", "src/caseaudit/plans/month/adapter.py", 'priority=np.where(cases["reaudit_due"].to_numpy(dtype=bool), 2, 1)', 'priority=np.where(cases["reaudit_due"].to_numpy(dtype=bool), 1, 1)'),
    Mutant("overdue_reaudit_not_added", "allocate", "src/caseaudit/plans/month/problem.py", 'due_cases = set(awaiting.loc[awaiting["reaudit_month"] <= month, "case_id"])', 'due_cases = set(awaiting.loc[awaiting["reaudit_month"] == month, "case_id"])'),
    Mutant("reaudit_of_the_earliest", "allocate", "src/caseaudit/plans/month/problem.py", 'awaiting.sort_values(["case_id", "confirmed_on", "audit_id"]).groupby("case_id").tail(1)', 'awaiting.sort_values(["case_id", "confirmed_on", "audit_id"]).groupby("case_id").head(1)'),
    Mutant("added_reaudit_with_oldest_details", "allocate", "src/caseaudit/plans/month/problem.py", 'return known.groupby("case_id").tail(1)', 'return known.groupby("case_id").head(1)'),
    Mutant("cancelled_reaudit_settles", "allocate", "src/caseaudit/model/reaudits.py", 'history.loc[~history["status"].isin(NOT_COUNTED_STATUSES), "reaudit_of"].dropna()', 'history["reaudit_of"].dropna()'),
    Mutant("moderator_judgement_ignored", "allocate", "src/caseaudit/model/reaudits.py", '"judgement": decided_judgement.where(by_moderator, audits["overall_judgement"])', '"judgement": audits["overall_judgement"]'),
    Mutant("open_challenge_confirms", "allocate", "src/caseaudit/model/reaudits.py", 'audits = counted[moderated | ~counted["audit_id"].isin(open_challenges)]', "audits = counted"),
    Mutant("no_escalation", "allocate", "src/caseaudit/model/reaudits.py", '"head_of_service_review" if item.was_reaudit else "none"', '"none"'),
    Mutant("no_original_auditor_preference", "allocate", "src/caseaudit/plans/month/adapter.py", "bonus = np.full(len(index.original), -weights.original_auditor, dtype=np.int64)", "bonus = np.zeros(len(index.original), dtype=np.int64)"),
    Mutant("fresh_eyes_window_eleven_months", "allocate", "src/caseaudit/plans/month/problem.py", '(history["month"] >= add_months(month, -12))', '(history["month"] >= add_months(month, -11))'),
    Mutant("fresh_eyes_window_thirteen_months", "allocate", "src/caseaudit/plans/month/problem.py", '(history["month"] >= add_months(month, -12))', '(history["month"] >= add_months(month, -13))'),
    Mutant("active_ignores_start_date", "allocate", "src/caseaudit/model/reaudits.py", 'starts = staff["active_from"].map(lambda d: d is None or d <= day)', 'starts = staff["active_from"].map(lambda d: True)'),
    Mutant("tie_break_salted_hash", "allocate", "src/caseaudit/model/ids.py", 'int.from_bytes(hashlib.blake2b(i.encode(), digest_size=8).digest(), "little") >> 1', "(hash(i) & 0xFFFFFFFFFFFFFFFF) >> 1"),
    Mutant("head_of_service_highest_id", "allocate", "src/caseaudit/model/reaudits.py", 'for service, staff_id in sorted(zip(heads["service"], heads["staff_id"], strict=True)):', 'for service, staff_id in sorted(zip(heads["service"], heads["staff_id"], strict=True), key=lambda p: (p[0], [-ord(c) for c in p[1]])):'),
    Mutant("head_of_service_inactive_too", "allocate", "src/caseaudit/model/reaudits.py", 'heads = staff[(staff["role"] == "head_of_service") & active_on(staff, day)]', 'heads = staff[staff["role"] == "head_of_service"]'),
    # ---- reallocate (issue 3)
    Mutant("replan_revokes_earlier_breaks", "reallocate", "src/caseaudit/plans/month/problem.py", 'already = int((earlier["decision"] == "granted").sum())', "already = 0"),
    Mutant("replan_ignores_previous_plan", "reallocate", "src/caseaudit/plans/month/adapter.py", 'previous = partial.keys(previous_plan["case_id"], previous_plan["auditor_id"])', "previous = EMPTY"),
    Mutant("replan_id_always_r1", "reallocate", "src/caseaudit/plans/month/reallocation.py", "k = int(match.group(1)) + 1 if match else 1", "k = 1"),
    Mutant("replan_dropped_case_not_dropped", "reallocate", "src/caseaudit/plans/month/reallocation.py", "if case_id not in in_month:", "if False:"),
    Mutant("replan_unmoved_audit_renamed", "reallocate", "src/caseaudit/plans/month/reallocation.py", "audit_ids[case_id] = old_id", "audit_ids[case_id] = reallocated_audit_id(month, case_id, old_id)"),
    # ---- moderate (§21-22, issue 8)
    Mutant("moderator_in_connected_service", "moderate", "src/caseaudit/plans/moderation/problem.py", "for other in sorted(moderation.connected_to(service))", "for other in []"),
    Mutant("moderator_in_case_service", "moderate", "src/caseaudit/plans/moderation/problem.py", "for person in members.get(service, [])\n    )\n\n\ndef unconnected_service", "for person in []\n    )\n\n\ndef unconnected_service"),
    Mutant("moderator_may_be_the_auditor", "moderate", "src/caseaudit/plans/moderation/problem.py", "        if auditor in pool\n", "        if auditor in pool and False\n"),
    Mutant("moderator_may_manage_the_auditor", "moderate", "src/caseaudit/plans/moderation/problem.py", "for boss in facts.ancestors.get(auditor, [])\n        if boss in pool", "for boss in facts.ancestors.get(auditor, [])[:0]\n        if boss in pool"),
    Mutant("moderator_may_be_managed_by_the_auditor", "moderate", "src/caseaudit/plans/moderation/problem.py", "for person in managed_by.get(auditor, [])", "for person in []"),
    Mutant("moderator_may_be_a_challenger", "moderate", "src/caseaudit/plans/moderation/problem.py", "        if person in pool\n    )\n\n\ndef not_above_a_challenger", "        if person in pool and False\n    )\n\n\ndef not_above_a_challenger"),
    Mutant("moderator_may_manage_a_challenger", "moderate", "src/caseaudit/plans/moderation/problem.py", "for boss in facts.ancestors.get(person, [])\n        if boss in pool", "for boss in facts.ancestors.get(person, [])[:1]\n        if boss in pool"),
    Mutant("moderator_with_case_conflict", "moderate", "src/caseaudit/plans/moderation/problem.py", 'return _case_conflict("direct", facts)', 'return Bar()'),
    Mutant("moderator_inactive_allowed", "moderate", "src/caseaudit/plans/moderation/problem.py", 'staff, ~staff["active"], f"is not active', 'staff, staff["active"] & False, f"is not active'),
    Mutant("moderation_cap_ignores_earlier", "moderate", "src/caseaudit/plans/moderation/problem.py", 'room = (cap - moderators["month_load"]).clip(lower=0)', "room = pd.Series(cap, index=moderators.index)"),
    Mutant("moderation_cap_off_by_one", "moderate", "src/caseaudit/plans/moderation/problem.py", 'room = (cap - moderators["month_load"]).clip(lower=0)', 'room = (cap + 1 - moderators["month_load"]).clip(lower=0)'),
    Mutant("challenge_unmoderated_to_inactive_leads", "moderate", "src/caseaudit/plans/moderation/problem.py", 'leads = people[(people["role"] == "strategic_lead_ipq") & people["active"]]', 'leads = people[people["role"] == "strategic_lead_ipq"]'),
    # ---- plan-breaks (issue 9)
    Mutant("plan_breaks_no_service_cap", "plan-breaks", "src/caseaudit/plans/break_year/problem.py", "fraction = facts.config.breaks.max_service_break_fraction", "fraction = 1"),
    Mutant("plan_breaks_no_monthly_cap", "plan-breaks", "src/caseaudit/plans/break_year/problem.py", "fraction = facts.config.policy.max_break_fraction", "fraction = 1"),
    Mutant("plan_breaks_service_cap_rounds_up", "plan-breaks", "src/caseaudit/plans/break_year/problem.py", "return YearRestriction(service_cap=counts.map(lambda n: break_cap(fraction, int(n))))", "return YearRestriction(service_cap=counts.map(lambda n: -(-int(fraction * 100) * int(n) // 100)))"),
    Mutant("plan_breaks_taken_not_counted", "plan-breaks", "src/caseaudit/plans/break_year/problem.py", "left = (needed - auditors[\"taken\"]).clip(lower=0)", "left = needed"),
    Mutant("plan_breaks_three_a_year", "plan-breaks", "src/caseaudit/plans/break_year/problem.py", 'needed = (auditors["eligible_months"] - facts.config.policy.max_audits_per_year).clip(lower=0)', 'needed = (auditors["eligible_months"] - facts.config.policy.max_audits_per_year + 1).clip(lower=0)'),
    Mutant("plan_breaks_outside_eligible_months", "plan-breaks", "src/caseaudit/plans/break_year/problem.py", "outside = everything.difference(eligible).to_frame(index=False)", "outside = everything[:0].to_frame(index=False)"),
    Mutant("plan_breaks_requests_late_first", "plan-breaks", "src/caseaudit/plans/break_year/problem.py", "ascending=[False, True, True, True],", "ascending=[True, True, True, True],"),
    Mutant("plan_breaks_requests_not_kept", "plan-breaks", "src/caseaudit/plans/break_year/adapter.py", "return YearTerm(pair=-(index.pair_request >= 0).astype(np.int64))", "return YearTerm(pair=np.zeros(len(index.pair_request), dtype=np.int64))"),
    Mutant("plan_breaks_emits_late_request_date", "plan-breaks", "src/caseaudit/plans/break_year/tables.py", '"requested_on": day if on_time else plan_date,', '"requested_on": day if day is not None else plan_date,'),
    Mutant("plan_breaks_emits_plan_date_for_kept", "plan-breaks", "src/caseaudit/plans/break_year/tables.py", '"requested_on": day if on_time else plan_date,', '"requested_on": plan_date,'),
    # ---- explain (issue 11)
    Mutant("explain_forced_pair_keeps_full_room", "explain", "src/caseaudit/explaining/variants.py", 'auditors.loc[chosen, "capacity"] = auditors.loc[chosen, "capacity"] - 1', 'auditors.loc[chosen, "capacity"] = auditors.loc[chosen, "capacity"]'),
    Mutant("explain_relaxes_earliest_break_first", "explain", "src/caseaudit/explaining/facts.py", 'granted = granted.sort_values(["late", "requested_on", "auditor_id"], ascending=False)', 'granted = granted.sort_values(["late", "requested_on", "auditor_id"], ascending=True)'),
    Mutant("explain_runner_up_lowest_id", "explain", "src/caseaudit/explaining/explainer.py", 'others = frame[frame["allowed"] & ~frame["chosen"]].sort_values(["cost", "auditor_id"])', 'others = frame[frame["allowed"] & ~frame["chosen"]].sort_values(["auditor_id"])'),
    Mutant("explain_cheapest_listed_by_id", "explain", "src/caseaudit/explaining/explainer.py", 'cheapest = allowed.sort_values(["cost", "auditor_id"]).head(5)', 'cheapest = allowed.sort_values(["auditor_id"]).head(5)'),
    # ---- report (issue 10)
    Mutant("report_due_day_is_overdue", "report", "src/caseaudit/reporting/monitoring.py", '& (audits["due_on"] < self.as_of)\n        ].copy()\n        late["days_overdue"]', '& (audits["due_on"] <= self.as_of)\n        ].copy()\n        late["days_overdue"]'),
    Mutant("report_honoured_exemption_is_non_completion", "report", "src/caseaudit/reporting/monitoring.py", "[item is None or not item[0] for item in found]", "[True for item in found]"),
    Mutant("report_amendments_in_calendar_days", "report", "src/caseaudit/reporting/monitoring.py", "None if d is None else self.calendar.add_working_days(d, days)", "None if d is None else d + dt.timedelta(days=days)"),
    Mutant("report_moderated_judgement_ignored", "report", "src/caseaudit/reporting/monitoring.py", "effective.get(audit_id, judgement)", "judgement"),
    Mutant("report_audits_per_auditor_inactive_too", "report", "src/caseaudit/reporting/monitoring.py", 'auditors = staff[(staff["is_auditor"] == True) & active_on(staff, self.as_of)]', 'auditors = staff[staff["is_auditor"] == True]'),
    Mutant("report_reaudit_overdue_on_deadline_day", "report", "src/caseaudit/reporting/monitoring.py", 'cycle["overdue"] = [self.as_of > d for d in cycle["reaudit_deadline"]]', 'cycle["overdue"] = [self.as_of >= d for d in cycle["reaudit_deadline"]]'),
)
# fmt: on


def copy_tree(target: Path, worktree: bool) -> None:
    """The project's files into ``target``: the committed tree, or the files as they are."""
    if not worktree:
        archive = subprocess.run(
            ["git", "archive", "--format=tar", "HEAD"], cwd=ROOT, check=True, capture_output=True
        ).stdout
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(target, filter="data")
        return
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def pytest_command(tests: list[str]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pytest",
        "-x",
        "-q",
        "-rf",
        "--no-header",
        "-p",
        "no:cacheprovider",
        "-o",
        "addopts=",
        "-m",
        "not property",
        *tests,
    ]


def run_tests(copy: Path, tests: list[str], timeout: float) -> tuple[str, str, float]:
    """('passed' | 'failed' | 'timeout' | 'error', first failing test, seconds)."""
    env = {
        **os.environ,
        "PYTHONPATH": str(copy / "src"),
        "PYTHONDONTWRITEBYTECODE": "1",  # a planted bug never hides behind a stale .pyc
        "CI": "1",
    }
    started = time.perf_counter()
    try:
        done = subprocess.run(
            pytest_command(tests),
            cwd=copy,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return "timeout", "", time.perf_counter() - started
    seconds = time.perf_counter() - started
    if done.returncode == 0:
        return "passed", "", seconds
    failed = re.search(r"^(?:FAILED|ERROR) (\S+)", done.stdout, re.MULTILINE)
    if failed is None:
        return "error", (done.stdout + done.stderr)[-2000:], seconds
    return "failed", failed.group(1), seconds


def check_list(copy: Path, mutants: tuple[Mutant, ...]) -> list[str]:
    """Every original text must occur exactly once in its file (else the list is stale)."""
    problems = []
    names = [m.name for m in mutants]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"{name}: named twice")
    for mutant in mutants:
        path = copy / mutant.path
        if not path.is_file():
            problems.append(f"{mutant.name}: no file {mutant.path}")
            continue
        count = path.read_text(encoding="utf-8").count(mutant.original)
        if count != 1:
            problems.append(f"{mutant.name}: its text occurs {count} times in {mutant.path}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", dest="only", action="append", default=[], help="names containing")
    parser.add_argument("--worktree", action="store_true", help="copy the files as they are now")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per bug")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table too")
    parser.add_argument("--list", action="store_true", help="check and list the bugs only")
    parser.add_argument("tests", nargs="*", default=["tests"], help="test paths (default tests)")
    args = parser.parse_args(argv)
    mutants = tuple(m for m in MUTANTS if not args.only or any(k in m.name for k in args.only))
    with tempfile.TemporaryDirectory(prefix="caseaudit-mutants-") as scratch:
        copy = Path(scratch)
        copy_tree(copy, args.worktree)
        problems = check_list(copy, mutants)
        if problems:
            print("the bug list is stale:\n  " + "\n  ".join(problems), file=sys.stderr)
            return 2
        if args.list:
            for mutant in mutants:
                print(f"{mutant.command:12} {mutant.name}")
            return 0
        status, detail, seconds = run_tests(copy, args.tests, args.timeout)
        if status != "passed":
            print(f"the unmutated tree does not pass ({status}): {detail}", file=sys.stderr)
            return 2
        print(f"unmutated tree: the deterministic tests pass in {seconds:.0f}s")
        rows = []
        for number, mutant in enumerate(mutants, 1):
            path = copy / mutant.path
            pristine = path.read_text(encoding="utf-8")
            path.write_text(pristine.replace(mutant.original, mutant.replacement), encoding="utf-8")
            try:
                status, detail, seconds = run_tests(copy, args.tests, args.timeout)
            finally:
                path.write_text(pristine, encoding="utf-8")
            caught = status == "failed"
            by = detail if caught else (status if status != "error" else "error: " + detail)
            rows.append((mutant, caught, by, seconds))
            verdict = "caught" if caught else "MISSED"
            print(
                f"[{number:2}/{len(mutants)}] {verdict:6} {mutant.command:11} {mutant.name:42} "
                f"{seconds:5.1f}s  {by}",
                flush=True,
            )
    caught_count = sum(1 for _, caught, _, _ in rows if caught)
    print(f"\n{caught_count} of {len(rows)} planted bugs caught by a deterministic test")
    if args.markdown:
        print("\n| command | planted bug | caught by | s |\n|---|---|---|---|")
        for mutant, caught, by, seconds in rows:
            shown = f"`{by}`" if caught else f"**missed** ({by.splitlines()[0] if by else ''})"
            print(f"| {mutant.command} | `{mutant.name}` | {shown} | {seconds:.0f} |")
    return 0 if caught_count == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
