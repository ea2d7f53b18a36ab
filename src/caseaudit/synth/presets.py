"""The sizes of the synthetic authorities, from one small service to a national stress test."""

from __future__ import annotations

from dataclasses import dataclass

#: The target month of ``caseaudit generate`` when none is given. Fixed, never today's
#: date, so the same command always writes the same files. March is the last month of
#: the audit year (April start), so eleven months of this year's ledger come before it.
DEFAULT_MONTH = "2026-03"

#: Every service that holds cases, in the order their teams are built.
CSC_SERVICES = ("Safeguarding", "Children in Care", "Leaving Care", "Fostering")


@dataclass(frozen=True)
class PresetSpec:
    """How big an authority to build; the generator derives everything else from these."""

    name: str
    description: str
    practitioners: int  # case-holding social workers, personal advisers, supervising SWs
    auditors: int  # target number of auditors (IROs, then P&Q officers, fill any gap)
    services: tuple[str, ...] = CSC_SERVICES


PRESETS: dict[str, PresetSpec] = {
    spec.name: spec
    for spec in (
        PresetSpec(
            "small",
            "one Safeguarding service: about 48 social workers, 17 auditors, 13 cases a month",
            practitioners=48,
            auditors=15,
            services=("Safeguarding",),
        ),
        PresetSpec(
            "median",
            "the median English council: about 185 social workers, 50 auditors, 38 cases",
            practitioners=185,
            auditors=48,
        ),
        PresetSpec(
            "largest",
            "the largest council: about 900 social workers, 260 auditors, 195 cases",
            practitioners=900,
            auditors=260,
        ),
        PresetSpec(
            "region",
            "a region as one authority: about 2,500 auditors, 1,875 cases",
            practitioners=8_700,
            auditors=2_500,
        ),
        PresetSpec(
            "national",
            "a national stress test: about 20,000 auditors, 15,000 cases",
            practitioners=70_000,
            auditors=20_000,
        ),
    )
}
