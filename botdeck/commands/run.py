"""`botdeck run` and `botdeck demo`: a run from a config file (or the demo's made-up one),
under the dashboard or headless. They only choose the run's options; `engine.open_run`
does the rest.

`demo --mention-rate R` gives the simulated chat about R more mentions a minute, drawn as a
rehearsal's (`engine.demo_source`) and journaled as `synthetic`; `run` has no such flag:
nothing made up reaches a live channel.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from botdeck.commands.inputs import checked_themes, files_read, load_checked
from botdeck.config import Config, demo_config

if TYPE_CHECKING:
    from botdeck.chaos import FaultPlan
    from botdeck.engine import RunOptions, SourceParts
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
        # to the finite raid, or with `--mention-rate` to the mixed chat's minute (the
        # raid is over in seconds; synthetic mentions play while the chat does, drawn
        # from its questions and regulars).
        # A drill plays the dashboard's chat headless too: its faults need chat all along.
        finite = args.headless and args.chaos is None
        headless_default = "raid" if args.mention_rate is None else "mixed"
        scenario = args.scenario or (headless_default if finite else None)
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


def _demo_source(
    config: Config, args: argparse.Namespace, options: RunOptions, notes: list[str]
) -> SourceParts | None:
    """`demo --mention-rate`'s chat (None: the config's, as `run` and a plain demo play it)."""
    from botdeck.engine import demo_source

    rate = getattr(args, "mention_rate", None)  # `run` has no such flag
    return demo_source(
        config, rate, clock=options.clock, keep_open=options.demo, endless=options.demo,
        notes=notes,
    )  # fmt: skip


def _print_notes(notes: list[str]) -> None:
    for note in notes:
        print(f"botdeck: demo: {note}", file=sys.stderr)


def _headless(config: Config, args: argparse.Namespace) -> int:
    from botdeck.commands.headless import exit_line, print_summary, print_warnings, run_headless
    from botdeck.engine import open_run
    from botdeck.storage.logs import setup_logging

    setup_logging()
    options = _run_options(args, headless=True)
    if getattr(args, "chaos", None) is not None:
        return _headless_drill(config, args, options)
    notes: list[str] = []
    source = _demo_source(config, args, options, notes)
    with open_run(config, options, source=source) as session:
        engine = session.engine
        print_warnings(engine.source_warnings, sys.stderr)
        _print_notes(notes)
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
    if getattr(args, "chaos", None) is not None:
        return _dashboard_drill(config, args, themes)
    options = _run_options(args, headless=False)
    notes: list[str] = []  # printed after the dashboard: the screen is Textual's
    source = _demo_source(config, args, options, notes)
    with open_run(config, options, source=source) as session:
        app = create_app(
            session, config, demo=args.command == "demo", theme=args.theme, themes=themes
        )
        code = asyncio.run(run_dashboard(app))
    if app.exit_note:
        print(f"botdeck: {app.exit_note}")
    _print_notes(notes)
    if session.journal is not None:
        print(f"botdeck: journal: {session.journal.path}")
    return code


def _headless_drill(config: Config, args: argparse.Namespace, options: RunOptions) -> int:
    """`demo --chaos PLAN --headless`: the drill with nobody watching, on a virtual clock
    (offline replies and simulated chat wait on nothing), so ten minutes take seconds. It
    ends at `--duration`, else at the plan's `length` (faults after it do not happen)."""
    from dataclasses import replace

    from botdeck.chaos import Drill, load_plan
    from botdeck.commands.headless import exit_line, print_summary, print_warnings
    from botdeck.core.virtual_time import VirtualTimeLoop, run_virtual, wall_clock

    plan = load_plan(args.chaos)
    duration = args.duration if args.duration is not None else drill_length(plan)
    loop = VirtualTimeLoop()
    options = replace(options, demo=True, duration=duration, clock=wall_clock(loop))
    notes: list[str] = []
    drill = Drill(config, plan, options, source=_demo_source(config, args, options, notes))
    try:
        with drill.opened() as first:
            print_warnings(first.engine.source_warnings, sys.stderr)
            _print_notes(notes)
            code = run_virtual(drill.play(), loop=loop)
            assert drill.session is not None
            engine = drill.session.engine
            summary = sys.stderr if options.journal_on_stdout else sys.stdout
            print_summary(engine, summary)
            journal = drill.journal
            print(f"  drill: {len(plan.faults)} faults, {drill.lives} runs", file=summary)
            if journal is not None and first.journal is not None:
                print(f"  {lost_line(journal, first.journal.offset)}", file=summary)
                print(f"  journal: {journal}", file=summary)
    finally:
        if not loop.is_closed():
            loop.close()  # the plan or the chat could not be read: nothing ran on it
    if (why := exit_line(engine)) is not None:
        print(f"botdeck: {why}", file=sys.stderr)
    return code


def lost_line(journal: Path, offset: int) -> str:
    """The drill's `lost: N mentions`, from its journal, and where the rest is."""
    from botdeck.report import build_report

    faults = build_report(journal, offset=offset).faults
    lost = faults.lost if faults is not None else 0
    noun = "mention" if lost == 1 else "mentions"
    return f"lost: {lost:,} {noun} (`botdeck report {journal}` says what each fault cost)"


def drill_length(plan: FaultPlan) -> float:
    """How long a drill lasts without `--duration`: the plan's `length`, else a minute
    past its last fault's end."""
    if plan.length is not None:
        return plan.length
    ends = [fault.at + (fault.span or 0.0) for fault in plan.faults]
    return max(ends, default=0.0) + 60.0


def _dashboard_drill(config: Config, args: argparse.Namespace, themes: ThemeSet | None) -> int:
    """`demo --chaos PLAN`: the fire drill on the wall clock in the dashboard. A crash fault
    kills the run and a new one, resumed from the journal, comes back under the same
    dashboard (`BotdeckApp.replace_session`): the operator sees what a restart looks like
    (what it resumed, the queues refilled) without losing the screen they practise on."""
    from botdeck.chaos import Drill, load_plan
    from botdeck.tui.factory import create_app
    from botdeck.tui.run import run_dashboard

    plan = load_plan(args.chaos)
    options = _run_options(args, headless=False)
    notes: list[str] = []
    source = _demo_source(config, args, options, notes)
    drill = Drill(config, plan, options, source=source, operator=False)
    with drill.opened() as session:
        app = create_app(session, config, demo=True, theme=args.theme, themes=themes)
        night = drill.beside(run_dashboard(app), app.replace_session, start=app.call_later)
        code = asyncio.run(night)
        last = drill.session or session
    if app.exit_note:
        print(f"botdeck: {app.exit_note}")
    _print_notes(notes)
    if last.journal is not None:
        print(f"botdeck: journal: {last.journal.path}")
    return code
