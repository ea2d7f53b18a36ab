"""The outputs of ``draw-sample`` (issue 21), each declared once like every output table
(``model.outputs``): ``sample``, ``strata`` and ``excluded``, beside ``manifest.json``."""

from __future__ import annotations

from caseaudit.model.outputs import OUTPUT_TABLES, OutputColumn, OutputTable, _columns

COMMANDS = ("draw-sample",)

SAMPLE_TABLES: tuple[OutputTable, ...] = (
    OutputTable(
        "sample",
        _columns(
            "case_id",
            "month:month",
            "subject_id",
            "case_type",
            "service",
            "team",
            "allocated_worker_id",
            "team_manager_id",
            "iro_id",
            "stratum",
            "inclusion_probability:float",
            "drawn_rank:int",
        ),
        "(`draw-sample`) the month's drawn cases with the `cases` columns, ready to append "
        "to cases.csv, plus the stratum, its inclusion probability (drawn ÷ eligible) and "
        "the case's place in its stratum's random order",
        commands=COMMANDS,
    ),
    OutputTable(
        "strata",
        _columns(
            "stratum",
            "open:int",
            "excluded:int",
            "eligible:int",
            "share:float",
            "drawn:int",
            "year_to_date_share:float",
            "year_to_date_drawn:int",
        ),
        "(`draw-sample`) per stratum: open cases, excluded, eligible, its proportional "
        "share, drawn (controlled rounding), and the audit year to date; one column per "
        "stratum variable",
        commands=COMMANDS,
        family=OutputColumn("<stratum variable>", "text"),
    ),
    OutputTable(
        "excluded",
        _columns("case_id", "reason"),
        "(`draw-sample`) every open case that may not be drawn this month and why (closed "
        "cases are not listed)",
        commands=COMMANDS,
    ),
)
OUTPUT_TABLES.update({table.name: table for table in SAMPLE_TABLES})
