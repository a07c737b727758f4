"""`botdeck init`: a first config from a few answers (asked in a terminal, or given as flags).

The answers become a commented TOML file that is parsed back with the real config parser
before anything is written, so what `init` writes is what `botdeck check` accepts. An
existing file is never replaced without `--force`; the check happens before the first
question, so nobody answers everything to be told no at the end.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TextIO

from botdeck.commands.inputs import EXIT_BAD_INPUT
from botdeck.config import (
    LOCAL_CONFIG,
    LOGIN,
    MAX_BOTS,
    BotConfig,
    ConfigError,
    RouterConfig,
    TwitchConfig,
    auto_limits,
    default_of,
    http_url,
    parse_config,
    toml_value,
)
from botdeck.model.defaults import TWITCH_SEND_LIMITS
from botdeck.model.presets import PRESETS, AIPreset
from botdeck.storage.files import AlreadyExists, FileRefused, check_writable_target, write_atomic
from botdeck.storage.paths import config_file

DEFAULT_PERSONA: str = default_of(BotConfig, "persona")
MAX_PERSONA = 300  # characters: one line; a longer persona is edited in the file


class InitCancelled(Exception):
    """The person stopped answering (end of input): nothing is written."""


@dataclass(frozen=True, slots=True)
class Given:
    """What the flags answered in advance; None (or no bots) is asked, or defaulted."""

    channel: str | None = None
    bots: tuple[tuple[str, str], ...] = ()
    preset: AIPreset | None = None
    model: str | None = None
    base_url: str | None = None
    client_id: str | None = None


@dataclass(frozen=True, slots=True)
class Answers:
    channel: str
    bots: tuple[tuple[str, str], ...]  # (login, persona)
    preset: AIPreset
    model: str = ""
    base_url: str = ""
    client_id: str = ""


# ------------------------------------------------------------------ checking answers
def check_login(value: str, what: str) -> str:
    value = value.strip().lstrip("@")
    if not LOGIN.fullmatch(value):
        raise ValueError(
            f"{what}: expected a Twitch login (3-25 letters, digits, _), got {value!r}"
        )
    return value.lower()


def check_persona(value: str) -> str:
    """One line of plain text (spaces squeezed), or the default when empty."""
    persona = " ".join(value.split())
    if not persona.isprintable():
        raise ValueError("persona: control characters are not allowed")
    if len(persona) > MAX_PERSONA:
        raise ValueError(f"persona: at most {MAX_PERSONA} characters here (edit the file for more)")
    return persona or DEFAULT_PERSONA


def parse_bot(spec: str) -> tuple[str, str]:
    """`NAME` or `NAME: persona` (a login has no ':' or '=', so the first one splits)."""
    cut = min((i for i in (spec.find(":"), spec.find("=")) if i >= 0), default=len(spec))
    return check_login(spec[:cut], "--bot"), check_persona(spec[cut + 1 :])


def check_url(value: str, what: str) -> str:
    try:
        return http_url(value.strip())
    except ValueError as error:
        raise ValueError(f"{what}: {error}") from None


# ------------------------------------------------------------------ the file
def _default(table: type[RouterConfig | TwitchConfig | BotConfig], key: str, why: str) -> str:
    """`key = its default  # why`: the value from the schema, never written here twice."""
    return _commented(f"{key} = {toml_value(default_of(table, key))}", why)


def _auto_table() -> str:
    """What "auto" means, from `config.auto_limits`: "1-2 bots 5 replies at once and 2 per
    bot, 3-5 bots 8 and 2, more 10 and 1"."""
    spans: list[tuple[int, int, tuple[int, int]]] = []
    for bots in range(1, MAX_BOTS + 1):
        limits = auto_limits(bots)
        if spans and spans[-1][2] == limits:
            spans[-1] = (spans[-1][0], bots, limits)
        else:
            spans.append((bots, bots, limits))
    parts = []
    for index, (low, high, (total, per_bot)) in enumerate(spans):
        who = f"{low}-{high} bots" if index < len(spans) - 1 else "more"
        what = (
            f"{total} replies at once and {per_bot} per bot"
            if index == 0
            else f"{total} and {per_bot}"
        )
        parts.append(f"{who} {what}")
    return ", ".join(parts)


