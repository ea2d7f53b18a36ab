"""``caseaudit serve`` (issue 25): the security rules through Starlette's TestClient
(fast), then a whole month in Debian's Chromium driven by Playwright on the median
preset: the hand-off downloaded from the page is byte for byte the CLI's, a "why not"
answer is ``explain --json``'s, a re-plan follows an exemption entered in the form, and
the page asks nothing of any host but 127.0.0.1 and logs no console error.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

pytest.importorskip("starlette", reason="caseaudit[web] is not installed")
from starlette.testclient import TestClient

from caseaudit.io.folders import write_folder
from caseaudit.web import create_app
from caseaudit.web.runs import AlreadyRunning, Runs
from caseaudit.web.security import COOKIE, Secret
from workbooks import csv_folder_as_workbooks

CHROMIUM = Path("/usr/bin/chromium")
MONTH = "2026-03"


def caseaudit(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from caseaudit.cli.main import main; main()", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def median(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The median preset, seed 0, as ``caseaudit generate`` writes it."""
    data = tmp_path_factory.mktemp("serve") / "data"
    done = caseaudit("generate", "--preset", "median", "--seed", "0", "--out", data)
    assert done.returncode == 0, done.stderr
    return data


# ------------------------------------------------------------------ the security rules


@pytest.fixture
def tiny(tmp_path: Path) -> tuple[TestClient, Secret, Path]:
    """A server over an empty data folder: enough for the rules that come before data.
    ``follow_redirects`` off so each answer is seen as sent."""
    data = tmp_path / "data"
    data.mkdir()
    secret = Secret()
    app = create_app(data, secret=secret)
    return TestClient(app, follow_redirects=False), secret, tmp_path / "caseaudit-runs"


def test_every_page_without_the_token_is_403(tiny: tuple[TestClient, Secret, Path]) -> None:
    client, _secret, _runs = tiny
    for path in ("/", "/data", "/month/2026-03", "/why.json?run=x&case=y", "/nowhere"):
        assert client.get(path).status_code == 403, path
    # A wrong token, in the query or as the cookie, is no token.
    assert client.get("/data?token=guess").status_code == 403
    client.cookies.set(COOKIE, "guess")
    assert client.get("/data").status_code == 403


def test_the_token_becomes_a_strict_httponly_cookie(
    tiny: tuple[TestClient, Secret, Path],
) -> None:
    client, secret, _runs = tiny
    first = client.get(f"/month/2026-03?token={secret.token}&service=x")
    # Redirected to the same page without the token in the address bar.
    assert first.status_code == 303
    assert first.headers["location"] == "/month/2026-03?service=x"
    cookie = first.headers["set-cookie"]
    assert f"{COOKIE}={secret.token}" in cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    # The cookie alone now opens a page; an unknown path is then 404, not 403.
    assert client.get("/nowhere").status_code == 404
    # The stylesheet holds no data and is served to anyone.
    assert TestClient(client.app).get("/static/serve.css").status_code == 200


def test_a_post_without_the_csrf_token_is_refused(
    tiny: tuple[TestClient, Secret, Path],
) -> None:
    client, secret, runs = tiny
    client.cookies.set(COOKIE, secret.token)
    for form in ({}, {"csrf": "guess"}, {"csrf": secret.token}):  # the access token is not it
        answer = client.post("/month/2026-03/allocate", data=form)
        assert answer.status_code == 403, form
    assert client.post("/changes", data={"run": "x"}).status_code == 403
    assert client.post("/report", data={"value": "2026-02-28"}).status_code == 403
    assert not runs.exists()  # nothing was started


def test_a_large_body_is_refused(tiny: tuple[TestClient, Secret, Path]) -> None:
    client, secret, _runs = tiny
    client.cookies.set(COOKIE, secret.token)
    answer = client.post("/changes", data={"csrf": secret.csrf, "x": "a" * 70_000})
    assert answer.status_code == 413


