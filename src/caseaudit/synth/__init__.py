"""Synthetic authorities for demos, tests and benchmarks: ``generate_tables``."""

from caseaudit.synth.generate import (
    CONFLICT_REASONS,
    DEFAULT_MONTH,
    DOMAINS,
    PRESETS,
    PresetSpec,
    generate_tables,
)

__all__ = [
    "CONFLICT_REASONS",
    "DEFAULT_MONTH",
    "DOMAINS",
    "PRESETS",
    "PresetSpec",
    "generate_tables",
]
