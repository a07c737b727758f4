"""`botdeck report` on figures no run writes and journals no memory holds (issue 27.4):
hostile numbers are bad lines, never a 309-digit p95; `--json` is strict JSON; a closed
pipe ends quietly; memory does not grow with the journal."""

from __future__ import annotations

import io
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from botdeck.report import build_report, render_report, report_json
from botdeck.report.html import report_html
from tests.harness.cli import run_botdeck
from tests.harness.journals import JOURNAL, chat, job, write

ROOT = Path(__file__).resolve().parents[2]

HOSTILE = [
    chat(0.0, "m1", "v1", "@a hi"),
    job(0.0, "enqueued", 1, "a", "high", "m1"),
    job(2.0, "sent", 1, "a", "high", "m1", text="hey", send_wait=1e308, tokens_out=-5),
    job(3.0, "sent", 2, "a", "high", "gone", text="x", latency=1e308, send_wait=-1e308),
    job(4.0, "sent", 3, "a", "high", "gone", text="y", latency=-1.0, tokens_in=10**400),
    job(5.0, "sent", 4, "a", "high", "gone", text="z", latency=1.5, send_wait=0.25),
]


def strict(text: str) -> object:
    """JSON as the spec has it: `Infinity` and `NaN` are no JSON."""

    def refuse(name: str) -> None:
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def rendered(report) -> str:
    out = io.StringIO()
    render_report(report, Console(file=out, width=120, highlight=False))
    return out.getvalue()


def test_figures_out_of_range_are_bad_lines_never_figures(tmp_path):
    journal = write(tmp_path, HOSTILE)
    report = build_report(journal)
    # Only the plausible figures count: one latency each way (2.0 s from the line, 1.5 s
    # from the field), waits of 0.25 s, no negative tokens.
    assert report.latency_by_priority["high"].count == 2
    assert report.latency_by_priority["high"].max == 2.0
    assert (report.send_wait.total, report.send_wait.max) == (0.25, 0.25)
    assert report.tokens.total.tokens_out == 0 and report.tokens.total.tokens_in == 0
    assert report.outcomes["sent"] == 4  # the replies went out; only the figures are bad
    assert report.notes == [
        'line 3: "send_wait" out of range (1e+308; 0 to 604,800), "tokens_out" out of range '
        "(-5; 0 to 10,000,000): left out",
        'line 4: "send_wait" out of range (-1e+308; 0 to 604,800), "latency" out of range '
        "(1e+308; 0 to 604,800): left out",
        'line 5: "tokens_in" out of range (1.000e+400; 0 to 10,000,000), "latency" out of '
        "range (-1; 0 to 604,800): left out",
    ]
    # The notes name the bad values; the path may hold anything ("pytest-5").
    figures = rendered(report).split("\nnotes\n")[0].replace(str(journal), "")
    for absurd in ("inf", "e+30", "-5", "100,000,000,000"):
        assert absurd not in figures
    assert "waited 0.25s in all" in figures and "tokens none recorded" in figures
    page = report_html(report, ack_target=60.0).split("<h2>Notes</h2>")[0]
    page = page.replace(str(journal), "")
    for absurd in ("inf", "e+30", "-5", "100,000,000,000"):
        assert absurd not in page


@pytest.mark.parametrize(
    "line",
    [
        '{"ts": 1' + "0" * 400 + ', "event": "state", "state": "running"}',
        '{"ts": Infinity, "event": "state", "state": "running"}',
        '{"ts": NaN, "event": "state", "state": "running"}',
        '{"ts": 1795000001, "event": "sent", "job": -3, "bot": "a", "priority": "high", '
        '"msg": null, "text": "x"}',
        '{"ts": 1795000001, "event": "sent", "job": 1' + "0" * 400 + ', "bot": "a", '
        '"priority": "high", "msg": null, "text": "x"}',
    ],
)
def test_a_line_whose_required_number_is_absurd_is_skipped_with_a_note(tmp_path, line):
    report = build_report(write(tmp_path, [JOURNAL[0], line + "\n", *JOURNAL[1:]]))
    assert len(report.notes) == 1 and report.notes[0].startswith("line 2: ")
    assert report.notes[0].endswith(": skipped")
    assert report.mentions.answered == 2