def test_downloads_only_listed_files_of_the_servers_runs(
    tiny: tuple[TestClient, Secret, Path], tmp_path: Path
) -> None:
    client, secret, runs = tiny
    client.cookies.set(COOKIE, secret.token)

    def fill(folder: Path) -> None:
        (folder / "allocations.csv").write_text("case_id\nC1\n")

    # A run as the server writes it (its manifest says "serve"), and a caseaudit folder
    # the server did not make (an allocate's output the user put there).
    write_folder(runs / "2026-03-allocate-001", False, "output", fill, {"serve": {}})
    write_folder(runs / "2026-03-allocate-002", False, "output", fill, {})
    (runs / "2026-03-allocate-001" / "notes.txt").write_text("the user's own file")
    (tmp_path / "secret.txt").write_text("outside the runs")

    ok = client.get("/runs/2026-03-allocate-001/files/allocations.csv")
    assert ok.status_code == 200 and ok.text == "case_id\nC1\n"
    refused = [
        "/runs/2026-03-allocate-001/files/notes.txt",  # not in the manifest's list
        "/runs/2026-03-allocate-002/files/allocations.csv",  # not the server's run
        "/runs/2026-03-allocate-001/files/..%2F..%2Fsecret.txt",
        "/runs/..%2Fcaseaudit-runs%2F2026-03-allocate-001/files/allocations.csv",
        "/runs/2026-03-allocate-001/files/%2E%2E",
        "/runs/../secret.txt",
        "/runs/2026-03-allocate-009/zip",
        "/runs/2026-03-allocate-002/zip",
    ]
    for path in refused:
        assert client.get(path).status_code == 404, path


def test_two_presses_make_one_run_and_an_already_running(tmp_path: Path) -> None:
    """The first action holds the server until it finishes; a second press meanwhile is
    AlreadyRunning (no second writer); once done, the next press gets the next id."""
    (tmp_path / "data").mkdir()
    runs = Runs(tmp_path / "caseaudit-runs", tmp_path / "data")
    release = threading.Event()

    def slow(run_dir: Path, stage: object) -> None:
        release.wait(30)
        write_folder(run_dir, False, "output", lambda f: None, {"serve": {}})

    first = runs.start(MONTH, "allocate", slow)
    with pytest.raises(AlreadyRunning) as busy:
        runs.start(MONTH, "allocate", slow)
    assert busy.value.job.run_id == first.run_id == f"{MONTH}-allocate-001"
    release.set()
    for _ in range(300):
        if first.done:
            break
        time.sleep(0.1)
    assert first.done and not first.errors
    second = runs.start(MONTH, "allocate", slow)
    assert second.run_id == f"{MONTH}-allocate-002"


def test_runs_are_never_written_inside_the_data_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    secret = Secret()
    client = TestClient(create_app(data, data / "runs", secret), follow_redirects=False)
    client.cookies.set(COOKIE, secret.token)
    answer = client.post("/month/2026-03/allocate", data={"csrf": secret.csrf})
    assert answer.status_code == 409
    assert "inside the input folder" in answer.text
    assert list(data.iterdir()) == []


# ------------------------------------------------------------------ a month in Chromium

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"{CHROMIUM} is absent (Debian's chromium; .ci/run installs it)",
)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(median: Path) -> Iterator[tuple[str, Secret, Path]]:
    """The app served by uvicorn in a thread on a free 127.0.0.1 port."""
    import uvicorn

    secret = Secret()
    runs = median.parent / "caseaudit-runs"
    app = create_app(median, runs, secret)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if uv.started:
            break
        time.sleep(0.05)
    assert uv.started
    yield f"http://127.0.0.1:{port}", secret, runs
    uv.should_exit = True
    thread.join(10)


#: Whether the page fits its width, and the form controls without a label.
FITS_AND_LABELLED = """() => {
  const controls = document.querySelectorAll('input:not([type=hidden]), select, textarea');
  const unlabelled = [...controls]
    .filter(c => c.labels.length === 0 && !c.getAttribute('aria-label')
                 && !c.getAttribute('aria-labelledby'))
    .map(c => c.outerHTML.slice(0, 80));
  return [document.documentElement.scrollWidth <= window.innerWidth, unlabelled];
}"""


def fits_and_labelled(page: Any) -> tuple[bool, list[str]]:
    fits, unlabelled = page.evaluate(FITS_AND_LABELLED)
    return bool(fits), list(unlabelled)


