"""``caseaudit draw-sample``: the month's stratified sample (issue 21, contract §6).

In order: who may be drawn (``rules``), how many (``size``), how many per stratum
(``rounding``, controlled rounding carried over the audit year), which ones (seeded
random order within a stratum, from ``model.ids``' fingerprints mixed by
``solver.ties``, a team not yet sampled this audit year first), then Hall's check
with the month's own rules (``hall``): a case no plan can cover is replaced within its
stratum, or the draw takes fewer and says why.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd

from caseaudit.model.calendar import audit_year_start, first_day
from caseaudit.model.config import OutputConfig
from caseaudit.model.dataset import LINE, Dataset
from caseaudit.model.errors import IssueCollector, plural
from caseaudit.model.ids import fingerprint
from caseaudit.model.reaudits import active_on
from caseaudit.model.validate import validate_dataset
from caseaudit.plans.month.problem import CASE_COLUMNS
from caseaudit.plans.sample.hall import check_hall
from caseaudit.plans.sample.rounding import Cell, controlled_rounding
from caseaudit.plans.sample.rules import SampleFacts, first_exclusion, open_on_first_day
from caseaudit.plans.sample.size import SampleSize, month_without_sample, sample_size
from caseaudit.plans.sample.tables import SAMPLE_TABLES
from caseaudit.provenance import input_hashes
from caseaudit.results import Result, manifest_header
from caseaudit.solver import mix

#: A stratum variable's empty value, in the stratum's label.
NONE_LABEL = "(none)"
#: The single column of a one-variable stratification.
ALL = "all"


@dataclass(frozen=True)
class SampleResult(Result):
    """A drawn month: the output tables, the manifest and what stdout says."""

    month: str
    tables: dict[str, pd.DataFrame]
    manifest: dict[str, object] = field(default_factory=dict)
    size: SampleSize | None = None
    #: Why fewer cases than the size were drawn (empty when all were).
    shortfall: tuple[str, ...] = ()
    output: OutputConfig = field(default_factory=OutputConfig)

    @property
    def sample(self) -> pd.DataFrame:
        return self.tables["sample"]

    @property
    def strata(self) -> pd.DataFrame:
        return self.tables["strata"]

    @property
    def excluded(self) -> pd.DataFrame:
        return self.tables["excluded"]

    def summary(self) -> str:
        lines = [
            f"{self.month}: {len(self.sample)} cases drawn from "
            f"{int(self.strata['eligible'].sum())} eligible in "
            f"{plural(len(self.strata), 'stratum', 'strata')}; size "
            f"{self.size.describe() if self.size else '-'}"
        ]
        lines += [f"  fewer drawn: {reason}" for reason in self.shortfall]
        counts = self.excluded["reason"].value_counts()
        for reason in sorted(counts.index):
            lines.append(f"  excluded {int(counts[reason])}: {reason}")
        counts_ = self.manifest.get("counts", {})
        assert isinstance(counts_, dict)
        if counts_.get("not_open"):
            lines.append(f"  not open on the month's first day (not listed): {counts_['not_open']}")
        if counts_.get("replaced"):
            lines.append(f"  replaced (no auditor could take them): {counts_['replaced']}")
        lines += _year_to_date_lines(self.manifest.get("rounding", {}))
        return "\n".join(lines)

    @property
    def output_config(self) -> OutputConfig:
        return self.output


def draw_sample(
    data: Dataset,
    month: str,
    seed: int | None = None,
    size: int | None = None,
    command: str | None = None,
    validate: bool = True,
) -> SampleResult:
    """Draw the month's sample from ``caseload`` (issue 21); raises ``InputError``."""
    started = time.perf_counter()
    if validate:
        validate_dataset(data).raise_if_any()
    _check_inputs(data, month).raise_if_any()
    settings = data.config.sample
    run_seed = data.config.solver.seed if seed is None else seed
    variables = list(settings.strata)
    timings: dict[str, float] = {}

    problem = month_without_sample(data, month)
    wanted = sample_size(problem, size, settings.size, settings.spare_auditors)
    timings["size_s"] = time.perf_counter() - started

    caseload = data["caseload"]
    is_open = open_on_first_day(caseload, month)
    open_cases = caseload[is_open].reset_index(drop=True)
    staff = data["staff"]
    facts = SampleFacts(
        month=month,
        settings=settings,
        open_cases=open_cases,
        history=data["history"],
        reaudits_due=frozenset(problem.cases.loc[problem.cases["reaudit_due"], "case_id"]),
        active_staff=frozenset(staff.loc[active_on(staff, first_day(month)), "staff_id"]),
    )
    reasons = first_exclusion(facts)
    open_cases = open_cases.assign(stratum=_labels(open_cases, variables))
    eligible = open_cases[reasons.isna().to_numpy()].reset_index(drop=True)
    excluded = pd.DataFrame(
        {
            "case_id": open_cases.loc[reasons.notna().to_numpy(), "case_id"].to_numpy(dtype=object),
            "reason": reasons[reasons.notna()].to_numpy(dtype=object),
        }
    )
    target = min(wanted.size, len(eligible))

    strata = _strata_frame(open_cases, eligible, variables)
    carried = _year_to_date(data, month, variables)
    total_eligible = int(strata["eligible"].sum())
    year_total = int(sum(carried.values())) + target
    cells = [
        Cell(
            row=label_row,
            column=label_column,
            share=Fraction(target * count, total_eligible) if total_eligible else Fraction(0),
            carried=carried.get(stratum, 0),
            year_share=Fraction(year_total * count, total_eligible)
            if total_eligible
            else Fraction(0),
            name=stratum,
        )
        for stratum, label_row, label_column, count in zip(
            strata["stratum"], strata["_row"], strata["_column"], strata["eligible"], strict=True
        )
    ]
    rounding = controlled_rounding(cells, run_seed)
    quota = dict(zip(strata["stratum"], rounding.counts, strict=True))
    timings["rounding_s"] = time.perf_counter() - started - sum(timings.values())

    ordered = _random_order(eligible, data, month, run_seed)
    drawn, replaced, shortfall, hall_proof = _draw_with_hall(
        data, month, ordered, quota, problem, settings.spare_auditors, run_seed
    )
    timings["draw_and_hall_s"] = time.perf_counter() - started - sum(timings.values())

    drawn_per_stratum = drawn["stratum"].value_counts()
    strata["drawn"] = strata["stratum"].map(drawn_per_stratum).fillna(0).astype(int)
    strata["share"] = [float(c.share) for c in cells]
    strata["year_to_date_share"] = [float(c.year_share) for c in cells]
    strata["year_to_date_drawn"] = [
        carried.get(s, 0) + d for s, d in zip(strata["stratum"], strata["drawn"], strict=True)
    ]
    probability = dict(
        zip(strata["stratum"], strata["drawn"] / strata["eligible"].clip(lower=1), strict=True)
    )
    if wanted.size > len(eligible):
        shortfall.insert(
            0, f"only {len(eligible)} cases may be drawn this month, fewer than {wanted.size}"
        )
    sample = drawn.assign(
        month=month, inclusion_probability=drawn["stratum"].map(probability).astype(float)
    )
    sample = sample[[c.name for c in SAMPLE_TABLES[0].columns]].reset_index(drop=True)
    sample = sample.astype(object).where(sample.notna(), None)
    sample["drawn_rank"] = sample["drawn_rank"].astype(int).astype(object)
    sample["inclusion_probability"] = sample["inclusion_probability"].astype(float)
    strata_table = strata[
        [
            "stratum",
            "open",
            "excluded",
            "eligible",
            "share",
            "drawn",
            "year_to_date_share",
            "year_to_date_drawn",
            *variables,
        ]
    ].copy()
    for column in ("open", "excluded", "eligible", "drawn", "year_to_date_drawn"):
        strata_table[column] = strata_table[column].astype(int).astype(object)
    for column in variables:
        strata_table[column] = strata_table[column].astype(object)
    tables = {"sample": sample, "strata": strata_table, "excluded": excluded}
    timings["total_s"] = time.perf_counter() - started
    manifest = {
        **manifest_header(command, "draw_sample"),
        "month": month,
        "seed": run_seed,
        "inputs_sha256": input_hashes(data),
        "config": data.config.as_dict(),
        "size": {
            "size": wanted.size,
            "decided_by": wanted.source,
            "available_auditors": wanted.available_auditors,
            "spare_auditors": wanted.spare_auditors,
            "reaudits_due": wanted.reaudits_due,
            "drawn": len(sample),
            "fewer_because": list(shortfall),
        },
        "strata_variables": variables,
        "rounding": rounding.proof,
        "hall_check": hall_proof,
        "replaced": replaced,
        "counts": {
            "caseload": len(caseload),
            "not_open": int((~is_open).sum()),
            "open": len(open_cases),
            "excluded": len(excluded),
            "eligible": len(eligible),
            "drawn": len(sample),
            "replaced": len(replaced),
            "excluded_by_reason": {
                str(k): int(v) for k, v in sorted(excluded["reason"].value_counts().items())
            },
        },
        "timings_s": {k: round(v, 4) for k, v in sorted(timings.items())},
    }
    return SampleResult(month, tables, manifest, wanted, tuple(shortfall), data.config.output)


