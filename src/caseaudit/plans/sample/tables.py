"""The outputs of ``draw-sample`` (issue 21): ``sample``, ``strata`` and ``excluded``,
beside ``manifest.json``; declared once with every other output table in
``caseaudit.model.outputs`` (so that the writer and the README's table of outputs see them
whichever plans a process imports)."""

from __future__ import annotations

from caseaudit.model.outputs import SAMPLE_TABLES

__all__ = ["SAMPLE_TABLES"]