def render(answers: Answers) -> str:
    """The commented config for these answers; every default shown is the schema's."""
    secret_env = default_of(TwitchConfig, "client_secret_env")
    limits = TWITCH_SEND_LIMITS
    auto = _auto_table().split(", ", 1)
    lines = [
        f"# botdeck config, written by `botdeck init` on {date.today().isoformat()}.",
        "# `botdeck check` validates it; every key is explained in the README, Configuration.",
        "",
        "[chat]",
        'source = "twitch"             # "simulated": made-up chat; "replay": a chat log',
        _commented(f"channel = {toml_value(answers.channel)}", "the broadcaster's login"),
        "",
        "[twitch]",
        "# Your Twitch application, registered once at https://dev.twitch.tv/console/apps",
        "# (README, From zero to live, step 4). Its secret goes in the environment, never here:",
        f"#   export {secret_env}=...",
        f"client_id = {toml_value(answers.client_id)}",
        f"client_secret_env = {toml_value(secret_env)}",
        _default(TwitchConfig, "redirect_uri", "register exactly this URL"),
        "",
        *_ai_lines(answers),
        "",
        "[router]",
        f'# "auto" follows the number of bots: {auto[0]},',
        f"# {auto[1]}",
        _default(RouterConfig, "global_concurrency", "replies being written at once"),
        _default(RouterConfig, "per_bot_concurrency", "of them for one bot"),
        _default(
            RouterConfig, "random_reply_chance", "a line without a mention gets a reply this often"
        ),
        _default(
            RouterConfig, "ack_target", "seconds within which every mention should be answered"
        ),
        "",
        "# One [[bots]] per persona, each its own Twitch account (README, From zero to live, 3).",
    ]
    for name, persona in answers.bots:
        lines += [
            "",
            "[[bots]]",
            f"name = {toml_value(name)}",
            f"persona = {toml_value(persona)}",
            _default(BotConfig, "role", '"vip" or "moderator" once you make it one in your'),
            f"{'':<29} # chat: it may then send {limits.privileged} messages per "
            f"{limits.window:g} s, not {limits.viewer}",
        ]
    return "\n".join(lines) + "\n"


def _ai_lines(answers: Answers) -> list[str]:
    preset = answers.preset
    model = answers.model or preset.model
    head = ["[ai]", f"# {preset.label}: {preset.note_for(model)}"]
    if preset.provider == "offline":
        return [
            *head,
            f"provider = {toml_value(preset.provider)}",
            '# For a model: provider = "openai" and base_url, model (and api_key_env for a',
            "# key); `botdeck init --help` lists the presets for OpenAI and local servers.",
        ]
    key = preset.api_key_env
    key_note = "the variable that holds the key" if key else "no key needed"
    lines = [
        *head,
        _commented(f"provider = {toml_value(preset.provider)}", "any OpenAI-compatible server"),
        f"base_url = {toml_value(answers.base_url or preset.base_url)}",
        f"model = {toml_value(model)}",
        _commented(f"api_key_env = {toml_value(key)}", key_note),
    ]
    if preset.key != "openai":
        lines.append("# local servers have no /moderations: keep [safety] moderation off")
    return lines


def _commented(pair: str, comment: str) -> str:
    return f"{pair:<29} # {comment}"


def validate(text: str, path: Path, *, twitch_ready: bool) -> None:
    """The file as `botdeck check` would read it; a failure here is a bug in `render`."""
    parse_config(tomllib.loads(text), source=str(path), twitch_ready=twitch_ready)


