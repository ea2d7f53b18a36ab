"""The report of the national preset (issues 23, 24): `make test-long`, not `make test`.

At national size the lists run to tens of thousands of rows (33,121 awaiting actions,
20,200 auditors). The page shows each list's first ``SHOWN_ROWS`` and links the CSV
written beside it, which holds every row, so that ``report.html`` stays under 5 MB and
renders fast in Chromium (its time is a figure of `benchmarks/report.py`, not a timed test:
speed is measured in benchmarks). ``tests/test_report.py`` checks the same rule on a
median authority with one list swollen past the threshold, within `make test`.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

import caseaudit
from caseaudit.reporting.html import SHOWN_ROWS
from caseaudit.reporting.monitoring import LIST_NAMES

pytestmark = pytest.mark.long

#: Issue 24: the national page's ceiling.
MAX_PAGE_BYTES = 5_000_000
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def national_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("national") / "report"
    caseaudit.report(caseaudit.generate("national", 0), "2026-02-28").write(out)
    return out


def test_the_national_page_stays_under_5_mb_and_links_every_long_list(
    national_report: Path,
) -> None:
    page = (national_report / "report.html").read_bytes()
    assert len(page) <= MAX_PAGE_BYTES
    text = page.decode("utf-8")
    long_lists = 0
    for name in LIST_NAMES:
        total = len(pd.read_csv(national_report / f"{name}.csv", dtype=str))
        table = re.search(rf'<table class="list" data-table="{name}">.*?</table>', text, re.S)
        assert table is not None, name
        shown = table.group(0).count("<tr>") + table.group(0).count('<tr class="urgent">')
        # The header row is one <tr>; an empty list shows one row saying why.
        assert shown - 1 == (min(total, SHOWN_ROWS) if total else 1), name
        more = f'<p class="more" data-more="{name}">and {total - SHOWN_ROWS:,} more — see '
        assert (more in text) == (total > SHOWN_ROWS), name
        long_lists += total > SHOWN_ROWS
    # The preset does reach the threshold: the rule is exercised, not vacuous.
    assert long_lists >= 3


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed here")
def test_the_national_page_renders_in_chromium_without_an_error(national_report: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        page.goto((national_report / "report.html").as_uri(), wait_until="load")
        errors = page.evaluate("() => document.documentElement.getAttribute('data-errors')")
        browser.close()
    assert errors == "[]"
