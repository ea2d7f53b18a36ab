"""The notices' texts: one Jinja2 template per kind (``templates/<kind>.txt.j2``),
overridable by a council's folder named in ``[notices] templates`` (issue 22).

A council's template may use only the placeholders below; an unknown one (a misspelt
``{{ notice.due }}``, say) is an input error naming the file and the line, found before
anything is written. Rendering is strict too (``StrictUndefined``): a placeholder that is
empty for some notice never prints as a blank.
"""

from __future__ import annotations

import datetime as dt
import functools
import traceback
from collections.abc import Mapping
from pathlib import Path

import jinja2
from jinja2 import meta, nodes

from caseaudit.model.errors import IssueCollector

PACKAGE_TEMPLATES = Path(__file__).with_name("templates")
SUFFIX = ".txt.j2"
#: The placeholders a template may use, with the keys of those that have a fixed shape.
PERSON_KEYS = frozenset({"id", "name", "email", "role"})
PLACEHOLDERS: dict[str, frozenset[str] | None] = {
    "notice": frozenset(
        {"notice_id", "kind", "send_on", "due_on", "audit_id", "case_id", "month", "subject"}
    ),
    "recipient": PERSON_KEYS,
    "auditor": PERSON_KEYS,
    "group_manager": PERSON_KEYS,
    "contacts": None,  # a list of people (id, name, email, role)
    "facts": frozenset(
        {
            "auditor_id",
            "contacts",
            "is_reaudit",
            "reaudit_of",
            "distributed_on",
            "role",
            "days_overdue",
            "returned_on",
            "due_today",
            "cap",
            "granted",
            "refused",
            "raised_by",
            "confirmed_on",
            "reflection_meeting_by",
            "review_meeting_on",
            "reaudit_deadline",
            "reaudit_month",
            "escalation",
            "head_of_service_id",
            "finalised_on",
            "age_days",
        }
    ),
    "policy": frozenset(
        {
            "amendment_working_days",
            "max_break_percent",
            "reaudit_within_months",
            "review_meeting_after_days",
            "reflection_meeting_within_working_days",
        }
    ),
}

assert not {key for keys in PLACEHOLDERS.values() for key in keys or ()} & set(dir(dict))


def long_date(value: object) -> str:
    """``2026-03-31`` → ``Tuesday 31 March 2026`` (a date or ISO text; empty stays empty)."""
    if isinstance(value, str):
        return _long_date_text(value)  # a notice's dates are ISO text: a few distinct days
    if value is None:
        return ""
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    return f"{day:%A} {day.day} {day:%B %Y}"


@functools.lru_cache(maxsize=4096)
def _long_date_text(value: str) -> str:
    """:func:`long_date` of ISO text, once per day written (tens of thousands of notices
    share a few dozen days; the answer depends on the text alone)."""
    if value == "":
        return ""
    day = dt.date.fromisoformat(value)
    return f"{day:%A} {day.day} {day:%B %Y}"


