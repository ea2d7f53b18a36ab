"""Output folders (contract §2): which folder a command may write, and writing it all or
nothing.

Every command that writes calls ``check_output_dir`` before any work and writes through
``write_folder``. caseaudit never deletes a file it did not write: a folder it wrote
holds a ``manifest.json`` with ``"tool": "caseaudit"``, the kind of folder (``output``,
``data`` or ``demo``) and the list of files written; only such a folder is replaced,
only with ``force`` (``demo`` always replaces an earlier demo, contract §6), only by a
command that makes the same kind of folder, and only when it holds nothing but the files
its manifest lists. A folder holding anything else is refused rather than partly
replaced: the safer choice, as the user then decides what becomes of their files.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Literal

from caseaudit.model.outputs import OUTPUT_TABLES

MANIFEST = "manifest.json"
FolderKind = Literal["output", "data", "demo"]
#: The kind of each folder in words, for messages.
KIND_WORDS: dict[str, str] = {
    "output": "output of a plan or report",
    "data": "data folder from generate",
    "demo": "demo folder",
}
#: What a manifest written before the manifest listed its files may have come with.
_EARLIER_OUTPUT_FILES = frozenset(
    {f"{name}.{ext}" for name in OUTPUT_TABLES for ext in ("csv", "parquet")}
    | {"report.html", "break_plan.png"}
)
#: How many names of foreign files a message lists.
_NAMES_SHOWN = 5


class OutputLocationError(Exception):
    """The output folder cannot be used (contract §2: exit 2, nothing written)."""


def our_manifest(folder: Path) -> dict[str, object] | None:
    """The folder's ``manifest.json`` when caseaudit wrote it, else None."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(manifest, dict) and manifest.get("tool") == "caseaudit":
        return manifest
    return None


def _listed_files(manifest: Mapping[str, object]) -> frozenset[str]:
    """The files the manifest says caseaudit wrote (relative, ``/``-separated)."""
    files = manifest.get("files")
    if isinstance(files, list) and all(isinstance(name, str) for name in files):
        return frozenset(files) | {MANIFEST}
    # Written before manifests listed their files: the names an output folder can hold.
    return _EARLIER_OUTPUT_FILES | {MANIFEST}


def foreign_entries(folder: Path, listed: frozenset[str]) -> list[str]:
    """Entries under ``folder`` that are neither a listed file nor a real folder holding
    one, sorted by walk; symbolic links to folders are never followed."""
    holders = {parent.as_posix() for name in listed for parent in Path(name).parents}
    foreign: list[str] = []
    for root, dirs, files in os.walk(folder):
        here = Path(root).relative_to(folder)
        kept = []
        for name in sorted(dirs):
            path = (here / name).as_posix()
            if path in holders and not (Path(root) / name).is_symlink():
                kept.append(name)
            else:
                foreign.append(path + "/")
        dirs[:] = kept
        foreign += [p for p in ((here / n).as_posix() for n in sorted(files)) if p not in listed]
    return foreign


def _relation(target: Path, given: str, inputs: Iterable[tuple[str, Path]]) -> str | None:
    """Why ``target`` may not take outputs beside an input folder, or None."""
    for input_given, folder in inputs:
        source = folder.resolve()
        if target == source:
            return f"output folder {given} is the input folder {input_given}"
        if source in target.parents:
            return f"output folder {given} lies inside the input folder {input_given}"
        if target in source.parents:
            return f"output folder {given} contains the input folder {input_given}"
    return None


def _existing_ancestor(path: Path) -> Path:
    """``path`` itself when it exists, else its nearest existing ancestor."""
    return next(p for p in (path, *path.parents) if p.exists() or p == p.parent)


def check_output_dir(
    out_dir: Path,
    force: bool,
    inputs: Iterable[Path] = (),
    kind: FolderKind = "output",
) -> None:
    """Refuse, before any work, an output folder that may not take the run's files
    (contract §2, exit 2): a file; the input folder (``inputs``: the data folder, a
    previous plan), a folder inside one or holding one; a non-empty folder caseaudit did
    not write, or that holds files its manifest does not list, or of another ``kind``
    (with or without ``force``); caseaudit's own earlier folder without ``force``; a
    place where no folder can be made. A missing parent is made when the files are
    written. Messages name the folders as given."""
    given = str(out_dir)
    target = out_dir.resolve()
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputLocationError(f"output folder {given} is a file, not a folder")
    clash = _relation(target, given, ((str(p), Path(p)) for p in inputs))
    if clash:
        raise OutputLocationError(f"{clash}; write the outputs to a folder of their own")
    ancestor = _existing_ancestor(target.parent)
    if not ancestor.is_dir():
        raise OutputLocationError(
            f"output folder {given} cannot be created: {ancestor} is a file, not a folder"
        )
    if out_dir.is_dir() and any(out_dir.iterdir()):
        _check_replaceable(out_dir, given, target, force, kind)
    try:
        # The files are staged beside the folder and moved into place: the parent (or,
        # when it is missing, the folder it will be made in) must take new entries.
        # Asking the file system is the only test that holds for root, read-only mounts
        # and special folders such as /proc alike.
        Path(tempfile.mkdtemp(prefix=".caseaudit-check.", dir=ancestor)).rmdir()
    except OSError as error:
        where = "the current folder" if out_dir.parent == Path(".") else str(out_dir.parent)
        if ancestor != target.parent:
            where = str(ancestor)
        raise OutputLocationError(
            f"output folder {given} cannot be written: {where} does not accept "
            f"new files{os_words(error)}"
        ) from None


