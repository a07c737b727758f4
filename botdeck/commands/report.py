"""`botdeck report`: how a run went, from its journal: for people (Rich), programs (JSON)
or a browser (`--html`, one self-contained page). Without a journal, the latest run's."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path
from typing import TextIO

from rich.console import Console

from botdeck.config import (
    ChatConfig,
    ConfigError,
    default_config_path,
    default_of,
    demo_config,
    load_config,
)
from botdeck.report import ReportError, build_report, render_report, report_json
from botdeck.storage.files import FileRefused, check_writable_target


def report_command(args: argparse.Namespace) -> int:
    path = args.journal or _latest_run()
    try:
        if args.html is not None:
            _report_page(path, args.html, args.ack_target, as_json=args.json)
        else:
            print_report(path, as_json=args.json, out=sys.stdout)
        sys.stdout.flush()
    except ReportError as error:
        raise ConfigError(str(error)) from None  # bad input: one line, exit 2
    except BrokenPipeError:  # `report | head`: the reader left; quietly, exit 1 as Rich
        _stdout_to_nowhere()  # does (and as Python's docs advise), not a traceback
        return 1
    return 0


def print_report(
    path: Path, *, as_json: bool, out: TextIO, offset: int = 0, title: str | None = None
) -> None:
    """The report on a journal, for people (Rich) or programs (JSON)."""
    report = build_report(path, offset=offset, title=title)
    if as_json:
        print(json.dumps(report_json(report), indent=2, ensure_ascii=False), file=out)
    else:
        render_report(report, Console(file=out, highlight=False))


def _stdout_to_nowhere() -> None:
    """After a closed pipe, what is still buffered goes nowhere, so the interpreter's last
    flush at exit does not print a second BrokenPipeError."""
    import os

    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _report_page(journal: Path, page: Path, ack_target: float, *, as_json: bool) -> None:
    """`--html`: the page, one line saying where (and the JSON too with --json)."""
    from botdeck.report.html import write_html

    try:  # before the journal is read: never over it, a device or a FIFO
        check_writable_target(page, [journal], "report page")
    except FileRefused as error:
        raise ConfigError(f"--html: {error}") from None
    report = build_report(journal, ack_target=ack_target)
    write_html(report, page, ack_target=ack_target, inputs=[journal])
    if as_json:
        print(json.dumps(report_json(report), indent=2, ensure_ascii=False))
    print(f"wrote {page}: one page, opens in any browser without a network", file=sys.stderr)


def _latest_run() -> Path:
    """`botdeck report` without a journal: the newest run in `[journal] dir` (from the
    config file when there is one) that was not a demo, else the newest demo."""
    from botdeck.engine import latest_run_journal

    config_path = default_config_path()
    config = load_config(config_path, twitch_ready=False) if config_path.exists() else demo_config()
    demo = default_of(ChatConfig, "channel")  # the demo's: it answers in no real channel
    directory, latest = latest_run_journal(config, besides=demo)
    said = ""
    if latest is None:
        directory, latest = latest_run_journal(config)
        said = " (a demo: no other run there yet)"
    if latest is None:
        raise ConfigError(f"no journal in {directory} yet: name one (botdeck report JOURNAL)")
    print(f"botdeck: the latest run: {latest}{said}", file=sys.stderr)
    return latest
