"""What every manifest says about where a result came from: the installed versions and
the inputs' hashes (contract §5)."""

from __future__ import annotations

from importlib import metadata

from caseaudit.model.dataset import Dataset


def package_version(package: str) -> str:
    """The installed version of ``package``, or ``unknown`` (running from a source tree)."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


def input_hashes(data: Dataset) -> dict[str, str]:
    """Each input file read, and the config if one was, by name: its SHA-256, by name."""
    inputs = {s.file_name: s.sha256 for s in data.sources.values()}
    if data.config_source is not None:
        inputs[data.config_source.file_name] = data.config_source.sha256
    return dict(sorted(inputs.items()))
