"""The boundary where ids become array indices for the solver, and back (style §2).

Nothing outside this module maps an id to an index: the solver sees only arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from caseaudit.model.ids import fingerprint
from caseaudit.model.problem import MonthProblem


@dataclass(frozen=True)
class EncodedProblem:
    """Arrays over cases ``0..n_cases-1`` and auditors ``0..n_auditors-1`` (sorted ids)."""

    case_ids: tuple[str, ...]
    auditor_ids: tuple[str, ...]
    #: 2 for a due or overdue re-audit (covered first), 1 for any other case.
    case_priority: np.ndarray
    #: Audits each auditor may still take this month (monthly, yearly and break rules).
    auditor_capacity: np.ndarray
    #: Audits each auditor already has this audit year.
    auditor_year_count: np.ndarray
    pair_case: np.ndarray
    pair_auditor: np.ndarray
    pair_is_original: np.ndarray
    pair_seen_subject: np.ndarray
    pair_is_reaudit: np.ndarray
    #: Stable 64-bit fingerprints of the ids, mixed with the seed for the tie-break.
    case_fingerprint: np.ndarray
    auditor_fingerprint: np.ndarray
    #: Pairs that the previous plan holds (minimal change); all False for a new month.
    pair_in_previous_plan: np.ndarray

    @property
    def n_cases(self) -> int:
        return len(self.case_ids)

    @property
    def n_auditors(self) -> int:
        return len(self.auditor_ids)

    @property
    def n_pairs(self) -> int:
        return len(self.pair_case)


def encode(problem: MonthProblem, previous_plan: pd.DataFrame | None = None) -> EncodedProblem:
    """Turn the month's tables of ids into index arrays.

    ``previous_plan`` (case_id, auditor_id) marks the pairs of an earlier plan, for the
    minimal-change objective of a reallocation.
    """
    cases = problem.cases
    case_ids = tuple(cases["case_id"])
    auditors = problem.auditors[problem.auditors["capacity"] > 0]
    auditor_ids = tuple(auditors["staff_id"])
    case_index = pd.Index(case_ids)
    auditor_index = pd.Index(auditor_ids)
    pairs = problem.pairs
    pair_case = case_index.get_indexer(pairs["case_id"].cat.categories)[pairs["case_id"].cat.codes]
    pair_auditor = auditor_index.get_indexer(pairs["auditor_id"].cat.categories)[
        pairs["auditor_id"].cat.codes
    ]
    assert (pair_case >= 0).all() and (pair_auditor >= 0).all(), "pairs outside the problem"
    priority = np.where(cases["reaudit_due"].to_numpy(dtype=bool), 2, 1).astype(np.int64)
    is_reaudit = cases["is_reaudit"].to_numpy(dtype=bool)
    in_previous = np.zeros(len(pair_case), dtype=bool)
    if previous_plan is not None and len(previous_plan) and len(pair_case):
        c = case_index.get_indexer(previous_plan["case_id"])
        a = auditor_index.get_indexer(previous_plan["auditor_id"])
        ok = (c >= 0) & (a >= 0)
        width = max(len(auditor_ids), 1)
        keys = c[ok].astype(np.int64) * width + a[ok]
        in_previous = np.isin(pair_case.astype(np.int64) * width + pair_auditor, keys)
    return EncodedProblem(
        case_ids=case_ids,
        auditor_ids=auditor_ids,
        case_priority=priority,
        auditor_capacity=auditors["capacity"].to_numpy(dtype=np.int64),
        auditor_year_count=auditors["year_count"].to_numpy(dtype=np.int64),
        pair_case=pair_case.astype(np.int64),
        pair_auditor=pair_auditor.astype(np.int64),
        pair_is_original=pairs["is_original"].to_numpy(dtype=bool),
        pair_seen_subject=pairs["seen_subject"].to_numpy(dtype=bool),
        pair_is_reaudit=is_reaudit[pair_case] if len(pair_case) else np.zeros(0, dtype=bool),
        case_fingerprint=fingerprint(case_ids),
        auditor_fingerprint=fingerprint(auditor_ids),
        pair_in_previous_plan=in_previous,
    )


def decode_assignment(encoded: EncodedProblem, chosen_pairs: np.ndarray) -> pd.DataFrame:
    """The chosen pair indices back to (case_id, auditor_id) rows, sorted by case_id."""
    case_ids = np.array(encoded.case_ids, dtype=object)
    auditor_ids = np.array(encoded.auditor_ids, dtype=object)
    frame = pd.DataFrame(
        {
            "case_id": case_ids[encoded.pair_case[chosen_pairs]],
            "auditor_id": auditor_ids[encoded.pair_auditor[chosen_pairs]],
        }
    )
    return frame.sort_values("case_id").reset_index(drop=True)