def write_config(path: Path, text: str, *, force: bool) -> None:
    """Create the file, or replace it only with `force`: whole or not at all, never over
    what is not a regular file (`files.write_atomic`; a full disk leaves nothing behind)."""
    try:
        write_atomic(path, text, replace=force, what="config file")
    except AlreadyExists:
        raise ConfigError(refusal(path)) from None
    except FileRefused as error:
        raise ConfigError(str(error)) from None


def refusal(path: Path) -> str:
    return f"{path}: already exists; `botdeck init --force` replaces it"


def next_steps(path: Path) -> str:
    option = "" if path in (LOCAL_CONFIG, config_file()) else f" --config {path}"
    steps = [
        (f"botdeck auth{option}", "log in as each bot account and as you (once)"),
        (f"botdeck rehearse{option} --replay CHAT.json", "your bots on a past stream's chat"),
        (f"botdeck run{option}", "go live"),
    ]
    width = max(len(command) for command, _ in steps)
    return "\n".join(["next:", *(f"  {c:<{width}}  # {why}" for c, why in steps)])


# ------------------------------------------------------------------ asking
Ask = Callable[[str], str]


class Interview:
    """The questions, re-asked until an answer is valid; flags answer some in advance."""

    def __init__(self, ask: Ask, out: TextIO) -> None:
        self._ask = ask
        self._out = out

    def say(self, text: str = "") -> None:
        print(text, file=self._out)

    def answer(self, question: str, check: Callable[[str], str], default: str = "") -> str:
        shown = f"{question} [{default}]: " if default else f"{question}: "
        while True:
            try:
                raw = self._ask(shown).strip()
            except EOFError:
                raise InitCancelled from None
            try:
                return check(raw or default)
            except ValueError as error:
                self.say(f"  {error}")

    def channel(self) -> str:
        return self.answer("Your channel (the broadcaster's Twitch login)",
                           lambda v: check_login(v, "channel"))  # fmt: skip

    def bots(self) -> tuple[tuple[str, str], ...]:
        self.say("Each bot is its own Twitch account (README, From zero to live, step 3).")
        bots: list[tuple[str, str]] = []
        while True:
            done = "; Enter when done" if bots else ""
            name = self.answer(f"Bot account login{done}", lambda v: v if (bots and not v)
                               else check_login(v, "bot"))  # fmt: skip
            if not name:
                return tuple(bots)
            if name in (bot for bot, _ in bots):
                self.say(f"  {name} is already listed")
                continue
            persona = self.answer(f"  {name}'s persona, one line", check_persona, DEFAULT_PERSONA)
            bots.append((name, persona))

    def preset(self) -> AIPreset:
        self.say("Where do the replies come from?")
        choices = list(PRESETS.values())
        for number, preset in enumerate(choices, start=1):
            where = f"  {preset.base_url}" if preset.base_url else ""
            self.say(f"  {number}) {preset.label}{where}")

        def pick(value: str) -> str:
            if value.isdigit() and 1 <= int(value) <= len(choices):
                return choices[int(value) - 1].key
            if value in PRESETS:
                return value
            raise ValueError(f"expected 1-{len(choices)}, got {value!r}")

        return PRESETS[self.answer("Choose", pick, "1")]

    def client_id(self) -> str:
        self.say("Your Twitch application's Client ID (register one at")
        self.say("https://dev.twitch.tv/console/apps: README, From zero to live, step 4).")
        return self.answer("Client ID (Enter to add it later)", str.strip)


def interview(given: Given, ask: Ask, out: TextIO) -> Answers:
    """Ask for whatever the flags did not give."""
    talk = Interview(ask, out)
    channel = given.channel or talk.channel()
    bots = given.bots or talk.bots()
    preset = given.preset or talk.preset()
    model, base_url = given.model or "", given.base_url or ""
    if preset.provider == "openai":
        model = model or talk.answer("Model", str.strip, preset.model)
        if preset.key != "openai":
            base_url = base_url or talk.answer(
                "Server URL", lambda v: check_url(v, "URL"), preset.base_url
            )
        talk.say(f"  {preset.note_for(model)}")
    client_id = given.client_id if given.client_id is not None else talk.client_id()
    return Answers(channel, bots, preset, model, base_url, client_id)


