"""A synthetic children's services department: the staff tree every preset stands on.

Assistant directors → heads of service → group managers → team managers → teams of five
to seven practitioners, in each case-holding service (the first with two heads of
service at least); IROs and P&Q officers under the strategic lead of Performance and
Quality. Auditors: heads of service, group and team managers, IRO managers, P&Q officers,
some IROs, one assistant director and the strategic lead. Staff are held as parallel
arrays indexed by position (the index is what the generator's hot loops compare); ids
are given at the end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np

from caseaudit.model.calendar import add_months, first_day, last_day
from caseaudit.synth.presets import PresetSpec

PQ_SERVICE = "Performance and Quality"
#: The service written for assistant directors, who sit above several services.
DIRECTORATE = "Children's Social Care"
SERVICE_SHARE = {
    "Safeguarding": 0.45,
    "Children in Care": 0.25,
    "Leaving Care": 0.15,
    "Fostering": 0.15,
}
PRACTITIONER_ROLE = {
    "Safeguarding": "social_worker",
    "Children in Care": "social_worker",
    "Leaving Care": "personal_adviser",
    "Fostering": "supervising_social_worker",
}
MIN_TEAM, MAX_TEAM = 5, 7
TEAMS_PER_GROUP_MANAGER = 5
GROUP_MANAGERS_PER_HEAD = 4
HEADS_PER_DIRECTOR = 3
IROS_PER_MANAGER = 8
IRO_SHARE = 0.06  # IROs per practitioner
PRACTITIONERS_PER_PQ_OFFICER = 80
QA_TEAM = "Quality Assurance"
NONE = -1  # "no staff member" in the index arrays
NEVER = 0  # ordinal sentinels for open-ended active dates
FOREVER = date.max.toordinal()


@dataclass(frozen=True)
class Organisation:
    """Everyone, as parallel columns; position i is one person."""

    staff_ids: list[str]
    role: list[str]
    group: list[str]
    service: list[str]
    team: list[str | None]
    manager: list[int]  # position of the line manager, NONE at the top
    team_key: list[int]  # one number per (service, team); NONE without a team
    is_auditor: np.ndarray
    can_moderate: np.ndarray
    active_from: np.ndarray  # ordinals, NEVER when open
    active_to: np.ndarray  # ordinals, FOREVER when open
    chain: list[tuple[int, ...]]  # the person and everyone above them
    practitioners: np.ndarray  # positions of the case holders
    iros: np.ndarray
    strategic_lead: int
    assistant_directors: list[int]

    def __len__(self) -> int:
        return len(self.staff_ids)

    def eligible(self, month: str) -> np.ndarray:
        """Positions of the auditors active for the whole month (contract §3)."""
        first, last = first_day(month).toordinal(), last_day(month).toordinal()
        mask = self.is_auditor & (self.active_from <= first) & (self.active_to >= last)
        return np.flatnonzero(mask)

    def auditors(self) -> np.ndarray:
        return np.flatnonzero(self.is_auditor)

    def columns(self) -> dict[str, list[object]]:
        """The staff table's columns (contract §3): Python values, dates as day ordinals,
        None where open-ended."""
        numbers = [staff_id[1:] for staff_id in self.staff_ids]
        ids = np.array([*self.staff_ids, None], dtype=object)  # NONE (-1) picks None
        return {
            "staff_id": list(self.staff_ids),
            "name": [f"Staff {number}" for number in numbers],
            "email": [f"s{number}@council.example" for number in numbers],
            "role": list(self.role),
            "staff_group": list(self.group),
            "service": list(self.service),
            "team": list(self.team),
            "manager_id": ids[np.asarray(self.manager, dtype=np.int64)].tolist(),
            "is_auditor": self.is_auditor.tolist(),
            "can_moderate": self.can_moderate.tolist(),
            "active_from": [None if day == NEVER else day for day in self.active_from.tolist()],
            "active_to": [None if day == FOREVER else day for day in self.active_to.tolist()],
        }


class _Builder:
    """Appends people; a manager is always added before the people they manage."""

    def __init__(self) -> None:
        self.role: list[str] = []
        self.group: list[str] = []
        self.service: list[str] = []
        self.team: list[str | None] = []
        self.manager: list[int] = []

    def add(self, role: str, group: str, service: str, team: str | None, manager: int) -> int:
        self.role.append(role)
        self.group.append(group)
        self.service.append(service)
        self.team.append(team)
        self.manager.append(manager)
        return len(self.role) - 1


def build_organisation(spec: PresetSpec, rng: np.random.Generator, month: str) -> Organisation:
    """The department of a preset, with a few starters and leavers around ``month``."""
    people = _Builder()
    shares = np.array([SERVICE_SHARE[s] for s in spec.services])
    per_service = np.round(spec.practitioners * shares / shares.sum()).astype(int)
    teams = [max(1, round(n / ((MIN_TEAM + MAX_TEAM) / 2))) for n in per_service]
    group_managers = [math.ceil(t / TEAMS_PER_GROUP_MANAGER) for t in teams]
    auditing_heads = [math.ceil(g / GROUP_MANAGERS_PER_HEAD) for g in group_managers]
    # The first (largest) service has two heads of service at least, the second one a
    # job share or interim cover who does not audit: the contract's "lowest staff_id
    # active on the 1st" then decides which one a re-audit names, and every one of them
    # is told of the break cap (contract §3–5, issue 13).
    heads = [max(auditing_heads[0], 2), *auditing_heads[1:]]
    n_heads = sum(heads)
    n_directors = 1 if n_heads <= 2 else max(2, math.ceil(n_heads / HEADS_PER_DIRECTOR))

    directors = [
        people.add("assistant_director", "csc", DIRECTORATE, None, NONE) for _ in range(n_directors)
    ]
    lead = people.add("strategic_lead_ipq", "pq", PQ_SERVICE, None, NONE)
    auditors: list[int] = []
    practitioners: list[int] = []
    head_number = 0
    for service, n_practitioners, n_teams, n_gms, n_heads_here, n_auditing_heads in zip(
        spec.services, per_service, teams, group_managers, heads, auditing_heads, strict=True
    ):
        service_heads = []
        for _ in range(n_heads_here):
            director = directors[head_number * n_directors // n_heads]
            service_heads.append(people.add("head_of_service", "csc", service, None, director))
            head_number += 1
        gms = [
            people.add(
                "group_manager", "csc", service, None, service_heads[g * n_heads_here // n_gms]
            )
            for g in range(n_gms)
        ]
        auditors += service_heads[:n_auditing_heads] + gms
        sizes = _team_sizes(int(n_practitioners), n_teams, rng)
        for t in range(n_teams):
            team = f"Team {t + 1}"
            manager = people.add("team_manager", "csc", service, team, gms[t * n_gms // n_teams])
            auditors.append(manager)
            role = PRACTITIONER_ROLE[service]
            practitioners += [
                people.add(role, "csc", service, team, manager) for _ in range(int(sizes[t]))
            ]

    n_iros = max(2, round(IRO_SHARE * len(practitioners)))
    n_iro_managers = math.ceil(n_iros / IROS_PER_MANAGER)
    iro_managers = [
        people.add("team_manager", "pq", PQ_SERVICE, f"IRO Team {j + 1}", lead)
        for j in range(n_iro_managers)
    ]
    iros = [
        people.add(
            "iro",
            "pq",
            PQ_SERVICE,
            f"IRO Team {i * n_iro_managers // n_iros + 1}",
            iro_managers[i * n_iro_managers // n_iros],
        )
        for i in range(n_iros)
    ]
    n_pq = max(2, round(spec.practitioners / PRACTITIONERS_PER_PQ_OFFICER))
    officers = [people.add("pq_officer", "pq", PQ_SERVICE, QA_TEAM, lead) for _ in range(n_pq)]
    auditors += iro_managers + officers
    # One assistant director and the strategic lead audit too: the two roles that agree
    # exemptions (§4) then ask for their own, which only someone else may agree. The
    # auditing director sits with the largest service (no team): alone in the
    # directorate, they would be a service of one auditor, whose break cap
    # floor(max_service_break_fraction × 1) is 0, and plan-breaks could never give them
    # the two breaks §2 promises.
    people.service[directors[-1]] = spec.services[0]
    auditors += [directors[-1], lead]
    # Fill up to the preset's auditor count: IROs first (they audit in many councils),
    # then more P&Q officers. One set of the starters added below is eligible in the
    # target month on top of these, so it is counted in.
    moves = max(1, round(0.01 * spec.auditors))
    shortfall = spec.auditors - len(auditors) - moves
    if shortfall > 0:
        auditing_iros = rng.permutation(iros)[:shortfall].tolist()
        auditors += sorted(auditing_iros)
        shortfall -= len(auditing_iros)
    officers += [
        people.add("pq_officer", "pq", PQ_SERVICE, QA_TEAM, lead) for _ in range(shortfall)
    ]
    auditors += officers[n_pq:]

    n = len(people.role)
    active_from = np.full(n, NEVER, dtype=np.int64)
    active_to = np.full(n, FOREVER, dtype=np.int64)
    # Leavers whose last day falls inside the target month (not eligible in it).
    leavable = [a for a in auditors if people.role[a] in ("team_manager", "pq_officer")]
    for a in rng.choice(leavable, size=moves, replace=False):
        active_to[a] = first_day(month).toordinal() + int(rng.integers(4, 24))
    # Starters: one set joined during the history, one just before the target month
    # (eligible in it), one during it (not eligible yet). New P&Q officers manage no one,
    # so the tree above every case stays the same in every month.
    for earliest, latest in ((-11, -2), (-1, -1), (0, 0)):
        for _ in range(moves):
            start_month = add_months(month, int(rng.integers(earliest, latest + 1)))
            day = first_day(start_month).toordinal() + int(rng.integers(1, 20))
            officer = people.add("pq_officer", "pq", PQ_SERVICE, QA_TEAM, lead)
            auditors.append(officer)
            active_from = np.append(active_from, day)
            active_to = np.append(active_to, FOREVER)

    n = len(people.role)
    is_auditor = np.zeros(n, dtype=bool)
    is_auditor[auditors] = True
    can_moderate = np.isin(
        np.array(people.role), ("head_of_service", "assistant_director", "strategic_lead_ipq")
    )
    numbers = rng.permutation(n) + 1
    width = max(4, len(str(n)))
    staff_ids = [f"S{number:0{width}d}" for number in numbers.tolist()]
    team_numbers: dict[tuple[str, str], int] = {}
    team_key = [
        NONE if team is None else team_numbers.setdefault((service, team), len(team_numbers))
        for service, team in zip(people.service, people.team, strict=True)
    ]
    chain: list[tuple[int, ...]] = []
    for person, manager in enumerate(people.manager):
        chain.append((person, *chain[manager]) if manager != NONE else (person,))
    return Organisation(
        staff_ids=staff_ids,
        role=people.role,
        group=people.group,
        service=people.service,
        team=people.team,
        manager=people.manager,
        team_key=team_key,
        is_auditor=is_auditor,
        can_moderate=can_moderate,
        active_from=active_from,
        active_to=active_to,
        chain=chain,
        practitioners=np.array(practitioners, dtype=np.int64),
        iros=np.array(iros, dtype=np.int64),
        strategic_lead=lead,
        assistant_directors=directors,
    )


def _team_sizes(practitioners: int, teams: int, rng: np.random.Generator) -> list[int]:
    """Team sizes of five to seven that add up to the service's practitioners."""
    sizes = np.full(teams, practitioners // teams)
    sizes[rng.choice(teams, size=practitioners % teams, replace=False)] += 1
    for _ in range(teams):  # shuffle people between teams so sizes vary
        give, take = rng.integers(0, teams, size=2)
        if sizes[give] > MIN_TEAM and sizes[take] < MAX_TEAM:
            sizes[give] -= 1
            sizes[take] += 1
    return sizes.tolist()
