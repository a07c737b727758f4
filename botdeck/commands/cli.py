"""The argparse entry: `botdeck demo | run | init | check | auth | rewards | rehearse | serve |
report`, each flag checked as it is read, then the command's own module. Bad input exits 2 with one
line on stderr."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from botdeck import __version__
from botdeck.chat.scenarios import SCENARIOS, Scenario, ScenarioError
from botdeck.commands.inputs import EXIT_BAD_INPUT
from botdeck.config import (
    DEMO_BOTS,
    MAX_LOG_TIME,
    ChatConfig,
    ConfigError,
    RouterConfig,
    default_of,
)
from botdeck.storage.files import FileRefused

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
    demo.add_argument(
        "--chaos",
        metavar="PLAN",
        help="a fire drill: play the fault plan PLAN (a TOML file, or `default`: the shipped"
        " 10-minute drill) on the wall clock in the dashboard; headless, on a virtual clock",
    )
    demo.add_argument(
        "--mention-rate",
        type=_mention_rate,
        metavar="R",
        help="add about R mentions a minute of the bots, drawn from the simulated chat's own"
        " questions and viewers (seeded; journaled as synthetic)",
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

    check = commands.add_parser(
        "check",
        help="would `run` start? a checklist with the fix for each problem (exit 0 or 2)",
    )
    check.add_argument("--config", type=Path, help="TOML config (default: ./botdeck.toml)")
    check.add_argument(
        "--probe",
        action="store_true",
        help="also ask the AI server once whether the model answers, and Twitch whether the"
        " channel exists",
    )
    check.add_argument(
        "--print",
        action="store_true",
        help="also print the resolved config (secrets masked) on stdout; the checklist goes"
        " to stderr",
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
        "--chaos",
        metavar="PLAN",
        help="play the night with the faults of the plan PLAN (a TOML file, or `default`:"
        " the shipped drill); the report says what each fault cost",
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


Command = Callable[[argparse.Namespace], int]


def _command(name: str) -> Command:
    """The command's module, imported only when it runs (`serve` alone brings aiohttp,
    `auth` twitchio): `botdeck check` and `--help` stay quick."""
    if name in ("run", "demo"):
        from botdeck.commands.run import run_command

        return run_command
    if name == "init":
        from botdeck.commands.init import init_command

        return init_command
    if name == "check":
        from botdeck.commands.check import check_command

        return check_command
    if name == "auth":
        from botdeck.commands.auth import auth_command

        return auth_command
    if name == "rewards":
        from botdeck.commands.rewards import rewards_command

        return rewards_command
    if name == "report":
        from botdeck.commands.report import report_command

        return report_command
    if name == "rehearse":
        from botdeck.commands.rehearse import rehearse_command

        return rehearse_command
    if name == "serve":
        from botdeck.commands.serve.command import serve_command

        return serve_command
    raise AssertionError(f"no command {name!r}")  # the parser allows only those above


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _command(args.command)(args)
    except (ConfigError, FileRefused) as error:
        print(f"botdeck: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:  # Ctrl+C before a run routes signals: as an emergency stop
        from botdeck.engine import EXIT_STOPPED

        return EXIT_STOPPED


if __name__ == "__main__":
    sys.exit(main())