def from_flags(given: Given) -> Answers:
    """Scripted: every answer from flags; a missing required one is a ConfigError."""
    if not given.channel:
        raise ConfigError("init: --channel: required when not run in a terminal (there it asks)")
    if not given.bots:
        raise ConfigError("init: --bot: required when not run in a terminal (there it asks)")
    return Answers(
        given.channel,
        given.bots,
        given.preset or PRESETS["offline"],
        given.model or "",
        given.base_url or "",
        given.client_id or "",
    )


def run_init(
    given: Given,
    path: Path,
    *,
    force: bool,
    interactive: bool,
    out: TextIO = sys.stdout,
    ask: Ask = input,
) -> int:
    """Ask (or take the flags), write the config, say what comes next. Exit code 0."""
    try:  # before the first question: a FIFO, a device, a file where a folder must be
        check_writable_target(path, what="config file")
    except FileRefused as error:
        raise ConfigError(str(error)) from None
    if path.exists() and not force:
        raise ConfigError(refusal(path))
    if interactive:
        print(f"botdeck init: a config for your channel, saved to {path}", file=out)
        answers = interview(given, ask, out)
    else:
        answers = from_flags(given)
    text = render(answers)
    validate(text, path, twitch_ready=bool(answers.client_id))
    write_config(path, text, force=force)
    print(f"\nwrote {path}", file=out)
    if not answers.client_id:
        print(
            "twitch.client_id is empty: `botdeck check` and `botdeck run` ask for it until you"
            " register the application (`botdeck auth` shows the steps) and fill it in",
            file=out,
        )
    print(next_steps(path), file=out)
    return 0


def init_command(args: argparse.Namespace) -> int:
    """`botdeck init`: the flags' answers, where to write, then `run_init`."""
    given = given_from_flags(
        channel=args.channel,
        bots=args.bot,
        provider=args.provider,
        model=args.model,
        base_url=args.base_url,
        client_id=args.client_id,
    )
    path = args.config or (config_file() if args.user else LOCAL_CONFIG)
    try:
        return run_init(given, path, force=args.force, interactive=sys.stdin.isatty())
    except InitCancelled:
        print("\nbotdeck init: cancelled, nothing written", file=sys.stderr)
        return EXIT_BAD_INPUT


def given_from_flags(
    *,
    channel: str | None,
    bots: Sequence[str] | None,
    provider: str | None,
    model: str | None,
    base_url: str | None,
    client_id: str | None,
) -> Given:
    """The command line's answers, checked (a bad one is a ConfigError naming the flag)."""
    try:
        _check_provider_flags(provider, model=model, base_url=base_url)
        parsed = tuple(parse_bot(spec) for spec in bots or ())
        if len({name for name, _ in parsed}) != len(parsed):
            raise ValueError("--bot: the same account is listed twice")
        return Given(
            channel=check_login(channel, "--channel") if channel else None,
            bots=parsed,
            preset=PRESETS[provider] if provider else None,
            model=model.strip() if model else None,
            base_url=check_url(base_url, "--base-url") if base_url else None,
            client_id=client_id.strip() if client_id is not None else None,
        )
    except ValueError as error:
        raise ConfigError(f"init: {error}") from None


def _check_provider_flags(provider: str | None, *, model: str | None, base_url: str | None) -> None:
    """--model and --base-url refine a provider: without one (or with `offline`, which has
    neither) they would be dropped without a word, so they are refused."""
    given = [flag for flag, value in (("--model", model), ("--base-url", base_url)) if value]
    if not given:
        return
    if provider is None:
        raise ValueError(
            f"{given[0]}: needs --provider (e.g. --provider openai; `botdeck init --help`"
            " lists them)"
        )
    if PRESETS[provider].provider == "offline":
        raise ValueError(f"{given[0]}: --provider {provider} has no model or server to set")