def _year_to_date_lines(rounding: object) -> list[str]:
    """What stdout says of the strata more than one case from their year-to-date share
    (issue 21), and why: contract §6 keeps this month's floors and ceilings first."""
    assert isinstance(rounding, dict)
    year = rounding.get("year_to_date", {})
    lines = []
    if year.get("out_of_reach"):
        names = year["out_of_reach"]
        lines.append(
            f"  year to date: {plural(len(names), 'stratum', 'strata')} more than one case "
            "from the share of the year's drawn cases whatever this month draws (each "
            f"rounded towards it where the margins allow): {', '.join(names)}"
        )
    if year.get("beyond_one_for_the_margins"):
        names = year["beyond_one_for_the_margins"]
        lines.append(
            f"  year to date: {plural(len(names), 'stratum', 'strata')} left more than one "
            "case from the share, the fewest that this month's floors and ceilings allow "
            f"(kept first, contract §6; proven by the flow): {', '.join(names)}"
        )
    return lines


def _check_inputs(data: Dataset, month: str) -> IssueCollector:
    """Contract §6: the caseload is required; a ``cases`` table already holding the month
    and a ledger holding it or later are input errors (the month is drawn once)."""
    issues = IssueCollector()
    if "caseload" not in data.sources and data["caseload"].empty:
        issues.add(
            data.file_name("caseload"),
            1,
            "-",
            "draw-sample needs the caseload table (the open cases from the case-management "
            "extract): none was found in the data directory",
        )
    cases = data["cases"]
    holding = cases[cases["month"] == month]
    if len(holding):
        issues.add(
            data.file_name("cases"),
            int(holding[LINE].min()),
            "month",
            f"cases already holds month {month} ({plural(len(holding), 'row')}): the month's "
            "sample is drawn once; remove those rows to draw it again",
        )
    history = data["history"]
    later = history[history["month"] >= month]
    if len(later):
        issues.add(
            data.file_name("history"),
            int(later[LINE].min()),
            "month",
            f"history already holds month {later['month'].min()}; draw-sample {month} needs a "
            "ledger of earlier months only",
        )
    return issues


