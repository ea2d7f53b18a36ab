"""Working days, month arithmetic and re-audit months (contract §1, §4 rule 5)."""

from __future__ import annotations

import datetime as dt

import pytest

from caseaudit.model.calendar import (
    WorkingCalendar,
    audit_year_start,
    reaudit_deadline,
    reaudit_month,
)

ENGLAND = WorkingCalendar()


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@pytest.mark.parametrize(
    ("confirmed", "deadline", "month"),
    [
        # Nov 30 + 2 months = Jan 30; January ends on the 31st, after it: December.
        ("2026-11-30", "2027-01-30", "2026-12"),
        # Dec 31 + 2 months = Feb 28 (2027 is not a leap year); February ends that day.
        ("2026-12-31", "2027-02-28", "2027-02"),
        # Leap year: Dec 31 2027 + 2 = Feb 29 2028, February's last day.
        ("2027-12-31", "2028-02-29", "2028-02"),
        ("2026-01-15", "2026-03-15", "2026-02"),
        ("2026-01-31", "2026-03-31", "2026-03"),
    ],
)
def test_reaudit_month(confirmed, deadline, month):
    assert reaudit_deadline(d(confirmed), 2) == d(deadline)
    assert reaudit_month(d(deadline)) == month


def test_working_days_skip_weekends_and_christmas():
    # 24 Dec 2026 is a Thursday; 25 Dec (Fri) is Christmas, 26-27 the weekend and Boxing
    # Day's substitute is Monday 28 Dec. The 1st working day after 24 Dec is Tuesday 29.
    assert ENGLAND.add_working_days(d("2026-12-24"), 1) == d("2026-12-29")
    assert ENGLAND.add_working_days(d("2026-12-24"), 2) == d("2026-12-30")
    # D itself never counts, even when it is a working day: Friday + 1 = Monday.
    assert ENGLAND.add_working_days(d("2026-11-27"), 1) == d("2026-11-30")
    assert ENGLAND.add_working_days(d("2026-11-27"), 0) == d("2026-11-27")


def test_first_working_day_of_the_month():
    # 1 Jan 2027 is a Friday and a bank holiday: the list goes out on Monday 4 January.
    assert ENGLAND.first_working_day("2027-01") == d("2027-01-04")
    # 1 Mar 2026 is a Sunday.
    assert ENGLAND.first_working_day("2026-03") == d("2026-03-02")
    # Easter Monday 2026 is 6 April; 1 April is a Wednesday.
    assert ENGLAND.first_working_day("2026-04") == d("2026-04-01")


def test_review_meeting_moves_to_the_next_working_day():
    # 28 days after 27 Nov 2026 is Friday 25 Dec: Christmas, then the weekend and the
    # Boxing Day substitute: Tuesday 29 Dec.
    assert ENGLAND.on_or_next_working_day(d("2026-11-27") + dt.timedelta(days=28)) == d(
        "2026-12-29"
    )


def test_scotland_is_configurable():
    # 2 January is a bank holiday in Scotland, not in England. In 2027 it is a Saturday,
    # so Scotland takes Monday 4 January off instead: its next working day is the 5th.
    scotland = WorkingCalendar("GB", "SCT")
    assert scotland.add_working_days(d("2026-12-31"), 1) == d("2027-01-05")
    assert ENGLAND.add_working_days(d("2026-12-31"), 1) == d("2027-01-04")
    assert scotland.first_working_day("2029-01") == d("2029-01-03")
    assert ENGLAND.first_working_day("2029-01") == d("2029-01-02")


@pytest.mark.parametrize(
    ("month", "start"),
    [
        ("2027-02", "2026-04"),
        ("2026-04", "2026-04"),
        ("2026-03", "2025-04"),
        ("2026-12", "2026-04"),
    ],
)
def test_audit_year(month, start):
    assert audit_year_start(month, 4) == start