def test_report_json_is_strict_json_whatever_the_journal_says(tmp_path):
    journal = write(tmp_path, [*HOSTILE, '{"ts": 1795000009, "event": "sent", "job": 9, '
                               '"bot": "a", "priority": "low", "msg": null, "text": "x", '
                               '"latency": Infinity, "send_wait": NaN}\n'])  # fmt: skip
    result = run_botdeck("report", str(journal), "--json", env=_env(tmp_path))
    assert result.returncode == 0, result.stderr
    data = strict(result.stdout)
    assert isinstance(data, dict)
    assert data["send_wait"]["total"] == 0.25
    assert data["latency_by_priority"]["high"]["p95"] == 2.0
    assert report_json(build_report(journal)) == {**data, "journal": str(journal)}


@pytest.mark.parametrize("extra", [["--json"], []])
def test_a_closed_pipe_ends_quietly(tmp_path, extra):
    """`botdeck report --json | head -1`: the reader leaves before the report is written."""
    journal = write(tmp_path, JOURNAL * 40)
    proc = subprocess.Popen(
        [sys.executable, "-m", "botdeck", "report", str(journal), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(tmp_path),
        cwd=tmp_path,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # nobody reads: every write meets a closed pipe
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 1, stderr  # as Rich and Python's docs have it
    assert stderr == ""


def test_a_closed_pipe_after_the_first_line_ends_quietly(tmp_path):
    from tests.fakes.big_journal import write_journal

    journal = tmp_path / "journal.jsonl"
    write_journal(journal, 3 << 20)  # its JSON is larger than a pipe holds
    result = subprocess.run(
        f"{sys.executable} -m botdeck report {journal} --json | head -1",
        shell=True,
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.stdout == "{\n"
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr


MEASURE = """
import json, resource, sys
from pathlib import Path
from botdeck.report import build_report, report_json
from botdeck.report.html import report_html
report = build_report(Path(sys.argv[1]))
page = report_html(report, ack_target=60.0)
print(json.dumps({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "page_bytes": len(page.encode()), "chat_lines": report.chat_lines,
                  "json_bytes": len(json.dumps(report_json(report)))}))
"""


def _measure(tmp_path: Path, megabytes: int) -> tuple[int, dict]:
    from tests.fakes.big_journal import write_journal

    journal = tmp_path / f"big-{megabytes}.jsonl"
    lines = write_journal(journal, megabytes << 20)
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, str(journal)],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        cwd=ROOT,
        timeout=600,
        check=False,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30)),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    journal.unlink()
    return lines, json.loads(result.stdout)


@pytest.mark.slow
def test_memory_does_not_grow_with_the_journal(tmp_path):
    """A journal of 200 MB (a busy 28-hour stream) is reported in about the memory one of
    20 MB takes; before, the report held every chat line and job: 290 MB here, 1.5 times
    the journal, and a 4 MB page. The page stays small now. (Measured as the growth from
    the small journal to the large one, in the same conditions: the process's peak RSS
    alone varied with what else the machine ran: 41 MB alone, 137 MB once under load.)"""
    _, small = _measure(tmp_path, 20)
    lines, measured = _measure(tmp_path, 200)
    assert measured["chat_lines"] > lines // 2
    assert measured["peak_mb"] - small["peak_mb"] < 40, (small, measured)
    assert measured["peak_mb"] < 200, measured  # the goal, set for 1 GiB
    assert measured["page_bytes"] < 1 << 20, measured
    assert measured["json_bytes"] < 1 << 20, measured


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "BOTDECK_LOG_DIR": str(tmp_path / "logs"), "PYTHONPATH": str(ROOT)}