@needs_chromium
def test_a_month_in_the_browser(server: tuple[str, Secret, Path], median: Path) -> None:
    from playwright.sync_api import sync_playwright

    base, secret, runs = server
    cli_out = median.parent / "cli-allocate"
    done = caseaudit("allocate", median, "--month", MONTH, "--out", cli_out)
    assert done.returncode == 0, done.stderr

    before = snapshot(median)
    requests: list[str] = []
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        context = browser.new_context(accept_downloads=True)
        page = context.new_page()
        page.on("request", lambda request: requests.append(request.url))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))

        # The data page: valid, the tables and the month to open.
        page.goto(f"{base}/data?token={secret.token}")
        assert page.url == f"{base}/data"  # the token left the address bar for a cookie
        assert page.get_by_role("status").inner_text().startswith("valid")
        page.get_by_role("link", name=MONTH).click()

        # The month: allocate, wait on the status page, land on the plan.
        page.get_by_role("button", name=f"Allocate {MONTH}").click()
        page.wait_for_url(re.compile(r".*/month/2026-03\?run=.*allocate.*"), timeout=300_000)
        run_id = page.url.split("run=")[1]
        assert page.locator("#allocations tbody tr").count() == len(
            pd.read_csv(cli_out / "allocations.csv")
        )
        plan_url = page.url
        # A phone (390 px) and a 1280 px screen at 200% zoom (640 CSS px): the page never
        # scrolls sideways (wide tables scroll in their own box), and every control
        # has a label a screen reader reads.
        for width in (390, 640):
            page.set_viewport_size({"width": width, "height": 844})
            page.goto(plan_url)
            assert fits_and_labelled(page) == (True, []), width
            page.goto(f"{base}/changes?run={run_id}")
            assert fits_and_labelled(page) == (True, []), width
        page.set_viewport_size({"width": 1280, "height": 720})
        page.goto(plan_url)
        if os.environ.get("CASEAUDIT_SCREENSHOT"):  # docs/serve.png for the README
            page.set_viewport_size({"width": 1280, "height": 900})
            page.screenshot(path=os.environ["CASEAUDIT_SCREENSHOT"])

        # The hand-off, downloaded as the user would: byte for byte the CLI's.
        with page.expect_download() as download:
            page.locator("#handoff").click()
        handed = Path(download.value.path()).read_bytes()
        assert handed == (cli_out / "allocations.csv").read_bytes()

        # A filter is the server's: only the chosen auditor's rows come back.
        first = pd.read_csv(cli_out / "allocations.csv", dtype=str).iloc[0]
        page.select_option("#f-auditor_id", first["auditor_id"])
        page.get_by_role("button", name="Filter").click()
        shown = page.locator("#allocations tbody tr td:nth-child(4)").all_inner_texts()
        assert shown and set(shown) == {first["auditor_id"]}

        # "Why not auditor X" for the first case: the JSON the page embeds is the CLI's.
        staff = pd.read_csv(median / "staff.csv", dtype=str)
        other = next(
            s
            for s in staff.loc[staff["is_auditor"] == "true", "staff_id"]
            if s != first["auditor_id"]
        )
        row = page.locator("#allocations tbody tr").first
        row.locator("select").select_option(other)
        row.get_by_role("button", name="Ask").click()
        page.wait_for_selector("#summary")
        embedded = json.loads(page.locator("#answer").text_content() or "")
        cli_why = caseaudit(
            "explain", median, "--month", MONTH, "--case", first["case_id"],
            "--auditor", other, "--previous", runs / run_id, "--json",
        )  # fmt: skip
        assert cli_why.returncode == 0, cli_why.stderr
        assert embedded == json.loads(cli_why.stdout)

        # Changes: an exemption of the first case's auditor, approved by an assistant
        # director (§4: the auditor is csc staff), then the re-plan.
        auditor_group = staff.set_index("staff_id").loc[first["auditor_id"], "staff_group"]
        approver_role = {"csc": "assistant_director", "pq": "strategic_lead_ipq"}[auditor_group]
        approver = staff.loc[
            (staff["role"] == approver_role) & (staff["staff_id"] != first["auditor_id"]),
            "staff_id",
        ].iloc[0]
        page.goto(f"{base}/changes?run={run_id}")
        page.select_option("#case_id", first["case_id"])
        page.select_option("#auditor_id", first["auditor_id"])
        page.fill("#requested_on", "2026-03-03")
        page.select_option("#decision", "approved")
        page.fill("#decided_by", approver)
        page.fill("#decided_on", "2026-03-04")
        page.get_by_role("button", name="Record and re-plan").click()
        page.wait_for_url(re.compile(r".*/month/2026-03\?run=.*reallocate.*"), timeout=300_000)
        replan = page.url.split("run=")[1]
        changes = pd.read_csv(runs / replan / "changes.csv", dtype=str)
        moved = changes[changes["case_id"] == first["case_id"]]
        # The exempted auditor no longer has the case, and the page shows the move.
        assert len(moved) == 1
        assert moved.iloc[0]["previous_auditor_id"] == first["auditor_id"]
        assert moved.iloc[0]["new_auditor_id"] != first["auditor_id"]
        assert first["case_id"] in page.locator("#changes").inner_text()
        # The data folder is as generate wrote it: the exemption lives in the run.
        assert snapshot(median) == before
        assert (runs / replan / "exemptions_added.csv").exists()

        # A request for a file outside the runs, from the browser with its cookie.
        outside = context.request.get(f"{base}/runs/{run_id}/files/..%2F..%2Fdata%2Fstaff.csv")
        assert outside.status == 404
        browser.close()

    assert requests and all(url.startswith(f"{base}/") for url in requests)
    assert errors == []


