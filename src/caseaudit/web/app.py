"""``caseaudit serve``: the month run from a browser (issue 25).

Every page shows the API's own answer (``caseaudit.api``: load, draw_sample, allocate,
reallocate, explain, moderate, plan_breaks, report) or the files a run wrote; nothing
is recomputed here. Actions write run folders (``runs.py``); who may use the server is
``security.py``'s rule.
"""

from __future__ import annotations

import datetime as dt
import io
import shlex
import tempfile
import threading
import warnings
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from caseaudit.io.folders import OutputLocationError, write_folder
from caseaudit.model.calendar import MONTH_PATTERN
from caseaudit.model.errors import InputError, InputIssue, InputWarning
from caseaudit.results import STAGES
from caseaudit.web.runs import AlreadyRunning, Runs, Stage
from caseaudit.web.security import (
    CSRF_FIELD,
    UPLOAD_BYTES,
    UPLOAD_PATH,
    Secret,
    TokenMiddleware,
    checked_form,
)

HERE = Path(__file__).parent
#: The pages' own policy: nothing from another origin, no script at all.
PAGE_CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'"
#: report.html is self-contained (inline styles and images, issue 10).
REPORT_CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data:; form-action 'none'"
)
#: Rows of a table shown in a page before "download for the rest".
ROWS_SHOWN = 500
#: The one file an upload may be saved as: the whole data in one workbook (contract §3).
WORKBOOK = "caseaudit.xlsx"
#: What a month's plan may be filtered by (GET query parameters, issue 25).
FILTERS = ("service", "team", "auditor_id")


def script_json(text: str) -> Markup:
    """JSON to embed in ``<script type="application/json">``: a script's text is not
    HTML-decoded, so it is not escaped as HTML; ``<``, ``>`` and ``&`` become JSON's
    \\u escapes instead, so no text in it can close the element."""
    for char in "<>&":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return Markup(text)