def _check_replaceable(
    out_dir: Path, given: str, target: Path, force: bool, kind: FolderKind
) -> None:
    """A non-empty ``out_dir`` is replaced only when caseaudit wrote all of it, as the
    same kind of folder, and ``force`` is given."""
    manifest = our_manifest(out_dir)
    if manifest is None:
        raise OutputLocationError(
            f"output folder {given} is not empty and caseaudit did not write it (it holds "
            "no caseaudit manifest.json); caseaudit never replaces such a folder, even with "
            "--force: choose a new or empty folder"
        )
    theirs = str(manifest.get("folder", "output"))
    if theirs != kind:
        raise OutputLocationError(
            f"output folder {given} holds caseaudit's {KIND_WORDS.get(theirs, theirs)}, "
            "which this command never replaces: choose another folder"
        )
    foreign = foreign_entries(out_dir, _listed_files(manifest))
    if foreign:
        shown = ", ".join(foreign[:_NAMES_SHOWN]) + (", ..." if len(foreign) > _NAMES_SHOWN else "")
        raise OutputLocationError(
            f"output folder {given} holds files caseaudit did not write ({shown}); "
            "move them elsewhere or choose another folder: caseaudit replaces only "
            "a folder holding nothing but its own earlier files"
        )
    if target in Path.cwd().resolve().parents:
        raise OutputLocationError(
            f"output folder {given} holds the current folder; run from outside it"
        )
    if not force:
        raise OutputLocationError(
            f"output folder {given} holds caseaudit's earlier {KIND_WORDS[kind]}; "
            "pass --force to replace it"
        )


#: errno values whose words help the user; others would only confuse (/proc says ENOENT).
_OS_WORDS = {
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "read-only file system",
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
}


def os_words(error: OSError) -> str:
    words = _OS_WORDS.get(error.errno or 0)
    return f" ({words})" if words else ""


def write_folder(
    out_dir: Path,
    force: bool,
    kind: FolderKind,
    fill: Callable[[Path], object],
    manifest: Mapping[str, object],
) -> None:
    """Write a whole folder, all or nothing: ``fill`` writes the files into a staging
    folder beside ``out_dir``; then ``manifest.json`` (``manifest`` plus the tool, the
    folder's kind and the list of files written) and the move into place. A missing
    parent is made now, after the work; a failure leaves the earlier folder as it was
    and no new folder or staging folder behind (contract §2)."""
    out_dir = Path(out_dir)
    check_output_dir(out_dir, force, kind=kind)
    parent = out_dir.resolve().parent
    made = [p for p in (parent, *parent.parents) if not p.exists()]
    staging: Path | None = None
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=parent))
        fill(staging)
        files = _files_under(staging)
        written = {**manifest, "tool": "caseaudit", "folder": kind, "files": files}
        (staging / MANIFEST).write_text(
            json.dumps(written, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8"
        )
        os.chmod(staging, 0o755)
        _move_into_place(staging, out_dir, parent)
    except OSError as error:
        for folder in made:  # the parents made for this run, innermost first
            if folder.exists() and not any(folder.iterdir()):
                folder.rmdir()
        raise OutputLocationError(
            f"could not write the output files to {out_dir}{os_words(error)}; nothing was written"
        ) from None
    finally:
        if staging is not None and staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _files_under(folder: Path) -> list[str]:
    """The files under ``folder`` as sorted relative POSIX paths. ``os.walk`` tells files
    from folders by the directory entries, without a ``stat`` of each of the tens of
    thousands of notices (``Path.rglob`` and ``is_file`` made one each)."""
    found = []
    for root, _, names in os.walk(folder):
        base = Path(root).relative_to(folder)
        found += [(base / name).as_posix() for name in names]
    return sorted(found)


def _move_into_place(staging: Path, out_dir: Path, parent: Path) -> None:
    """Put the staged entries in place of ``out_dir``'s: a new folder is one rename; an
    existing one (empty, or holding only caseaudit's earlier files, checked before) keeps
    its identity (the current folder stays usable) while its entries are swapped, and on
    any failure the moves are undone, so the earlier files are back as they were."""
    if not out_dir.exists():
        os.replace(staging, out_dir)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old.", dir=parent))
    moved_out: list[str] = []
    moved_in: list[str] = []
    try:
        for entry in sorted(out_dir.iterdir()):
            os.replace(entry, retired / entry.name)
            moved_out.append(entry.name)
        for entry in sorted(staging.iterdir()):
            os.replace(entry, out_dir / entry.name)
            moved_in.append(entry.name)
    except OSError:
        for name in reversed(moved_in):
            os.replace(out_dir / name, staging / name)
        for name in reversed(moved_out):
            os.replace(retired / name, out_dir / name)
        retired.rmdir()
        raise
    shutil.rmtree(retired, ignore_errors=True)
