"""Months, audit years and working days (contract §1).

Working days are Monday to Friday except the bank holidays of the configured country
and subdivision (England by default), taken from the ``holidays`` package.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

import holidays
from dateutil.relativedelta import relativedelta

MONTH_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(text: str) -> tuple[int, int]:
    """``"2026-03"`` → ``(2026, 3)``; raises ValueError naming the expected format."""
    match = MONTH_PATTERN.match(text.strip())
    if not match:
        raise ValueError(f"expected a month as YYYY-MM, got {text.strip()!r}")
    return int(match.group(1)), int(match.group(2))


def month_text(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def first_day(month: str) -> dt.date:
    year, mon = parse_month(month)
    return dt.date(year, mon, 1)


def last_day(month: str) -> dt.date:
    year, mon = parse_month(month)
    return dt.date(year, mon, _stdlib_calendar.monthrange(year, mon)[1])


def add_months(month: str, count: int) -> str:
    """Month arithmetic on ``YYYY-MM`` text."""
    shifted = first_day(month) + relativedelta(months=count)
    return month_text(shifted.year, shifted.month)


def month_of(day: dt.date) -> str:
    return month_text(day.year, day.month)


def audit_year_start(month: str, start_month: int) -> str:
    """The first month of the audit year holding ``month``.

    With the default April start, 2027-02 belongs to the audit year 2026-04..2027-03.
    """
    year, mon = parse_month(month)
    start_year = year if mon >= start_month else year - 1
    return month_text(start_year, start_month)


def months_between(first: str, last: str) -> list[str]:
    """All months from ``first`` to ``last`` inclusive (empty when first > last)."""
    months: list[str] = []
    current = first
    while current <= last:
        months.append(current)
        current = add_months(current, 1)
    return months


def reaudit_deadline(confirmed_on: dt.date, within_months: int) -> dt.date:
    """Confirmation date plus whole calendar months (§25): Nov 30 + 2 → Jan 30."""
    return confirmed_on + relativedelta(months=within_months)


def reaudit_month(deadline: dt.date) -> str:
    """The latest month whose last day is on or before the deadline.

    Jan 30 → December (January's last day, the 31st, is after the deadline);
    Feb 28 → February (its last day is the deadline itself).
    """
    candidate = month_of(deadline)
    if last_day(candidate) <= deadline:
        return candidate
    return add_months(candidate, -1)


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days: weekdays that are not bank holidays of ``country``/``subdivision``."""

    country: str = "GB"
    subdivision: str | None = "ENG"

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in _holiday_set(
            self.country, self.subdivision, day.year
        )

    def add_working_days(self, day: dt.date, count: int) -> dt.date:
        """The ``count``-th working day after ``day`` (``day`` itself never counts)."""
        current = day
        remaining = count
        while remaining > 0:
            current += dt.timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def on_or_next_working_day(self, day: dt.date) -> dt.date:
        current = day
        while not self.is_working_day(current):
            current += dt.timedelta(days=1)
        return current

    def first_working_day(self, month: str) -> dt.date:
        return self.on_or_next_working_day(first_day(month))


@lru_cache(maxsize=256)
def _holiday_set(country: str, subdivision: str | None, year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year).keys())