def read_table(path: Path) -> pd.DataFrame:
    """A CSV a run wrote, as text (dates and flags exactly as written)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def create_app(
    data_dir: Path, runs_dir: Path | None = None, secret: Secret | None = None
) -> Starlette:
    """The server's app for ``data_dir``; run folders under ``runs_dir`` (default
    ``DATA_DIR/../caseaudit-runs``)."""
    data_dir = Path(data_dir)
    secret = secret or Secret()
    runs = Runs(
        (runs_dir or data_dir.resolve().parent / "caseaudit-runs").resolve(), data_dir.resolve()
    )
    env = Environment(
        loader=PackageLoader("caseaudit.web", "templates"),
        autoescape=select_autoescape(["j2", "html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # Globals, not render values: the forms' macros see globals only.
    env.globals.update(
        csrf_field=CSRF_FIELD, csrf=secret.csrf, data_dir=str(data_dir), stage_words=STAGES
    )

    def page(name: str, request: Request, status_code: int = 200, **values: Any) -> HTMLResponse:
        html = env.get_template(name).render(**values)
        response = HTMLResponse(html, status_code=status_code)
        response.headers["Content-Security-Policy"] = PAGE_CSP
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    loaded: dict[tuple[object, ...], tuple[Any, list[InputIssue], list[str]]] = {}
    cache_lock = threading.Lock()

    def load(month: str | None = None) -> tuple[Any, list[InputIssue], list[str]]:
        """The dataset (None when invalid), its issues and the reader's warnings; read
        again only when a file of the data folder changed (name, size or time)."""
        from caseaudit.api import load as api_load

        files = sorted(
            (p.name, p.stat().st_size, p.stat().st_mtime_ns)
            for p in data_dir.iterdir()
            if p.is_file()
        )
        key = (month, str(data_dir), *files)  # the folder too: an upload switches it
        with cache_lock:
            if key not in loaded:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always", InputWarning)
                    try:
                        data = api_load(data_dir, month)
                        issues: list[InputIssue] = []
                    except InputError as error:
                        data, issues = None, error.issues
                said = [str(w.message) for w in caught if issubclass(w.category, InputWarning)]
                for old in [k for k in loaded if k[1:] != key[1:]]:
                    del loaded[old]  # a reading of files since changed is of no more use
                loaded[key] = (data, issues, said)
            return loaded[key]

    def month_data(month: str) -> Any:
        """The data checked with the month's rules, as ``allocate`` reads it."""
        data, issues, _said = load(month)
        if data is None:
            raise InputError(issues)
        return data

    def months_of(data: Any) -> list[str]:
        return sorted(set(data["cases"]["month"].astype(str))) if data is not None else []

    def month_of(request: Request) -> str:
        month = request.path_params["month"]
        if not MONTH_PATTERN.match(month):
            raise HTTPException(404, "no such month")
        return str(month)

    def run_or_404(run_id: str | None, actions: tuple[str, ...] = ()) -> dict[str, Any]:
        manifest = runs.manifest(run_id or "")
        if manifest is None:
            raise HTTPException(404, "no such run")
        serve = manifest["serve"]
        assert isinstance(serve, dict)
        if actions and serve.get("action") not in actions:
            raise HTTPException(404, "that run is not a month's plan")
        return manifest

    def start(prefix: str, action: str, work: Any, request: Request) -> Response:
        try:
            job = runs.start(prefix, action, work)
        except AlreadyRunning as busy:
            return page(
                "busy.html.j2", request, status_code=409, job=busy.job, title="Already running"
            )
        except OutputLocationError as error:
            return page("error.html.j2", request, 409, messages=[str(error)], title="Cannot run")
        return RedirectResponse(f"/runs/{job.run_id}/status", status_code=303)

    def command(*words: str) -> str:
        return shlex.join(["caseaudit", "serve", str(data_dir), "#", *words])

    # -- pages ------------------------------------------------------------------------

    async def home(request: Request) -> Response:
        return RedirectResponse("/data", status_code=303)

    def data_page(request: Request) -> Response:
        data, issues, said = load()
        tables = (
            [(name, len(frame)) for name, frame in data.tables.items() if len(frame)]
            if data is not None
            else []
        )
        return page(
            "data.html.j2",
            request,
            title="Data",
            tables=tables,
            issues=issues,
            warnings=said,
            months=months_of(data),
            has_caseload=data is not None and len(data["caseload"]) > 0,
        )

    def month_page(request: Request) -> Response:
        month = month_of(request)
        plans = [
            (run_id, m)
            for run_id, m in runs.finished()
            if m["serve"]["action"] in ("allocate", "reallocate")
            and m["serve"].get("month") == month
        ]
        samples = [
            (run_id, m)
            for run_id, m in runs.finished("draw-sample")
            if m["serve"].get("month") == month
        ]
        run_id = request.query_params.get("run") or (plans[0][0] if plans else None)
        values: dict[str, Any] = {}
        if run_id is not None:
            run_or_404(run_id, ("allocate", "reallocate"))
            values = plan_values(run_id, request)
        data, _issues, _ = load()
        return page(
            "month.html.j2",
            request,
            title=f"The month {month}",
            month=month,
            plans=plans,
            samples=samples,
            run_id=run_id,
            has_caseload=data is not None and len(data["caseload"]) > 0,
            **values,
        )

    def plan_values(run_id: str, request: Request) -> dict[str, Any]:
        folder = runs.root / run_id
        allocations = read_table(folder / "allocations.csv")
        chosen = {key: request.query_params.get(key, "") for key in FILTERS}
        options = {key: sorted(set(allocations[key])) for key in FILTERS}
        shown = allocations
        for key, value in chosen.items():
            if value:
                shown = shown[shown[key] == value]
        staff = auditors(run_id)
        files = run_or_404(run_id).get("files")
        return {
            # The workbook allocate writes beside the CSV, offered when the run lists it.
            "workbook": isinstance(files, list) and "allocations.xlsx" in files,
            "allocations": shown.to_dict("records")[:ROWS_SHOWN],
            "allocated_count": len(allocations),
            "shown_count": len(shown),
            "filters": chosen,
            "options": options,
            "unallocated": read_table(folder / "unallocated.csv").to_dict("records"),
            "breaks": read_table(folder / "break_decisions.csv").to_dict("records"),
            "auditors": staff,
            "changes": (
                read_table(folder / "changes.csv").to_dict("records")
                if (folder / "changes.csv").exists()
                else None
            ),
        }

    def auditors(run_id: str) -> list[str]:
        """Every auditor the plan's manifest or the data names, for the pickers."""
        data, _issues, _ = load()
        if data is None:
            return []
        staff = data["staff"]
        return sorted(staff.loc[staff["is_auditor"].astype(bool), "staff_id"].astype(str))

    def month_action(action: str) -> Any:
        async def run(request: Request) -> Response:
            month = month_of(request)
            await checked_form(request, secret)
            return start(month, action, month_work(action, month), request)

        return run

    def month_work(action: str, month: str) -> Any:
        def allocate(run_dir: Path, stage: Stage) -> None:
            from caseaudit import api

            data = api.load(data_dir, month, progress=stage)
            result = api.allocate(data, month, command=command("allocate", month), progress=stage)
            stage("writing")
            result.manifest["serve"] = {"action": "allocate", "month": month}
            result.write(run_dir)

        def sample(run_dir: Path, stage: Stage) -> None:
            from caseaudit import api

            data = api.load(data_dir, progress=stage)
            result = api.draw_sample(
                data, month, command=command("draw-sample", month), progress=stage
            )
            stage("writing")
            result.manifest["serve"] = {"action": "draw-sample", "month": month}
            result.write(run_dir)

        return {"allocate": allocate, "draw-sample": sample}[action]

    async def upload_workbook(request: Request) -> Response:
        """A ``caseaudit.xlsx`` chosen on the Data page: checked as ``validate`` checks
        a data folder, then saved (through ``write_folder``) in a new run folder that
        becomes the data folder of every later action. A workbook with problems is
        refused with its located messages and nothing changes (contract §2)."""
        async with request.form(max_files=1, max_fields=5) as form:
            if not secret.is_csrf(form.get(CSRF_FIELD)):
                raise HTTPException(403, "403 forbidden: the form's CSRF token is missing or wrong")
            chosen = form.get("workbook")
            content = await chosen.read(UPLOAD_BYTES + 1) if isinstance(chosen, UploadFile) else b""
        # An .xlsx is a zip archive: anything else is refused before it is read.
        if not content.startswith(b"PK\x03\x04") or len(content) > UPLOAD_BYTES:
            return page(
                "error.html.j2",
                request,
                400,
                messages=[f"choose one {WORKBOOK} workbook (.xlsx, at most 20 MB)"],
                title="Cannot upload",
            )

        def work(run_dir: Path, stage: Stage) -> None:
            nonlocal data_dir
            from caseaudit import api

            with tempfile.TemporaryDirectory() as scratch:
                (Path(scratch) / WORKBOOK).write_bytes(content)
                api.load(Path(scratch), progress=stage)  # InputError: located, nothing written
            stage("writing")
            write_folder(
                run_dir,
                False,
                "data",
                lambda folder: (folder / WORKBOOK).write_bytes(content),
                {"serve": {"action": "upload"}},
            )
            # From now on every page and action reads the uploaded workbook.
            data_dir = run_dir
            runs.data_dir = run_dir.resolve()
            env.globals["data_dir"] = str(run_dir)

        return start(dt.date.today().isoformat(), "upload", work, request)

    def status_page(request: Request) -> Response:
        run_id = request.path_params["run_id"]
        job = runs.jobs.get(run_id)
        if job is None:
            run_or_404(run_id)
            return RedirectResponse(f"/runs/{run_id}", status_code=303)
        if job.done and not job.errors:
            return RedirectResponse(result_url(run_id), status_code=303)
        return page("status.html.j2", request, title=f"Run {run_id}", job=job)

    def result_url(run_id: str) -> str:
        manifest = run_or_404(run_id)
        serve = manifest["serve"]
        assert isinstance(serve, dict)
        if serve.get("action") in ("allocate", "reallocate"):
            return f"/month/{serve['month']}?run={run_id}"
        if serve.get("action") == "notify":
            return f"/notices?run={run_id}"
        if serve.get("action") == "upload":
            return "/data"
        return f"/runs/{run_id}"

    def run_page(request: Request) -> Response:
        run_id = request.path_params["run_id"]
        manifest = run_or_404(run_id)
        folder = runs.root / run_id
        files = manifest.get("files")
        names = [name for name in files if isinstance(name, str)] if isinstance(files, list) else []
        tables = [(name, read_table(folder / name)) for name in names if name.endswith(".csv")]
        return page(
            "run.html.j2",
            request,
            title=f"Run {run_id}",
            run_id=run_id,
            serve=manifest["serve"],
            files=names,
            tables=[
                (name, t.to_dict("records")[:ROWS_SHOWN], list(t.columns), len(t))
                for name, t in tables
            ],
            month_url=result_url(run_id),
            # The stages as the terminal shows them, for a run of this server's life.
            job=runs.jobs.get(run_id),
        )

    def why_answer(request: Request) -> tuple[str, str, str | None, Any]:
        from caseaudit import api

        run_id = request.query_params.get("run", "")
        manifest = run_or_404(run_id, ("allocate", "reallocate"))
        month = str(manifest["serve"]["month"])
        case = request.query_params.get("case", "").strip()
        auditor = request.query_params.get("auditor", "").strip() or None
        if not case:
            raise HTTPException(404, "no case given")
        data = plan_data(manifest, month)
        answer = api.explain(data, month, case=case, auditor=auditor, previous=runs.root / run_id)
        return run_id, case, auditor, answer

    def plan_data(manifest: dict[str, Any], month: str) -> Any:
        """The data a plan was made from: the data folder, with a re-plan's exemptions."""

        serve = manifest["serve"]
        return with_changes(
            month_data(month),
            serve.get("exemptions_added") or [],
            serve.get("leavers_added") or [],
        )

    def why_page(request: Request) -> Response:
        try:
            run_id, case, auditor, answer = why_answer(request)
        except InputError as error:
            return page("error.html.j2", request, 400, messages=error.lines(), title="Why")
        return page(
            "why.html.j2",
            request,
            title=f"Why: case {case}",
            run_id=run_id,
            case=case,
            auditor=auditor,
            summary=answer.summary(),
            answer_json=script_json(answer.to_json()),
            auditors=auditors(run_id),
            month=run_or_404(run_id)["serve"]["month"],
        )

    def why_json(request: Request) -> Response:
        try:
            _run_id, _case, _auditor, answer = why_answer(request)
        except InputError as error:
            return JSONResponse({"errors": error.lines()}, status_code=400)
        return Response(answer.to_json(), media_type="application/json")

    # -- changes ------------------------------------------------------------------------

    def with_changes(data: Any, added: list[dict[str, str]], leavers: list[dict[str, str]]) -> Any:
        """The data with exemptions added and leavers' last days set, through
        ``Dataset.replace``: checked as the exemptions and staff files are (contract
        §3), nothing written to the data folder. A leaver's last day is the staff row's
        ``active_to``; one not active the whole month is no auditor of it (contract §3,
        staff)."""
        if not added and not leavers:
            return data
        tables: dict[str, pd.DataFrame] = {}
        if added:
            current = data["exemptions"]
            kept = current[[c for c in current.columns if not str(c).startswith("_")]]
            rows = pd.DataFrame(added, columns=list(kept.columns))
            tables["exemptions"] = pd.concat([kept.astype(object), rows], ignore_index=True)
        if leavers:
            current = data["staff"]
            staff = current[[c for c in current.columns if not str(c).startswith("_")]]
            staff = staff.astype(object).copy()
            ids = staff["staff_id"].astype(str)
            unknown = [row["staff_id"] for row in leavers if row["staff_id"] not in set(ids)]
            if unknown:
                raise InputError(
                    [
                        InputIssue("replace(staff=…)", 1, "staff_id", f"unknown staff id {sid!r}")
                        for sid in unknown
                    ]
                )
            for row in leavers:
                staff.loc[ids == row["staff_id"], "active_to"] = row["active_to"]
            tables["staff"] = staff
        return data.replace(**tables)

    def changes_page(request: Request) -> Response:
        run_id = request.query_params.get("run", "")
        manifest = run_or_404(run_id, ("allocate", "reallocate"))
        return changes_form(request, run_id, manifest, {}, [])

    def changes_form(
        request: Request,
        run_id: str,
        manifest: dict[str, Any],
        fields: dict[str, str],
        messages: list[str],
        kind: str = "",
    ) -> Response:
        allocations = read_table(runs.root / run_id / "allocations.csv")
        return page(
            "changes.html.j2",
            request,
            status_code=400 if messages else 200,
            title="Changes",
            run_id=run_id,
            month=manifest["serve"]["month"],
            cases=list(zip(allocations["case_id"], allocations["auditor_id"], strict=True)),
            auditors=auditors(run_id),
            fields=fields,
            messages=messages,
            added=manifest["serve"].get("exemptions_added") or [],
            leavers=manifest["serve"].get("leavers_added") or [],
            kind=kind,
        )

    async def changes_post(request: Request) -> Response:
        fields = await checked_form(request, secret)
        run_id = fields.get("run", "")
        manifest = run_or_404(run_id, ("allocate", "reallocate"))
        month = str(manifest["serve"]["month"])
        added = list(manifest["serve"].get("exemptions_added") or [])
        leavers = list(manifest["serve"].get("leavers_added") or [])
        kind = fields.get("change", "exemption")
        if kind == "leaver":
            leavers.append(
                {
                    "staff_id": fields.get("staff_id", "").strip(),
                    "active_to": fields.get("active_to", "").strip(),
                }
            )
        elif kind == "exemption":
            added.append(
                {
                    "case_id": fields.get("case_id", "").strip(),
                    "month": month,
                    "auditor_id": fields.get("auditor_id", "").strip(),
                    "requested_on": fields.get("requested_on", "").strip(),
                    "decision": fields.get("decision", "").strip(),
                    "decided_by": fields.get("decided_by", "").strip(),
                    "decided_on": fields.get("decided_on", "").strip(),
                }
            )
        else:
            raise HTTPException(404, "no such change")
        from starlette.concurrency import run_in_threadpool

        def check() -> list[str]:
            try:
                with_changes(month_data(month), added, leavers)
            except InputError as error:
                return error.lines()
            return []

        messages = await run_in_threadpool(check)
        if messages:
            return changes_form(request, run_id, manifest, fields, messages, kind)

        def replan(run_dir: Path, stage: Stage) -> None:
            from caseaudit import api
            from caseaudit.io.writer import write_outputs

            stage("checking")  # the data as read (cached) with the new rows
            data = with_changes(month_data(month), added, leavers)
            result = api.reallocate(
                data,
                month,
                runs.root / run_id,
                command=command("reallocate", month, run_id),
                progress=stage,
            )
            stage("writing")
            result.manifest["serve"] = {
                "action": "reallocate",
                "month": month,
                "previous": run_id,
                "exemptions_added": added,
                "leavers_added": leavers,
            }
            # What the re-plan read beyond the data folder, as files of the run.
            files = {}
            if added:
                files["exemptions_added.csv"] = pd.DataFrame(added).to_csv(index=False).encode()
            if leavers:
                files["leavers_added.csv"] = pd.DataFrame(leavers).to_csv(index=False).encode()
            write_outputs(
                run_dir,
                result.tables,
                result.manifest,
                result.problem.config.output,
                files=files,
            )

        return start(month, "reallocate", replan, request)

    # -- the other plans ----------------------------------------------------------------

    def plans_page(kind: str, title: str, field: str) -> Any:
        def handler(request: Request) -> Response:
            return page(
                "plans.html.j2",
                request,
                title=title,
                kind=kind,
                field=field,
                runs=runs.finished(kind),
            )

        return handler

    def plans_post(kind: str) -> Any:
        async def handler(request: Request) -> Response:
            fields = await checked_form(request, secret)
            value = fields.get("value", "").strip()
            argument: int | dt.date
            try:
                if kind == "plan-breaks":
                    year = int(value)
                    if not 1000 <= year <= 9998:
                        raise ValueError
                    prefix, argument = f"{year}", year
                else:
                    day = dt.date.fromisoformat(value)
                    prefix, argument = day.isoformat(), day
            except ValueError:
                return page(
                    "error.html.j2",
                    request,
                    400,
                    messages=[
                        f"{value!r}: expected "
                        + ("a year" if kind == "plan-breaks" else "a date as YYYY-MM-DD")
                    ],
                    title="Cannot run",
                )

            def work(run_dir: Path, stage: Stage) -> None:
                from caseaudit import api

                data = api.load(data_dir, progress=stage)
                run = {
                    "report": api.report,
                    "moderate": api.moderate,
                    "plan-breaks": api.plan_breaks,
                }[kind]
                result = run(data, argument, command=command(kind, str(argument)), progress=stage)  # type: ignore[operator]
                stage("writing")
                result.manifest["serve"] = {"action": kind, "argument": str(argument)}
                result.write(run_dir)

            return start(prefix, kind, work, request)

        return handler

    def notices_page(request: Request) -> Response:
        """A plan's notifications.csv and the form that makes the notices due on a day
        (``notify``); a notify run's notices, each ``.eml`` shown as it would go, and
        "send" where ``[smtp]`` is set (issue 22, issue 25)."""
        from caseaudit.plans.notices.send import smtp_problems

        run_id = request.query_params.get("run", "")
        manifest = run_or_404(run_id, ("allocate", "reallocate", "notify"))
        folder = runs.root / run_id
        serve = manifest["serve"]
        if serve["action"] != "notify":
            table = read_table(folder / "notifications.csv")
            return page(
                "notices.html.j2",
                request,
                title="Notices",
                run_id=run_id,
                plan=True,
                month=serve["month"],
                columns=list(table.columns),
                rows=table.to_dict("records"),
                notifies=[
                    (nid, m)
                    for nid, m in runs.finished("notify")
                    if m["serve"].get("plan") == run_id
                ],
            )
        files = manifest.get("files")
        names = [
            name
            for name in (files if isinstance(files, list) else [])
            if isinstance(name, str) and name.startswith("notices/") and name.endswith(".eml")
        ]
        notices = read_table(folder / "notices.csv")
        undeliverable = read_table(folder / "undeliverable.csv")
        data, _issues, _said = load()
        problems = smtp_problems(data.config.smtp) if data is not None else []
        return page(
            "notices.html.j2",
            request,
            title=f"Notices as of {serve['argument']}",
            run_id=run_id,
            plan=False,
            as_of=serve["argument"],
            plan_id=serve.get("plan"),
            columns=list(notices.columns),
            rows=notices.to_dict("records"),
            undeliverable=undeliverable.to_dict("records"),
            undeliverable_columns=list(undeliverable.columns),
            # The names come from the manifest the run wrote, never from the request.
            messages=[
                (
                    name.removeprefix("notices/"),
                    (folder / name).read_bytes().decode(errors="replace"),
                )
                for name in names
            ],
            smtp_problems=[message for _key, message in problems],
        )

    def notify_work(as_of: str, plan_id: str, send: bool) -> Any:
        def work(run_dir: Path, stage: Stage) -> None:
            from caseaudit import api

            data = api.load(data_dir, progress=stage)
            result = api.notify(
                data,
                as_of,
                plan=runs.root / plan_id,
                command=command("notify", as_of, plan_id),
                progress=stage,
            )
            if send:
                stage("sending")  # over [smtp]; each accepted notice recorded in notices_sent
                result.send(data_dir)
            stage("writing")
            result.manifest["serve"] = {
                "action": "send" if send else "notify",
                "argument": as_of,
                "plan": plan_id,
            }
            result.write(run_dir)

        return work

    async def notices_post(request: Request) -> Response:
        fields = await checked_form(request, secret)
        run_id = fields.get("run", "")
        manifest = run_or_404(run_id, ("allocate", "reallocate", "notify"))
        serve = manifest["serve"]
        if serve["action"] == "notify":  # send: the same notices again, then over [smtp]
            as_of, plan_id, send = str(serve["argument"]), str(serve["plan"]), True
            run_or_404(plan_id, ("allocate", "reallocate"))
        else:
            value = fields.get("as_of", "").strip()
            try:
                as_of = dt.date.fromisoformat(value).isoformat()
            except ValueError:
                return page(
                    "error.html.j2",
                    request,
                    400,
                    messages=[f"{value!r}: expected a date as YYYY-MM-DD"],
                    title="Cannot run",
                )
            plan_id, send = run_id, False
        return start(
            as_of, "send" if send else "notify", notify_work(as_of, plan_id, send), request
        )

    # -- downloads ------------------------------------------------------------------------

    def download(request: Request) -> Response:
        run_id = request.path_params["run_id"]
        name = request.path_params["name"]
        path = runs.file(run_id, name)
        if path is None:
            raise HTTPException(404, "no such file in the server's runs")
        if name.endswith(".html"):
            response: Response = FileResponse(path, media_type="text/html")
            response.headers["Content-Security-Policy"] = REPORT_CSP
            return response
        if name.endswith(".png"):
            return FileResponse(path, media_type="image/png")
        return FileResponse(path, filename=f"{run_id}-{name}")

    def download_zip(request: Request) -> Response:
        run_id = request.path_params["run_id"]
        manifest = run_or_404(run_id)
        buffer = io.BytesIO()
        files = manifest.get("files")
        names = sorted({*files, "manifest.json"}) if isinstance(files, list) else []
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in names:
                path = runs.file(run_id, name)
                if path is not None:
                    archive.write(path, f"{run_id}/{name}")
        return Response(
            buffer.getvalue(),
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{run_id}.zip"'},
        )

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        detail = exc.detail if isinstance(exc, HTTPException) else "not found"
        return PlainTextResponse(f"{status}: {detail}", status_code=status)

    routes = [
        Route("/", home),
        Route("/data", data_page),
        Route(UPLOAD_PATH, upload_workbook, methods=["POST"]),
        Route("/month/{month}", month_page),
        Route("/month/{month}/allocate", month_action("allocate"), methods=["POST"]),
        Route("/month/{month}/draw-sample", month_action("draw-sample"), methods=["POST"]),
        Route("/why", why_page),
        Route("/why.json", why_json),
        Route("/changes", changes_page),
        Route("/changes", changes_post, methods=["POST"]),
        Route("/notices", notices_page),
        Route("/notices", notices_post, methods=["POST"]),
        Route("/report", plans_page("report", "Report", "as of (YYYY-MM-DD)")),
        Route("/report", plans_post("report"), methods=["POST"]),
        Route("/moderation", plans_page("moderate", "Moderation", "as of (YYYY-MM-DD)")),
        Route("/moderation", plans_post("moderate"), methods=["POST"]),
        Route("/breaks", plans_page("plan-breaks", "The year's breaks", "audit year (e.g. 2026)")),
        Route("/breaks", plans_post("plan-breaks"), methods=["POST"]),
        Route("/runs/{run_id}", run_page),
        Route("/runs/{run_id}/status", status_page),
        Route("/runs/{run_id}/zip", download_zip),
        Route("/runs/{run_id}/files/{name}", download),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(TokenMiddleware, secret=secret)],
        exception_handlers={HTTPException: not_found},
    )
    app.state.secret = secret
    app.state.runs = runs
    return app


def serve(data_dir: Path, port: int, open_browser: bool, runs_dir: Path | None) -> None:
    """Run the server on 127.0.0.1 only (never another interface) until interrupted;
    print (and open) the address with the token."""
    import webbrowser

    import uvicorn

    secret = Secret()
    app = create_app(data_dir, runs_dir, secret)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    url = f"http://127.0.0.1:{port}/data?token={secret.token}"
    print(f"caseaudit serve: {data_dir} on this machine only; open {url}", flush=True)
    print(f"run folders go to {app.state.runs.root}; stop with Ctrl+C", flush=True)
    if open_browser:
        webbrowser.open(url)
    server.run()
