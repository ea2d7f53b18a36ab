"""`reallocate` on the national preset (issue 23): `make test-long`, not `make test`.

At national scale the re-plan's tiers do not fit one 64-bit cost (it crashed with an
OverflowError before); it is now solved in lexicographic stages. With 5 and with 500
honoured exemptions (as `make bench`), the re-plan must be proven optimal, move exactly
the freed audits (every other auditor keeps their case: minimal change, §5) and leave
no case unallocated (the preset has room for every case).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from caseaudit import allocate, load, reallocate
from caseaudit.io.tables import write_input_tables
from caseaudit.synth import DEFAULT_MONTH, generate_tables

pytestmark = pytest.mark.long


@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("national")
    data = root / "data"
    write_input_tables(data, generate_tables("national", 0), "parquet")
    first = allocate(load(data, DEFAULT_MONTH), DEFAULT_MONTH)
    first.write(root / "previous", force=True)
    return data, root / "previous"


def with_exemptions(data: Path, previous: Path, count: int, out: Path) -> Path:
    """A copy of ``data`` where the auditors of the first ``count`` audits (by id) are
    exempted from them, approved by whoever may approve for their group (§4)."""
    plan = pd.read_parquet(previous / "allocations.parquet")
    staff = pd.read_parquet(data / "staff.parquet")
    approver = {
        "csc": staff.loc[staff["role"] == "assistant_director", "staff_id"].min(),
        "pq": staff.loc[staff["role"] == "strategic_lead_ipq", "staff_id"].min(),
    }
    group = dict(zip(staff["staff_id"], staff["staff_group"], strict=True))
    chosen = plan.sort_values("audit_id").head(count)
    extra = pd.DataFrame(
        {
            "case_id": chosen["case_id"],
            "month": DEFAULT_MONTH,
            "auditor_id": chosen["auditor_id"],
            "requested_on": pd.Timestamp("2026-03-03").date(),
            "decision": "approved",
            "decided_by": [approver[group[a]] for a in chosen["auditor_id"]],
            "decided_on": pd.Timestamp("2026-03-04").date(),
        }
    )
    shutil.copytree(data, out)
    existing = pd.read_parquet(out / "exemptions.parquet")
    keys = set(zip(extra["case_id"], extra["auditor_id"], strict=True))
    kept = [
        (c, a) not in keys for c, a in zip(existing["case_id"], existing["auditor_id"], strict=True)
    ]
    write_input_tables(out, {"exemptions": pd.concat([existing[kept], extra])}, "parquet")
    return out


@pytest.mark.parametrize("exemptions", [5, 500])
def test_national_reallocate_is_proven_optimal_and_moves_only_the_freed(
    national: tuple[Path, Path], tmp_path: Path, exemptions: int
) -> None:
    data, previous = national
    later = with_exemptions(data, previous, exemptions, tmp_path / "later")
    result = reallocate(load(later, DEFAULT_MONTH), DEFAULT_MONTH, previous)
    counts = result.manifest["counts"]
    assert isinstance(counts, dict)
    assert result.solve.status == "optimal"
    assert counts["must_move"] == exemptions
    assert counts["moved"] == exemptions
    assert len(result.unallocated) == 0