class Fields(dict[str, object]):
    """A notice's context part (``notice``, ``recipient``, ``facts`` …): a dict whose keys
    are also its attributes, so that a template's ``notice.audit_id`` is found at the
    first try (Jinja2 tries the attribute before the key; on a plain dict each lookup
    raised and caught an AttributeError first). Keys never shadow a dict method:
    :data:`PLACEHOLDERS` names none."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.__dict__ = self


class Templates:
    """The built-in templates with a council's folder in front of them."""

    def __init__(self, council_folder: Path | None = None) -> None:
        loaders: list[jinja2.BaseLoader] = []
        if council_folder is not None:
            loaders.append(jinja2.FileSystemLoader(str(council_folder)))
        loaders.append(jinja2.FileSystemLoader(str(PACKAGE_TEMPLATES)))
        self.folder = council_folder
        self.environment = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            undefined=jinja2.StrictUndefined,
            autoescape=False,  # plain text, not HTML
            # The templates do not change during a run: no file check at each include.
            auto_reload=False,
            keep_trailing_newline=True,
            trim_blocks=True,  # a line holding only a block tag leaves no blank line
            lstrip_blocks=True,
        )
        self.environment.filters["long_date"] = long_date
        self._compiled: dict[str, jinja2.Template] = {}
        self._loops: dict[str, jinja2.Template | None] = {}

    def check(self, kinds: list[str], issues: IssueCollector) -> None:
        """Every template of the council's folder: a known kind (or a ``_`` part), valid
        Jinja2, only known placeholders; each problem located at its file and line."""
        if self.folder is None:
            return
        for path in sorted(self.folder.glob(f"*{SUFFIX}")):
            kind = path.name[: -len(SUFFIX)]
            label = str(path)
            if not kind.startswith("_") and kind not in kinds:
                issues.add(label, 1, "-", f"not a kind of notice; the kinds are {', '.join(kinds)}")
                continue
            source = path.read_text(encoding="utf-8-sig")
            try:
                tree = self.environment.parse(source, name=path.name)
            except jinja2.TemplateSyntaxError as error:
                issues.add(label, error.lineno, "-", f"not a valid template: {error.message}")
                continue
            for line, message in unknown_placeholders(tree):
                issues.add(label, line, "-", message)

    def render(self, kind: str, context: Mapping[str, object]) -> str:
        template = self._compiled.get(kind)
        if template is None:
            template = self._compiled[kind] = self.environment.get_template(kind + SUFFIX)
        try:
            return template.render(context)
        except jinja2.UndefinedError as error:
            raise TemplateError(self._where(error, kind), str(error)) from None

    def render_many(self, items: list[tuple[str, Mapping[str, object]]]) -> list[str]:
        """Each (kind, context)'s text as :meth:`render` gives it, in one template call a
        kind: the kind's template is the body of a loop over its notices (tens of
        thousands a national run; a render each made a Jinja2 context each). A template
        that cannot be a loop's body (it extends, defines blocks or macros, imports), or
        any failure, and every notice is rendered alone: the same texts, or the same
        error at the first notice that fails."""
        by_kind: dict[str, list[int]] = {}
        for position, (kind, _) in enumerate(items):
            by_kind.setdefault(kind, []).append(position)
        texts: list[str] = [""] * len(items)
        try:
            for kind, positions in by_kind.items():
                loop = self._loop(kind)
                if loop is None:
                    raise LookupError(kind)
                written: list[str] = []
                rows = [[items[p][1][name] for name in PLACEHOLDERS] for p in positions]
                loop.render(__rows=rows, __keep=written.append)
                if len(written) != len(positions):
                    raise LookupError(kind)
                for position, text in zip(positions, written, strict=True):
                    texts[position] = text
        except Exception:
            return [self.render(kind, context) for kind, context in items]
        return texts

    def _loop(self, kind: str) -> jinja2.Template | None:
        """The kind's template as the body of a loop over rows of the placeholders, each
        text kept by ``__keep`` (None when the template cannot be a loop's body)."""
        if kind not in self._loops:
            self._loops[kind] = None
            loader = self.environment.loader
            assert loader is not None
            source = loader.get_source(self.environment, kind + SUFFIX)[0]
            tree = self.environment.parse(source)
            whole_template = (nodes.Extends, nodes.Block, nodes.Macro, nodes.Import)
            if not any(True for _ in tree.find_all((*whole_template, nodes.FromImport))) and (
                meta.find_undeclared_variables(tree) <= set(PLACEHOLDERS)
            ):
                # ``{% set %}`` then a newline (trimmed, as at a template's start); ``{%+``
                # keeps the blanks of the template's last line, as when it ends the file.
                self._loops[kind] = self.environment.from_string(
                    f"{{% for {', '.join(PLACEHOLDERS)} in __rows %}}{{% set __text %}}\n"
                    f"{source}{{%+ endset %}}{{% if __keep(__text) %}}{{% endif %}}{{% endfor %}}"
                )
        return self._loops[kind]

    def _where(self, error: Exception, kind: str) -> tuple[str, int]:
        """The template file and line that raised ``error``."""
        for frame in reversed(traceback.extract_tb(error.__traceback__)):
            if frame.filename.endswith(SUFFIX):
                return frame.filename, frame.lineno or 1
        return kind + SUFFIX, 1


class TemplateError(Exception):
    """A template used a placeholder that is empty for a notice: located at its line."""

    def __init__(self, where: tuple[str, int], message: str) -> None:
        super().__init__(f"{where[0]}:{where[1]}: {message}")
        self.file, self.line = where
        self.message = message


def unknown_placeholders(tree: nodes.Template) -> list[tuple[int, str]]:
    """(line, message) for each placeholder of ``tree`` that notices do not provide."""
    found: list[tuple[int, str]] = []
    # Names bound inside the template (loop variables, ``set``) are the template's own.
    undeclared = meta.find_undeclared_variables(tree)
    for name in tree.find_all(nodes.Name):
        if name.ctx == "load" and name.name in undeclared and name.name not in PLACEHOLDERS:
            known = ", ".join(PLACEHOLDERS)
            found.append((name.lineno, f"unknown placeholder {name.name!r}; known: {known}"))
    for attribute in tree.find_all(nodes.Getattr):
        target = attribute.node
        if not isinstance(target, nodes.Name) or target.name not in undeclared:
            continue
        keys = PLACEHOLDERS.get(target.name)
        if keys is not None and attribute.attr not in keys:
            found.append(
                (
                    attribute.lineno,
                    f"unknown placeholder '{target.name}.{attribute.attr}'; "
                    f"{target.name} has {', '.join(sorted(keys))}",
                )
            )
    return sorted(set(found))
