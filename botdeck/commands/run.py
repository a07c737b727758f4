"""`botdeck run` and `botdeck demo`: a run from a config file (or the demo's made-up one),
under the dashboard or headless. They only choose the run's options; `engine.open_run`
does the rest.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING

from botdeck.commands.inputs import checked_themes, files_read, load_checked
from botdeck.config import Config, demo_config

if TYPE_CHECKING:
    from botdeck.engine import RunOptions
    from botdeck.tui.themes import ThemeSet


def run_command(args: argparse.Namespace) -> int:
    config = config_for(args)
    themes = checked_themes(args.theme)  # checked the same way headless or not
    if args.headless:
        return _headless(config, args)
    return _dashboard(config, args, themes)


def config_for(args: argparse.Namespace) -> Config:
    if args.command == "demo":
        # The dashboard's demo keeps chat going (the config's scenario); headless defaults
        # to the finite raid.
        scenario = args.scenario or ("raid" if args.headless else None)
        return demo_config(bots=args.bots, scenario=scenario, seed=args.seed)
    return load_checked(args.config)


def _run_options(args: argparse.Namespace, *, headless: bool) -> RunOptions:
    """What `run` and `demo` choose for their run; `open_run` does the rest."""
    from botdeck.engine import AppendTo, NewPerRun, Resume, RunOptions

    demo = args.command == "demo"
    # The demo's chat is made up, and `--no-resume` says so: the previous run's open jobs
    # get their outcome, none is answered again.
    answer = not demo and not args.no_resume
    resume = Resume.ANSWER if answer else Resume.CLOSE
    return RunOptions(
        journal=NewPerRun() if args.journal is None else AppendTo(args.journal),
        journal_on_stdout=headless and args.journal is None,  # the contract
        resume=resume,
        demo=demo and not headless,
        watched=not headless,
        duration=args.duration,
        reads=files_read(args),
        exclusive=not demo,  # one `botdeck run` per channel and client id
    )


def _headless(config: Config, args: argparse.Namespace) -> int:
    from botdeck.commands.headless import exit_line, print_summary, print_warnings, run_headless
    from botdeck.engine import open_run
    from botdeck.storage.logs import setup_logging

    setup_logging()
    options = _run_options(args, headless=True)
    with open_run(config, options) as session:
        engine = session.engine
        print_warnings(engine.source_warnings, sys.stderr)
        code = asyncio.run(run_headless(session))
        summary = sys.stderr if options.journal_on_stdout else sys.stdout
        print_summary(engine, summary)
        if session.journal is not None:
            print(f"  journal: {session.journal.path}", file=summary)
    if (why := exit_line(engine)) is not None:
        print(f"botdeck: {why}", file=sys.stderr)
    return code


def _dashboard(config: Config, args: argparse.Namespace, themes: ThemeSet | None) -> int:
    from botdeck.engine import open_run
    from botdeck.storage.logs import setup_logging
    from botdeck.tui.factory import create_app
    from botdeck.tui.run import run_dashboard

    setup_logging()  # to a file: Textual owns the terminal
    with open_run(config, _run_options(args, headless=False)) as session:
        app = create_app(
            session, config, demo=args.command == "demo", theme=args.theme, themes=themes
        )
        code = asyncio.run(run_dashboard(app))
    if app.exit_note:
        print(f"botdeck: {app.exit_note}")
    if session.journal is not None:
        print(f"botdeck: journal: {session.journal.path}")
    return code