def _labels(frame: pd.DataFrame, variables: list[str]) -> pd.Series:
    """Each row's stratum: its values of the stratum variables, joined by `` / ``."""
    if not len(frame):
        return pd.Series([], dtype=object)
    label = _texts(frame[variables[0]])
    for variable in variables[1:]:
        label = label + " / " + _texts(frame[variable])
    return pd.Series(label, index=frame.index, dtype=object)


def _texts(column: pd.Series) -> np.ndarray:
    """Each value as its label's text (``str``, an empty value ``NONE_LABEL``), spelled
    once per distinct value: a caseload has a few services for 150,000 rows."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    texts = np.array([*(str(u) for u in uniques), NONE_LABEL], dtype=object)
    return texts[codes]  # code -1, an empty value, is the last


def _strata_frame(
    open_cases: pd.DataFrame, eligible: pd.DataFrame, variables: list[str]
) -> pd.DataFrame:
    """One row per stratum with an open case: its variables, open, excluded, eligible."""
    keys = open_cases[["stratum", *variables]].drop_duplicates("stratum")
    keys = keys.sort_values("stratum", key=lambda s: s.map(str)).reset_index(drop=True)
    opened = open_cases["stratum"].value_counts()
    able = eligible["stratum"].value_counts() if len(eligible) else pd.Series(dtype=int)
    keys["open"] = keys["stratum"].map(opened).fillna(0).astype(int)
    keys["eligible"] = keys["stratum"].map(able).fillna(0).astype(int)
    keys["excluded"] = keys["open"] - keys["eligible"]
    keys["_row"] = keys[variables[0]].map(lambda x: NONE_LABEL if x is None else str(x))
    keys["_column"] = (
        keys[variables[1]].map(lambda x: NONE_LABEL if x is None else str(x))
        if len(variables) > 1
        else ALL
    )
    return keys


def _year_to_date(data: Dataset, month: str, variables: list[str]) -> dict[str, int]:
    """Cases drawn earlier this audit year, per stratum: the ledger's audits of the year
    before ``month`` that are no re-audit, one per (month, case), with the stratum the
    case had in ``cases`` that month (else in the caseload)."""
    history = data["history"]
    start = audit_year_start(month, data.config.policy.audit_year_start_month)
    year = history[
        (history["month"] >= start) & (history["month"] < month) & history["reaudit_of"].isna()
    ][["month", "case_id"]].drop_duplicates()
    if year.empty:
        return {}
    cases = data["cases"][["case_id", "month", *[v for v in variables if v in data["cases"]]]]
    known = year.merge(
        cases.drop_duplicates(["case_id", "month"]), on=["case_id", "month"], how="left"
    )
    missing = [v for v in variables if v not in known.columns]
    caseload = data["caseload"].drop_duplicates("case_id").set_index("case_id")
    for variable in variables:
        fill = known["case_id"].map(caseload[variable]) if variable in caseload else None
        if variable in missing:
            known[variable] = fill
        elif fill is not None:
            known[variable] = known[variable].where(known[variable].notna(), fill)
    known = known.astype(object).where(known.notna(), None)
    labels = _labels(known, variables)
    return {str(k): int(v) for k, v in labels.value_counts().items()}


def _random_order(eligible: pd.DataFrame, data: Dataset, month: str, seed: int) -> pd.DataFrame:
    """The eligible cases in their stratum's drawing order: a team not yet sampled this
    audit year first, then by a seeded hash of the case id and month (``model.ids``
    and ``solver.ties``: stable on every machine, whatever the row order of the files),
    then by case id."""
    if eligible.empty:
        return eligible.assign(drawn_rank=pd.Series([], dtype=int))
    start = audit_year_start(month, data.config.policy.audit_year_start_month)
    history = data["history"]
    audited = history[(history["month"] >= start) & (history["month"] < month)]
    cases = data["cases"]
    teams = audited.merge(cases[["case_id", "month", "service", "team"]], on=["case_id", "month"])
    sampled = set(zip(teams["service"], teams["team"], strict=True))
    team_sampled = np.fromiter(
        ((s, t) in sampled for s, t in zip(eligible["service"], eligible["team"], strict=True)),
        bool,
        len(eligible),
    )
    month_print = fingerprint([month])[0]
    key = mix(
        fingerprint(eligible["case_id"].tolist()),
        np.full(len(eligible), month_print, dtype=np.uint64),
        seed,
    )
    ordered = eligible.assign(_sampled=team_sampled, _key=key)
    ordered = ordered.sort_values(["stratum", "_sampled", "_key", "case_id"], kind="stable")
    ordered["drawn_rank"] = ordered.groupby("stratum").cumcount() + 1
    return ordered.drop(columns=["_sampled", "_key"]).reset_index(drop=True)


def _draw_with_hall(
    data: Dataset,
    month: str,
    ordered: pd.DataFrame,
    quota: dict[str, int],
    problem: object,
    spare: int,
    seed: int,
) -> tuple[pd.DataFrame, list[dict[str, object]], list[str], dict[str, object]]:
    """Each stratum's first ``quota`` cases in its order, at most one per subject (and
    none of a subject whose re-audit is due); then Hall's check, replacing within its
    stratum any case no plan can cover, until every drawn case is covered."""
    from caseaudit.plans.month.problem import MonthProblem

    assert isinstance(problem, MonthProblem)
    taken_subjects = set(problem.cases["subject_id"])
    by_stratum = {s: group for s, group in ordered.groupby("stratum", sort=True)}
    cursor = dict.fromkeys(by_stratum, 0)
    chosen: list[int] = []
    rows = ordered.reset_index(drop=True)
    position_of = {s: group.index.to_numpy() for s, group in by_stratum.items()}
    subjects = rows["subject_id"].tolist()
    shortfall: list[str] = []

    def take(stratum: str, count: int) -> list[int]:
        picked: list[int] = []
        positions = position_of.get(stratum, np.zeros(0, dtype=np.int64))
        while len(picked) < count and cursor[stratum] < len(positions):
            position = int(positions[cursor[stratum]])
            cursor[stratum] += 1
            if subjects[position] in taken_subjects:
                continue  # contract §6: a subject's other cases stay eligible, one is drawn
            taken_subjects.add(subjects[position])
            picked.append(position)
        return picked

    for stratum in sorted(quota):
        picked = take(stratum, quota[stratum])
        if len(picked) < quota[stratum]:
            shortfall.append(
                f"{stratum}: {len(picked)} of {quota[stratum]}, its other cases are of "
                "subjects already drawn"
            )
        chosen += picked
    replaced: list[dict[str, object]] = []
    columns = [c for c in CASE_COLUMNS if c != "month"]

    def cases_at(positions: list[int]) -> pd.DataFrame:
        return rows.iloc[positions][columns].assign(month=month)

    hall = check_hall(data, problem, cases_at(chosen), spare, seed)
    proof: dict[str, object] = {**hall.proof, "rounds": 1}
    if hall.uncovered:
        uncovered = sorted(hall.uncovered)
        why_not = {case_id: _why_uncovered(hall.problem, case_id) for case_id in uncovered}
        position_by_case = {c: p for p, c in enumerate(rows["case_id"])}
        for case_id in uncovered:
            chosen.remove(position_by_case[case_id])
            taken_subjects.discard(subjects[position_by_case[case_id]])
        wanted: dict[str, list[str]] = {}
        for case_id in uncovered:
            wanted.setdefault(str(rows.at[position_by_case[case_id], "stratum"]), []).append(
                case_id
            )
        accepted: dict[str, list[int]] = {s: [] for s in wanted}
        rounds = 1
        # Candidates in each stratum's order: a first batch, then all that are left. A
        # plan that fills every auditor's room proves that no candidate can be added.
        for batch in (4, None):
            if hall.auditors_full or all(len(accepted[s]) == len(wanted[s]) for s in wanted):
                break
            offered: list[int] = []
            for stratum, lost in wanted.items():
                missing = len(lost) - len(accepted[stratum])
                positions = position_of.get(stratum, np.zeros(0, dtype=np.int64))
                pool = [
                    int(p)
                    for p in positions[cursor[stratum] :]
                    if subjects[int(p)] not in taken_subjects
                ]
                offered += pool[: batch * max(missing, 4)] if batch else pool
            if not offered:
                break
            rounds += 1
            hall = check_hall(data, problem, cases_at(chosen), spare, seed, cases_at(offered))
            for position in offered:  # by stratum, each in its order
                stratum = str(rows.at[position, "stratum"])
                cursor[stratum] = max(
                    cursor[stratum],
                    int(np.searchsorted(position_of[stratum], position, side="right")),
                )
                if (
                    rows.at[position, "case_id"] in hall.candidates_covered
                    and len(accepted[stratum]) < len(wanted[stratum])
                    and subjects[position] not in taken_subjects
                ):
                    accepted[stratum].append(position)
                    taken_subjects.add(subjects[position])
        for stratum, lost in wanted.items():
            for k, case_id in enumerate(lost):
                reason = why_not[case_id]
                by = accepted[stratum][k] if k < len(accepted[stratum]) else None
                replaced.append(
                    {
                        "case_id": case_id,
                        "stratum": stratum,
                        "reason": reason,
                        "replaced_by": rows.at[by, "case_id"] if by is not None else None,
                    }
                )
                if by is None:
                    why = (
                        "every auditor who can take a case this month is needed for the others"
                        if hall.auditors_full
                        else "no other case of its stratum can be covered in its place"
                    )
                    shortfall.append(f"{stratum}: {case_id} not drawn: {reason}; {why}")
            chosen += accepted[stratum]
        proof = {**hall.proof, "rounds": rounds}
    final = rows.iloc[sorted(chosen)]
    return final, replaced, shortfall, proof


def _why_uncovered(problem: object, case_id: str) -> str:
    """Why no plan covers the case: no allowed auditor at all, or too few for all."""
    from caseaudit.plans.month.problem import MonthProblem

    assert isinstance(problem, MonthProblem)
    available = set(problem.available_auditors["staff_id"])
    conflicts = problem.conflicts
    blocked = set(conflicts.loc[conflicts["case_id"] == case_id, "auditor_id"]) & available
    if len(blocked) == len(available):
        return (
            f"no auditor may take it this month: all {len(available)} available auditors "
            "are conflicted with it"
        )
    return (
        "the month's rules cannot give it an auditor together with the other cases "
        "(Hall's condition: too few auditors for some of the month's cases together)"
    )

    assert isinstance(problem, MonthProblem)
    available = set(problem.available_auditors["staff_id"])
    conflicts = problem.conflicts
    blocked = set(conflicts.loc[conflicts["case_id"] == case_id, "auditor_id"]) & available
    allowed = len(available) - len(blocked)
    if not allowed:
        return (
            f"no auditor may take it this month: all {len(available)} available auditors "
            "are conflicted with it"
        )
    return f"its {plural(allowed, 'allowed auditor')} are all needed for other cases of the month"
