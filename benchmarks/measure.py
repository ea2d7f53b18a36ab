"""Run one ``caseaudit`` command in this process and report its peak memory.

``python benchmarks/measure.py REPORT.json allocate DATA --month M --out OUT``: the
command runs as P&Q run it (``caseaudit.cli.main``), then this writes the exit code and
the peak resident memory of the whole process to REPORT.json. The caller times the
process from outside, so interpreter start and imports count.
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path


def main() -> None:
    report, arguments = Path(sys.argv[1]), sys.argv[2:]
    from caseaudit.cli.main import cli

    code = 0
    try:
        cli.main(args=arguments, prog_name="caseaudit", standalone_mode=False)
    except SystemExit as stop:
        code = int(stop.code or 0)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report.write_text(json.dumps({"exit": code, "peak_mib": peak_kib / 1024}))


if __name__ == "__main__":
    main()
