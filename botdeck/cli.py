"""Command line: `botdeck demo | run | check | auth | rewards | rehearse | report`. Bad
input exits 2 with one line on stderr."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from botdeck import __version__
from botdeck.chat.scenarios import SCENARIOS, Scenario, ScenarioError
from botdeck.config import (
    DEMO_BOTS,
    MAX_LOG_TIME,
    ChatConfig,
    Config,
    ConfigError,
    RouterConfig,
    default_config_path,
    default_of,
    demo_config,
    find_config,
    load_config,
    render_config,
)
from botdeck.files import FileRefused

if TYPE_CHECKING:
    from botdeck.engine import RunOptions
    from botdeck.tui.themes import ThemeSet

EXIT_BAD_INPUT = 2


MAX_DURATION = 31 * 86_400.0  # --duration: a month-long run is the longest that makes sense


class _Parser(argparse.ArgumentParser):
    """Bad arguments are one line, like every other bad input: usage only with --help."""

    def error(self, message: str) -> NoReturn:
        message = message.removeprefix("argument ")
        self.exit(EXIT_BAD_INPUT, f"botdeck: {message} (see `{self.prog} --help`)\n")


def _bounded_seconds(most: float) -> Callable[[str], float]:
    def seconds(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
        if not 0 <= value <= most:  # nan and inf fail this too
            raise argparse.ArgumentTypeError(
                f"expected a number of seconds >= 0 and <= {most:,.0f}, got {text}"
            )
        return value

    return seconds


_duration = _bounded_seconds(MAX_DURATION)
_start = _bounded_seconds(MAX_LOG_TIME)
_ack_target = _bounded_seconds(86_400.0)  # report --html: the mention latency line


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a speed factor, got {text!r}") from None
    if not 0 < value <= 1000:
        raise argparse.ArgumentTypeError(f"expected a factor > 0 and <= 1000, got {text}")
    return value


MAX_MENTION_RATE = 600.0  # --mention-rate: ten a second is already a raid


def _mention_rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected mentions per minute, got {text!r}") from None
    if not 0 < value <= MAX_MENTION_RATE:
        raise argparse.ArgumentTypeError(
            f"expected mentions per minute > 0 and <= {MAX_MENTION_RATE:g}, got {text}"
        )
    return value


def _as_bot(text: str) -> tuple[str, str]:
    """`OLD=bot`: a login in the log, and one of the configured bots."""
    old, equals, bot = text.partition("=")
    login = r"[A-Za-z0-9_]{1,25}"
    if not equals or not re.fullmatch(login, old) or not re.fullmatch(login, bot):
        raise argparse.ArgumentTypeError(f"expected OLD=bot (two logins), got {text!r}")
    return old.lower(), bot.lower()


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port 0-65535, got {text!r}")
    return int(text)


def _bot_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of bots, got {text!r}") from None
    if not 1 <= value <= len(DEMO_BOTS):
        raise argparse.ArgumentTypeError(f"expected 1..{len(DEMO_BOTS)}, got {value}")
    return value


def _scenario(text: str) -> Scenario:
    try:
        return Scenario.parse(text)
    except ScenarioError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="botdeck",
        description="Run several AI chat-bot personas in one Twitch channel, from a dashboard.",
    )
    parser.add_argument("--version", action="version", version=f"botdeck {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add_run_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--headless", action="store_true", help="no dashboard: journal and summary"
        )
        sub.add_argument("--duration", type=_duration, help="drain and end after S seconds")
        sub.add_argument(
            "--journal",
            type=Path,
            help="append the JSONL journal to PATH (default: a new file per run in [journal] dir)",
        )
        sub.add_argument("--theme", help="dashboard theme (twitch, low-glare, high-contrast, …)")

    demo = commands.add_parser("demo", help="the dashboard on simulated chat (no account needed)")
    demo.add_argument("--bots", type=_bot_count, default=3, help="how many personas (1-8)")
    demo.add_argument(
        "--scenario",
        type=_scenario,
        default=None,
        metavar="NAME[:KEY=VALUE,...]",
        help=f"simulated chat: {', '.join(SCENARIOS)}; e.g. raid:viewers=300,within=2",
    )
    demo.add_argument(
        "--seed",
        type=int,
        help=f"seed for chat and every random choice (default {default_of(ChatConfig, 'seed')})",
    )
    add_run_options(demo)

    add_init_command(commands)

    run = commands.add_parser("run", help="run from a config file")
    run.add_argument("--config", type=Path, help="TOML config (default: ./botdeck.toml)")
    run.add_argument(
        "--no-resume",
        action="store_true",
        help="do not answer again the mentions a crashed or stopped run left (they expire)",
    )
    add_run_options(run)

    check = commands.add_parser("check", help="validate and print the resolved config")
    check.add_argument("--config", type=Path, help="TOML config (default: ./botdeck.toml)")
    check.add_argument(
        "--probe", action="store_true", help="also ask the AI server once whether the model answers"
    )

    auth = commands.add_parser("auth", help="authorize the bot accounts and the broadcaster")
    auth.add_argument("--config", type=Path, help="TOML config (default: ./botdeck.toml)")
    auth.add_argument(
        "--status", action="store_true", help="list each account's scopes and expiry, no tokens"
    )
    auth.add_argument(
        "--no-browser", action="store_true", help="print the links instead of opening a browser"
    )
    auth.add_argument(
        "--device",
        action="store_true",
        help="log in on any other device with a code (Device Code Flow): for SSH and servers",
    )

    rewards = commands.add_parser("rewards", help="channel-point rewards that ask a bot")
    rewards_verbs = rewards.add_subparsers(dest="rewards_command", required=True, metavar="VERB")
    create = rewards_verbs.add_parser(
        "create",
        help='make the "Ask <bot>" rewards of [events.redeem] with botdeck\'s client id'
        " (only its own rewards can be fulfilled or refunded)",
    )
    create.add_argument("--config", type=Path, help="TOML config (default: ./botdeck.toml)")

    rehearse = commands.add_parser(
        "rehearse", help="replay a chat log against your bots, headless, then report"
    )
    rehearse.add_argument("--config", type=Path, help="TOML config (default: ./botdeck.toml)")
    rehearse.add_argument(
        "--replay",
        type=Path,
        required=True,
        metavar="FILE",
        help="the chat log: botdeck JSONL, TwitchDownloader JSON, raw Twitch IRC,"
        " recent-messages JSON or a Chatterino text log",
    )
    rehearse.add_argument("--speed", type=_speed, help="play the log X times faster")
    rehearse.add_argument("--start", type=_start, help="start S seconds into the log")
    rehearse.add_argument(
        "--live-ai", action="store_true", help="use the configured AI (default: offline replies)"
    )
    rehearse.add_argument(
        "--journal", type=Path, help="keep the journal at PATH (default: a temporary file)"
    )
    rehearse.add_argument("--duration", type=_duration, help="drain and end after S seconds")
    rehearse.add_argument(
        "--real-time",
        action="store_true",
        help="run on the wall clock (offline rehearsals otherwise run on a virtual one)",
    )
    rehearse.add_argument("--json", action="store_true", help="the report as JSON")
    rehearse.add_argument(
        "--mention-rate",
        type=_mention_rate,
        metavar="R",
        help="add about R mentions a minute of your bots, drawn from the log's own questions"
        " and viewers (seeded; journaled as synthetic)",
    )
    rehearse.add_argument(
        "--as",
        dest="as_bots",
        type=_as_bot,
        action="append",
        default=[],
        metavar="OLD=BOT",
        help="treat the name OLD in the log as your bot BOT (mentions of OLD name BOT; OLD's"
        " own lines are left out); may be given more than once",
    )

    serve = commands.add_parser(
        "serve",
        help="the dashboard in a browser (this machine only, unless --host: then a token)",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8000, help="port to listen on (8000)")
    served = serve.add_mutually_exclusive_group()
    served.add_argument("--config", type=Path, help="TOML config (default: ./botdeck.toml)")
    served.add_argument("--demo", action="store_true", help="serve the demo instead")
    serve.add_argument("--theme", help="dashboard theme")
    serve.add_argument("--journal", type=Path, help="append each run's journal to PATH")

    report = commands.add_parser("report", help="how a run went, from its journal")
    report.add_argument(
        "journal",
        type=Path,
        nargs="?",
        metavar="JOURNAL",
        help="a journal file (default: the latest run's, in [journal] dir)",
    )
    report.add_argument("--json", action="store_true", help="machine-readable output")
    report.add_argument(
        "--html", type=Path, metavar="FILE", help="write the report as one page with charts"
    )
    ack_target = default_of(RouterConfig, "ack_target")
    report.add_argument(
        "--ack-target",
        type=_ack_target,
        default=ack_target,
        metavar="S",
        help=f"the mention latency line in --html (default {ack_target:g}, the config's)",
    )
    return parser


def add_init_command(commands: argparse._SubParsersAction[_Parser]) -> None:
    from botdeck.model.presets import PRESETS

    init = commands.add_parser(
        "init",
        help="write a first config (asks in a terminal; flags for scripts)",
        description="Write a commented config: ./botdeck.toml unless --user or --config. "
        "In a terminal it asks for what the flags do not give.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="providers:\n"
        + "\n".join(f"  {key:9} {p.label} {p.base_url}" for key, p in PRESETS.items()),
    )
    init.add_argument("--channel", help="the broadcaster's Twitch login")
    init.add_argument(
        "--bot",
        action="append",
        metavar="NAME[:PERSONA]",
        help="a bot account's login and one line of persona (repeat for each bot)",
    )
    init.add_argument("--provider", choices=list(PRESETS), help="where replies come from")
    init.add_argument("--model", help="the model name (default: the provider's usual one)")
    init.add_argument("--base-url", help="the server's URL (default: the provider's usual one)")
    init.add_argument("--client-id", help="your Twitch application's Client ID")
    where = init.add_mutually_exclusive_group()
    where.add_argument("--config", type=Path, help="write to PATH instead of ./botdeck.toml")
    where.add_argument(
        "--user", action="store_true", help="write to the user config directory instead"
    )
    init.add_argument("--force", action="store_true", help="replace an existing file")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "init":
            return _init(args)
        if args.command == "check":
            return _check(args)
        if args.command == "auth":
            return _auth(args)
        if args.command == "rewards":
            return _rewards(args)
        if args.command == "report":
            return _report(args)
        if args.command == "rehearse":
            return _rehearse(args)
        if args.command == "serve":
            return _serve(args)
        config = _config_for(args)
        themes = _themes(args.theme)  # checked the same way headless or not
        if args.headless:
            return _headless(config, args)
        return _dashboard(config, args, themes)
    except (ConfigError, FileRefused) as error:
        print(f"botdeck: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:  # Ctrl+C before a run routes signals: as an emergency stop
        from botdeck.engine import EXIT_STOPPED

        return EXIT_STOPPED


def _config_for(args: argparse.Namespace) -> Config:
    if args.command == "demo":
        # The dashboard's demo keeps chat going (the config's scenario); headless defaults
        # to the finite raid.
        scenario = args.scenario or ("raid" if args.headless else None)
        return demo_config(bots=args.bots, scenario=scenario, seed=args.seed)
    return _load(args.config)


def _themes(name: str | None) -> ThemeSet | None:
    """`--theme` means the same in every mode: an unknown theme is refused before anything
    runs, also headless (where it does not show), so a script that works headless does
    not fail the day it runs with the dashboard."""
    if name is None:
        return None  # the dashboard finds its themes itself; nothing to import headless
    from botdeck.tui.factory import available_themes, check_theme

    themes = available_themes()
    check_theme(name, themes)
    return themes


def _load(path: Path | None, adjust: Callable[[Config], Config] | None = None) -> Config:
    """The config file (`adjust`ed, for a rehearsal), checked as far as it can be before
    anything runs."""
    from botdeck.engine import preflight

    path = find_config(path)
    # A rehearsal replaces the chat source: a Twitch config need not be complete for it.
    config = load_config(path, twitch_ready=adjust is None)
    if adjust is not None:
        config = adjust(config)
    try:
        preflight(config)  # the API key is set, the blocklist file reads
    except ConfigError as error:
        raise ConfigError(f"{path}: {error}") from None
    return config


def _check(args: argparse.Namespace) -> int:
    from botdeck.engine import check_source
    from botdeck.headless import print_warnings

    config = _load(args.config)
    print(render_config(config))
    checked = check_source(config)  # what the source says beyond its keys (a replay's size)
    for note in checked.notes:
        print(f"# {note}", file=sys.stderr)
    print_warnings(checked.warnings, sys.stderr)
    if args.probe:
        _probe(config)
    return 0


def _probe(config: Config) -> None:
    """One request through the configured provider (and the source, if it has something
    to ask); a refusal or no answer exits 2."""
    import time

    from botdeck.engine import probe, probe_source

    source = asyncio.run(probe_source(config))
    if source is not None:
        print(f"# probe: chat source {config.chat.source!r}: {source[:60]!r}", file=sys.stderr)
    started = time.monotonic()
    probed = asyncio.run(probe(config))
    took = time.monotonic() - started
    if probed is None:
        print(f"# probe: provider {config.ai.provider!r} has no server to call", file=sys.stderr)
        return
    answer = probed.answer[:60]
    print(f"# probe: {probed.where} answered in {took:.2f} s: {answer!r}", file=sys.stderr)


def _init(args: argparse.Namespace) -> int:
    from botdeck.config import LOCAL_CONFIG, user_config_file
    from botdeck.init import InitCancelled, given_from_flags, run_init

    given = given_from_flags(
        channel=args.channel,
        bots=args.bot,
        provider=args.provider,
        model=args.model,
        base_url=args.base_url,
        client_id=args.client_id,
    )
    path = args.config or (user_config_file() if args.user else LOCAL_CONFIG)
    try:
        return run_init(given, path, force=args.force, interactive=sys.stdin.isatty())
    except InitCancelled:
        print("\nbotdeck init: cancelled, nothing written", file=sys.stderr)
        return EXIT_BAD_INPUT


def _auth(args: argparse.Namespace) -> int:
    from botdeck.auth import run_auth

    # Not yet runnable is fine here: auth is how a Twitch config gets there.
    config = load_config(find_config(args.config), twitch_ready=False)
    if args.device and not args.status:
        from botdeck.auth import run_device_auth

        return run_device_auth(config)
    return run_auth(config, show_status=args.status, open_browser=not args.no_browser)


def _rewards(args: argparse.Namespace) -> int:
    from botdeck.rewards import run_rewards_create

    return run_rewards_create(load_config(find_config(args.config)))


def _report(args: argparse.Namespace) -> int:
    from botdeck.rehearse import print_report
    from botdeck.report import ReportError

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
    import json

    from botdeck.files import check_writable_target
    from botdeck.report import build_report, report_json
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


def _serve(args: argparse.Namespace) -> int:
    """Everything the dashboard would refuse is refused here, before a browser connects."""
    from botdeck.serve import serve

    if args.demo:
        command = ["demo"]
    else:
        path = find_config(args.config)
        _load(path)
        command = ["run", "--config", str(path.resolve())]
    if args.theme is not None:
        _themes(args.theme)
        command += ["--theme", args.theme]
    if args.journal is not None:
        from botdeck.files import check_writable_target

        try:  # each session appends to it: refused now, not once a browser connects
            check_writable_target(args.journal, _files_read(args), "journal")
        except FileRefused as error:
            raise ConfigError(f"--journal: {error}") from None
        command += ["--journal", str(args.journal.resolve())]
    return serve(command, args.host, args.port)


def _rehearse(args: argparse.Namespace) -> int:
    from botdeck.logs import setup_logging
    from botdeck.rehearse import Rehearsal, rehearsal_config, rehearse

    rehearsal = Rehearsal(
        replay=args.replay,
        speed=args.speed,
        start=args.start,
        live_ai=args.live_ai,
        journal=args.journal,
        duration=args.duration,
        as_json=args.json,
        real_time=args.real_time,
        mention_rate=args.mention_rate,
        as_bots=tuple(args.as_bots),
    )
    config = _load(args.config, adjust=lambda config: rehearsal_config(config, rehearsal))
    setup_logging()
    return rehearse(config, rehearsal, reads=_files_read(args))


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


def _files_read(args: argparse.Namespace) -> tuple[Path, ...]:
    """The config file this command reads: a journal is never appended to it (the run
    adds the files its config names: a replay, a blocklist)."""
    if getattr(args, "config", None) is not None or args.command in ("run", "rehearse"):
        with contextlib.suppress(ConfigError):  # the demo, `serve --demo`: no config
            return (find_config(args.config),)
    return ()


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
        reads=_files_read(args),
    )


def _headless(config: Config, args: argparse.Namespace) -> int:
    from botdeck.engine import open_run
    from botdeck.headless import exit_line, print_summary, print_warnings, run_headless
    from botdeck.logs import setup_logging

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
    from botdeck.logs import setup_logging
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


if __name__ == "__main__":
    sys.exit(main())