def test_the_data_page_shows_validates_messages_located(median: Path, tmp_path: Path) -> None:
    """A bad date on exemptions.csv's last line (the row appended below) is shown with
    its file, line and column, as ``validate`` says it."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(median, data)
    with (data / "exemptions.csv").open("a", encoding="utf-8") as exemptions:
        exemptions.write("C0000022,2026-03,S0074,not-a-date,approved,S0134,2026-03-04\n")
    line = len((data / "exemptions.csv").read_text(encoding="utf-8").splitlines())
    secret = Secret()
    client = TestClient(create_app(data, tmp_path / "runs", secret))
    client.cookies.set(COOKIE, secret.token)
    cli = caseaudit("validate", data)
    assert cli.returncode == 2
    page = client.get("/data").text
    row = f"<tr><td>exemptions.csv</td><td>{line}</td><td>requested_on</td><td>"
    assert row in page
    assert "expected a date, got &#39;not-a-date&#39;" in page
    assert f"exemptions.csv:{line}: requested_on: expected a date, got 'not-a-date'" in cli.stderr


# ------------------------------------------------------------------ changes, downloads, notices


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small preset, seed 0: a month that allocates in seconds."""
    data = tmp_path_factory.mktemp("serve-small") / "data"
    done = caseaudit("generate", "--preset", "small", "--seed", "0", "--out", data)
    assert done.returncode == 0, done.stderr
    return data


def finished(client: TestClient, answer: object) -> str:
    """The run id an action's 303 names, once its job is done without errors."""
    location = answer.headers["location"]  # type: ignore[attr-defined]
    match = re.match(r"^/runs/([^/]+)/status$", location)
    assert match, location
    run_id = match.group(1)
    job = client.app.state.runs.jobs[run_id]  # type: ignore[attr-defined]
    for _ in range(1200):
        if job.done:
            break
        time.sleep(0.1)
    assert job.done and not job.errors, job.errors
    return run_id


