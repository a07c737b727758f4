"""The report on a 1 GiB journal: peak memory, time and page size, against the report as
it was before issue 27.4 read the journal into fixed-size aggregates.

The journal is made up on the fly (`tests.fakes.big_journal`: a busy stream of about
six million lines: viewers' chat, mentions of five bots answered, random replies, some
skipped, the bots' replies seen back in chat). Each side runs `botdeck report JOURNAL
--json --html PAGE` as a subprocess (every figure and the page), its peak RSS from
`wait4`. The baseline is botdeck at BASELINE_COMMIT (main before this work), extracted
with `git archive`, under an address-space cap so it cannot take the machine (the issue
measured 5.3 GB for 1 GiB); a baseline that hits the cap is reported as capped.

    python -m benchmarks.report_bench [MEGABYTES] -> JSON
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from benchmarks.hostile_bench import measure
from tests.fakes.big_journal import write_journal

ROOT = Path(__file__).resolve().parent.parent
BASELINE_COMMIT = "6114f70"  # main before the report streamed into bounded aggregates
CAP = 12 << 30  # bytes of address space for the baseline
SIZE_MB = 1024


@contextlib.contextmanager
def baseline_tree(folder: Path) -> Iterator[Path | None]:
    """botdeck before this work, or None when this is no git checkout that has it."""
    target = folder / "baseline"
    target.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", BASELINE_COMMIT, "botdeck"],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        yield None
        return
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    yield target


def run_report(tree: Path, journal: Path, page: Path, logs: Path, cap: int | None) -> dict:
    result = measure(
        ["report", str(journal), "--json", "--html", str(page)], path=tree, logs=logs, cap=cap
    )
    result["page_mb"] = round(page.stat().st_size / 1e6, 2) if page.exists() else None
    return result


def main() -> None:
    size_mb = int(sys.argv[1]) if len(sys.argv) > 1 else SIZE_MB
    results: dict[str, object] = {"journal_mb": size_mb}
    with tempfile.TemporaryDirectory(prefix="botdeck-report-") as name:
        folder = Path(name)
        journal = folder / "journal.jsonl"
        results["lines"] = write_journal(journal, size_mb << 20)
        logs = folder / "logs"
        results["botdeck"] = run_report(ROOT, journal, folder / "ours.html", logs, None)
        with baseline_tree(folder) as old:
            if old is not None:
                results["baseline"] = run_report(old, journal, folder / "old.html", logs, CAP)
    results["cap_mb"] = CAP >> 20
    print(json.dumps(results))


if __name__ == "__main__":
    main()
