"""One auditor per case, nobody twice: how the generator fills its ledger and proves that
the target month can be allocated.

Greedy first, in the pool's order (fewest audits this year first, so the ledger stays
fair), then augmenting paths for the few cases greedy strands. Conflicts are sparse (a
case rules out its own team and management line), so greedy almost always finishes and
the pool is never turned into a dense case × auditor matrix.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence

UNMATCHED = -1
#: Above this many case × auditor checks, stranded cases are dropped instead of rescued.
AUGMENT_LIMIT = 2_000_000


def match_cases(
    n_cases: int,
    pool: Sequence[int],
    conflicted: Callable[[int, int], bool],
    preferred: Sequence[int] | None = None,
) -> list[int]:
    """The auditor of each case (``UNMATCHED`` if none could be found).

    ``conflicted(case, auditor)`` says a pair is forbidden; ``preferred[case]`` is tried
    first (the original auditor of a re-audit), when it is in the pool and still free.
    """
    match = [UNMATCHED] * n_cases
    owner: dict[int, int] = {}
    in_pool = set(pool)
    skipped: list[int] = []  # auditors passed over for a conflict, still free, in order
    cursor = 0
    for case in range(n_cases):
        wanted = preferred[case] if preferred is not None else UNMATCHED
        if wanted in in_pool and wanted not in owner and not conflicted(case, wanted):
            match[case], owner[wanted] = wanted, case
            continue
        skipped = [a for a in skipped if a not in owner]
        chosen = next((a for a in skipped if not conflicted(case, a)), UNMATCHED)
        if chosen != UNMATCHED:
            skipped.remove(chosen)
        while chosen == UNMATCHED and cursor < len(pool):
            auditor = pool[cursor]
            cursor += 1
            if auditor in owner:
                continue
            if conflicted(case, auditor):
                skipped.append(auditor)
            else:
                chosen = auditor
        if chosen != UNMATCHED:
            match[case], owner[chosen] = chosen, case
    stranded = [case for case in range(n_cases) if match[case] == UNMATCHED]
    if stranded and n_cases * len(pool) <= AUGMENT_LIMIT:
        _augment(stranded, pool, conflicted, match, owner)
    return match


def _augment(
    stranded: list[int],
    pool: Sequence[int],
    conflicted: Callable[[int, int], bool],
    match: list[int],
    owner: dict[int, int],
) -> None:
    """Kuhn's augmenting paths (breadth first), from each stranded case in turn."""
    candidates: dict[int, list[int]] = {}

    def options(case: int) -> list[int]:
        if case not in candidates:
            candidates[case] = [a for a in pool if not conflicted(case, a)]
        return candidates[case]

    for start in stranded:
        reached_from: dict[int, int] = {}  # auditor → the case whose search reached them
        queue = deque([start])
        seen = {start}
        while queue:
            case = queue.popleft()
            free = UNMATCHED
            for auditor in options(case):
                if auditor in reached_from:
                    continue
                reached_from[auditor] = case
                holder = owner.get(auditor)
                if holder is None:
                    free = auditor
                    break
                if holder not in seen:
                    seen.add(holder)
                    queue.append(holder)
            if free != UNMATCHED:
                auditor = free
                while True:  # flip the path back to the start
                    case = reached_from[auditor]
                    previous = match[case]
                    match[case], owner[auditor] = auditor, case
                    if case == start:
                        break
                    auditor = previous
                break