@pytest.fixture(scope="module")
def planned(
    small: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[TestClient, Secret, Path, str]:
    """A server over the small preset with the month allocated once."""
    secret = Secret()
    runs = tmp_path_factory.mktemp("serve-small-runs") / "caseaudit-runs"
    client = TestClient(create_app(small, runs, secret), follow_redirects=False)
    client.cookies.set(COOKIE, secret.token)
    run_id = finished(client, client.post(f"/month/{MONTH}/allocate", data={"csrf": secret.csrf}))
    return client, secret, runs, run_id


def test_a_runs_page_lists_its_stages_as_the_terminal_does(
    planned: tuple[TestClient, Secret, Path, str],
) -> None:
    """The allocate run told the API's stages (issue 24) to its job as they started:
    reading the tables comes before checking them, checking before solving, and the
    run's page lists them in that order with the seconds since the run started."""
    client, _secret, _runs, run_id = planned
    told = [name for name, _seconds in client.app.state.runs.jobs[run_id].stages]  # type: ignore[attr-defined]
    assert [name for name in told if name in ("reading", "checking", "solving")] == [
        "reading",
        "checking",
        "solving",
    ]
    assert told[-2:] == ["writing", "done"]
    page = client.get(f"/runs/{run_id}").text
    listed = re.findall(r'<li data-stage="([a-z]+)"><span class="seconds">[0-9.]+s</span>', page)
    assert listed == told
    assert "reading the input tables" in page and "solving" in page


def test_a_workbook_uploaded_on_the_data_page_becomes_the_data(small: Path, tmp_path: Path) -> None:
    """The small preset as one caseaudit.xlsx, uploaded on the Data page: checked,
    saved in a run folder of the server's (never the data folder), and from then on the
    data page lists the workbook's tables with their rows, the same counts as the CSVs.
    A file that is no workbook is refused, and the data folder stays as it was."""
    empty = tmp_path / "data"
    empty.mkdir()
    csv_folder_as_workbooks(small, tmp_path / "book", combined=True)
    secret = Secret()
    runs = tmp_path / "caseaudit-runs"
    client = TestClient(create_app(empty, runs, secret), follow_redirects=False)
    client.cookies.set(COOKIE, secret.token)
    assert 'action="/data/upload"' in client.get("/data").text

    refused = client.post(
        "/data/upload",
        data={"csrf": secret.csrf},
        files={"workbook": ("caseaudit.xlsx", b"case_id\nC1\n")},
    )
    assert refused.status_code == 400 and "caseaudit.xlsx" in refused.text
    assert not runs.exists()
    no_csrf = client.post("/data/upload", files={"workbook": ("caseaudit.xlsx", b"PK\x03\x04")})
    assert no_csrf.status_code == 403

    workbook = (tmp_path / "book" / "caseaudit.xlsx").read_bytes()
    answer = client.post(
        "/data/upload",
        data={"csrf": secret.csrf},
        files={"workbook": ("caseaudit.xlsx", workbook)},
    )
    run_id = finished(client, answer)
    assert (runs / run_id / "caseaudit.xlsx").read_bytes() == workbook
    assert list(empty.iterdir()) == []
    page = client.get("/data").text
    for name in ("staff", "cases"):
        rows = len(pd.read_csv(small / f"{name}.csv", dtype=str))
        assert f"<tr><td>{name}</td><td>{rows}</td></tr>" in page, name
    assert f"Data folder: <code>{runs / run_id}</code>" in page
    assert f'href="/month/{MONTH}"' in page


def test_an_uploaded_workbook_with_a_problem_changes_nothing(small: Path, tmp_path: Path) -> None:
    """A staff row whose active_from is 'soon' is no date (contract §3, staff): the
    upload's run stops with the located message on its status page, no run folder is
    written, and the data folder stays the one the server was started on."""
    data = tmp_path / "data"
    data.mkdir()
    csv_folder_as_workbooks(
        small, tmp_path / "book", combined=True, cells={("staff", 2, "active_from"): "soon"}
    )
    secret = Secret()
    runs = tmp_path / "caseaudit-runs"
    client = TestClient(create_app(data, runs, secret), follow_redirects=False)
    client.cookies.set(COOKIE, secret.token)
    answer = client.post(
        "/data/upload",
        data={"csrf": secret.csrf},
        files={"workbook": ("caseaudit.xlsx", (tmp_path / "book" / "caseaudit.xlsx").read_bytes())},
    )
    run_id = answer.headers["location"].split("/")[2]
    job = client.app.state.runs.jobs[run_id]  # type: ignore[attr-defined]
    for _ in range(600):
        if job.done:
            break
        time.sleep(0.1)
    assert job.done and job.errors
    status = client.get(f"/runs/{run_id}/status").text
    assert "nothing was written" in status
    # Located as validate locates a workbook's cell: the sheet and the cell (K is active_from).
    assert job.errors[0].startswith(
        "caseaudit.xlsx:staff!K2: active_from: expected a date, got 'soon'"
    ), job.errors
    assert not (runs / run_id).exists()
    assert f"Data folder: <code>{data}</code>" in client.get("/data").text


def test_a_leaver_entered_in_the_form_moves_their_audits(
    planned: tuple[TestClient, Secret, Path, str], small: Path
) -> None:
    """An auditor whose last day is 2026-03-10 is not active the whole of March, so is
    no auditor of it (contract §3, staff): every audit they had in the plan moves to
    another auditor, and the page says which moved and why."""
    client, secret, runs, run_id = planned
    allocations = pd.read_csv(runs / run_id / "allocations.csv", dtype=str)
    leaver = allocations["auditor_id"].value_counts().index[0]
    theirs = set(allocations.loc[allocations["auditor_id"] == leaver, "case_id"])
    before = snapshot(small)

    form = {"csrf": secret.csrf, "run": run_id, "change": "leaver", "staff_id": leaver}
    # A last day that is no date is refused, located, and nothing runs.
    refused = client.post("/changes", data={**form, "active_to": "soon"})
    assert refused.status_code == 400
    assert "The leaver was not recorded" in refused.text
    assert "active_to" in refused.text and "&#39;soon&#39;" in refused.text

    replan = finished(client, client.post("/changes", data={**form, "active_to": "2026-03-10"}))
    changes = pd.read_csv(runs / replan / "changes.csv", dtype=str)
    moved = changes[changes["previous_auditor_id"] == leaver]
    assert set(moved["case_id"]) == theirs
    assert (moved["new_auditor_id"] != leaver).all()
    after = pd.read_csv(runs / replan / "allocations.csv", dtype=str)
    assert leaver not in set(after["auditor_id"])
    # The plan's page shows the moves; the leaver is a file of the run, not of the data.
    page = client.get(f"/month/{MONTH}?run={replan}").text
    assert all(case in page for case in theirs)
    assert pd.read_csv(runs / replan / "leavers_added.csv", dtype=str).to_dict("records") == [
        {"staff_id": leaver, "active_to": "2026-03-10"}
    ]
    assert snapshot(small) == before


def test_the_download_pages_offer_the_workbook(
    planned: tuple[TestClient, Secret, Path, str],
) -> None:
    """allocate writes allocations.xlsx and lists it in the manifest's files: the plan
    and the run's page link it, and the download is the run's file byte for byte."""
    client, _secret, runs, run_id = planned
    link = f'href="/runs/{run_id}/files/allocations.xlsx"'
    assert link in client.get(f"/month/{MONTH}?run={run_id}").text
    assert link in client.get(f"/runs/{run_id}").text
    workbook = client.get(f"/runs/{run_id}/files/allocations.xlsx")
    assert workbook.status_code == 200
    assert workbook.content == (runs / run_id / "allocations.xlsx").read_bytes()
    assert workbook.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert f'filename="{run_id}-allocations.xlsx"' in workbook.headers["content-disposition"]


@pytest.fixture(scope="module")
def notified(planned: tuple[TestClient, Secret, Path, str]) -> str:
    """The notices due on 2026-03-02 for the plan, made from the Notices page's form."""
    client, secret, _runs, run_id = planned
    form = {"csrf": secret.csrf, "run": run_id, "as_of": "2026-03-02"}
    return finished(client, client.post("/notices", data=form))


def test_the_notices_page_previews_each_message_of_a_notify_run(
    planned: tuple[TestClient, Secret, Path, str], notified: str, small: Path
) -> None:
    """The notices due on 2026-03-02 for the plan, made from the page, are ``notify``'s
    own: each .eml the API renders is in the page as text; without ``[smtp]`` (the
    preset has no config.toml) the page says how to set it and offers no send."""
    from markupsafe import escape

    from caseaudit import api

    client, secret, runs, run_id = planned
    assert 'id="notify"' in client.get(f"/notices?run={run_id}").text
    made = client.post("/notices", data={"csrf": secret.csrf, "run": run_id, "as_of": "soon"})
    assert made.status_code == 400
    assert notified == "2026-03-02-notify-001"
    notify_id = notified
    expected = api.notify(small, "2026-03-02", plan=runs / run_id).messages
    assert expected  # the day has notices, so the preview below shows something
    page = client.get(f"/notices?run={notify_id}").text
    for name, message in expected.items():
        assert f"<summary>{name.removeprefix('notices/')}</summary>" in page
        assert str(escape(message.decode())) in page  # as Jinja escapes it
    assert "[smtp]" in page and 'id="send"' not in page
    # A send forced without the page's button is refused by the API, said located.
    sent = client.post("/notices", data={"csrf": secret.csrf, "run": notify_id})
    job = client.app.state.runs.jobs[sent.headers["location"].split("/")[2]]  # type: ignore[attr-defined]
    for _ in range(600):
        if job.done:
            break
        time.sleep(0.1)
    assert job.done and any(line.startswith("config.toml:1: smtp.host:") for line in job.errors)


def test_the_notices_page_offers_send_where_smtp_is_set(
    planned: tuple[TestClient, Secret, Path, str], notified: str, small: Path, tmp_path: Path
) -> None:
    """With ``[smtp]`` host and from in config.toml, the preview of a notify run has the
    send button and no instructions (the same runs, read by a server over a copy)."""
    import shutil

    _client, _secret, runs, _run_id = planned
    notify_id = notified
    data = tmp_path / "data"
    shutil.copytree(small, data)
    (data / "config.toml").write_text('[smtp]\nhost = "127.0.0.1"\nfrom = "audits@example.org"\n')
    secret = Secret()
    client = TestClient(create_app(data, runs, secret))
    client.cookies.set(COOKIE, secret.token)
    page = client.get(f"/notices?run={notify_id}").text
    assert 'id="send"' in page and 'id="smtp"' not in page
