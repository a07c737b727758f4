"""Third parties' adapters: a package on `sys.path` whose entry points name a responder
and a chat source is found, checked against its own config table and runs; one that
cannot be used is refused in one line naming it, and botdeck's own go on working."""

from __future__ import annotations

import io
import json
import logging
import os
import textwrap
from pathlib import Path

import pytest

from botdeck.adapters import RESPONDERS, SOURCES, registry
from botdeck.commands.headless import run_headless
from botdeck.config import ConfigError, load_config, parse_config
from botdeck.engine import RunSession, build_engine, preflight
from tests.harness.cli import run_botdeck
from tests.harness.virtual_time import run_virtual

ROOT = Path(__file__).resolve().parents[1]
BOT = "stickyman1776"

# A third party's package: one module, its distribution's metadata, its entry points.
ECHO_MODULE = '''
"""A provider that echoes, and a source that plays lines from the config."""

from __future__ import annotations

import asyncio

from pydantic import Field

from botdeck.ai.adapter import ResponderAdapter, ResponderParts
from botdeck.ai.base import Reply, Responder
from botdeck.ai.retry import Failure
from botdeck.chat.adapter import SourceAdapter, SourceParts
from botdeck.chat.base import ChatSource
from botdeck.core.options import AdapterOptions
from botdeck.model.chat import ChatMessage, ConnectionState, ConnectionStatus


class EchoDown(Exception):
    """The echo service's own failure: its adapter says what it means."""


class EchoOptions(AdapterOptions):
    greeting: str = "echo"
    times: int = Field(1, ge=1, le=3)


class Echo(Responder):
    def __init__(self, options):
        self.options = options

    @property
    def label(self):
        return "echo"

    async def reply(self, request):
        if "down" in request.message.text:
            raise EchoDown("no echo today")
        return Reply(" ".join([self.options.greeting] * self.options.times))


def classify(error):
    if isinstance(error, EchoDown):
        return Failure(f"echo down: {error}", retryable=True)
    return None


RESPONDER = ResponderAdapter(
    EchoOptions, lambda context: ResponderParts(Echo(context.options)), classify=classify
)


class LinesOptions(AdapterOptions):
    lines: list[str]
    every: float = Field(0.01, gt=0)


class Lines(ChatSource):
    def __init__(self, lines, every, clock):
        self._lines, self._every, self._clock = lines, every, clock

    @property
    def connection(self):
        return ConnectionState(ConnectionStatus.SIMULATED)

    async def __aiter__(self):
        for number, text in enumerate(self._lines):
            await asyncio.sleep(self._every)
            yield ChatMessage(f"line-{number}", f"viewer{number}", text, self._clock())


async def probe(context):
    return f"{len(context.options.lines)} lines ready"


SOURCE = SourceAdapter(
    LinesOptions,
    lambda context: SourceParts(
        Lines(context.options.lines, context.options.every, context.clock)
    ),
    probe=probe,
)
'''

BAD_MODULE = """
from botdeck.ai.adapter import ResponderAdapter, ResponderParts
from botdeck.core.options import AdapterOptions
from pydantic import BaseModel


class Loose(BaseModel):  # accepts any key: a typo would pass unseen
    greeting: str = "hi"


class Clashing(AdapterOptions):
    timeout: float = 5.0  # botdeck's own [ai] key


def build(context):
    raise AssertionError("never built")


LOOSE = ResponderAdapter(Loose, build)
CLASHING = ResponderAdapter(Clashing, build)
NOT_AN_ADAPTER = object()
NOT_A_MODEL = ResponderAdapter(dict, build)
"""

ECHO_POINTS = """
[botdeck.responders]
echo = botdeck_echo:RESPONDER

[botdeck.sources]
lines = botdeck_echo:SOURCE
"""

BAD_POINTS = """
[botdeck.responders]
missing = botdeck_gone:ADAPTER
raising = botdeck_raising:ADAPTER
loose = botdeck_bad:LOOSE
clashing = botdeck_bad:CLASHING
nothing = botdeck_bad:NOT_AN_ADAPTER
notmodel = botdeck_bad:NOT_A_MODEL
openai = botdeck_bad:LOOSE
"""


def install(root: Path, dist: str, points: str, modules: dict[str, str]) -> Path:
    """A distribution as an installer leaves it: modules and a `.dist-info` folder with
    `METADATA` and `entry_points.txt`, in `root` (a folder to put on `sys.path`)."""
    root.mkdir(parents=True, exist_ok=True)
    for name, text in modules.items():
        (root / f"{name}.py").write_text(textwrap.dedent(text))
    info = root / f"{dist}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(points)
    return root


@pytest.fixture
def echo_package(tmp_path: Path) -> Path:
    return install(tmp_path / "site", "botdeck_echo", ECHO_POINTS, {"botdeck_echo": ECHO_MODULE})


@pytest.fixture
def bad_package(tmp_path: Path) -> Path:
    modules = {"botdeck_bad": BAD_MODULE, "botdeck_raising": "raise RuntimeError('boom')\n"}
    return install(tmp_path / "bad", "botdeck_bad", BAD_POINTS, modules)


def echo_config(**ai: object) -> dict:
    return {
        "ai": {"provider": "echo", "greeting": "hello there", **ai},
        "chat": {"source": "lines", "lines": [f"@{BOT} hi", "no mention", f"@{BOT} down?"]},
        "router": {"random_reply_chance": 0.0, "delays": {"high": [0.0, 0.0]}},
        "send_limits": {"enabled": False},
        "bots": [{"name": BOT}],
    }


# ------------------------------------------------------------------ a good one
def test_a_third_partys_adapters_are_found_with_their_own_config_tables(echo_package, monkeypatch):
    monkeypatch.syspath_prepend(str(echo_package))
    assert "echo" in registry().names(RESPONDERS) and "lines" in registry().names(SOURCES)
    assert "echo" not in registry().own(RESPONDERS)
    config = parse_config(echo_config(times=2))
    assert config.ai.adapter_options().model_dump() == {"greeting": "hello there", "times": 2}
    with pytest.raises(ConfigError, match=r"^<config>: ai\.times: .*less than or equal to 3"):
        parse_config(echo_config(times=9))
    with pytest.raises(ConfigError, match=r"^<config>: ai\.colour: unknown key$"):
        parse_config(echo_config(colour="red"))
    missing = echo_config()
    del missing["chat"]["lines"]
    with pytest.raises(ConfigError, match=r"^<config>: chat\.lines: missing \(required\)$"):
        parse_config(missing)


def test_a_run_with_a_third_partys_provider_and_source(echo_package, monkeypatch):
    """The engine builds both from their entries and reads the provider's own failure
    with its `classify` (a transient outage, not an internal error)."""
    monkeypatch.syspath_prepend(str(echo_package))
    config = parse_config(echo_config(outage_wait=0))
    journal = io.StringIO()
    engine = build_engine(config, journal_stream=journal)
    code = run_virtual(run_headless(RunSession(engine)))
    events = [json.loads(row) for row in journal.getvalue().splitlines()]
    assert code == 0
    assert [e["text"] for e in events if e["event"] == "sent"] == ["@viewer0 hello there"]
    [failed] = [e for e in events if e["event"] == "failed"]
    assert failed["reason"] == "echo down: no echo today"
    assert engine.snapshot().responder == "echo"


def test_botdeck_run_finds_a_third_partys_adapters_on_its_path(echo_package, tmp_path):
    config = tmp_path / "botdeck.toml"
    config.write_text(
        '[ai]\nprovider = "echo"\ngreeting = "from afar"\n'
        f'[chat]\nsource = "lines"\nlines = ["@{BOT} hi"]\n'
        f'[send_limits]\nenabled = false\n[[bots]]\nname = "{BOT}"\n'
    )
    journal = tmp_path / "run.jsonl"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(echo_package), str(ROOT)]),
           "BOTDECK_LOG_DIR": str(tmp_path / "logs")}  # fmt: skip
    result = run_botdeck(
        "run", "--headless", "--config", str(config), "--journal", str(journal), env=env
    )
    assert result.returncode == 0, result.stderr
    events = [json.loads(row) for row in journal.read_text().splitlines()]
    assert [e["text"] for e in events if e["event"] == "sent"] == ["@viewer0 from afar"]
    checked = run_botdeck("check", "--probe", "--print", "--config", str(config), env=env)
    assert checked.returncode == 0, checked.stderr
    assert 'provider = "echo"\ngreeting = "from afar"\ntimes = 1' in checked.stdout
    assert checked.stderr.splitlines() == [
        f"✓ config: {config} is valid (1 bot; chat: lines; replies: echo)",
        "✓ ai.provider: echo is ready",
        "✓ ai.provider: echo has no server to ask (--probe)",
        "✓ chat: 1 lines ready",
        "botdeck check: ready: `botdeck run` would start",
    ]


# ------------------------------------------------------------------ bad ones
@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("missing", "cannot be loaded: ModuleNotFoundError: No module named 'botdeck_gone'"),
        ("raising", "cannot be loaded: RuntimeError: boom"),
        ("loose", "declares a bad config table: it must refuse unknown keys"),
        ("notmodel", "declares a bad config table: not a pydantic model"),
        ("clashing", "declares a bad config table: 'timeout' is botdeck's own [ai] key"),
        ("nothing", "is not a ResponderAdapter: object"),
    ],
)
def test_an_adapter_that_cannot_be_used_is_refused_in_one_line_naming_it(
    bad_package, monkeypatch, name, says
):
    monkeypatch.syspath_prepend(str(bad_package))
    with pytest.raises(ConfigError) as refused:
        parse_config({"ai": {"provider": name}, "bots": [{"name": BOT}]}, source="b.toml")
    message = str(refused.value)
    assert message.startswith(f"b.toml: ai.provider: the provider {name!r} (botdeck_")
    assert "from botdeck_bad)" in message and says in message
    assert "\n" not in message


def test_botdecks_own_adapters_work_beside_broken_ones(bad_package, monkeypatch, caplog):
    """Broken entries are never imported unless named; one that takes botdeck's own
    name is ignored with a warning, and botdeck's keeps the name."""
    monkeypatch.syspath_prepend(str(bad_package))
    with caplog.at_level(logging.WARNING, logger="botdeck.adapters"):
        found = registry()
    [warning] = [r.getMessage() for r in caplog.records]
    assert warning == (
        "botdeck.responders: 'openai' (botdeck_bad:LOOSE from botdeck_bad) is ignored:"
        " the name is botdeck's own"
    )
    assert found.own(RESPONDERS) == ["offline", "openai"]
    config = parse_config({"ai": {"provider": "openai", "api_key_env": ""},
                           "bots": [{"name": BOT}]})  # fmt: skip
    assert config.ai.adapter_options().model_dump()["base_url"] == "https://api.openai.com/v1"
    demo = parse_config({"chat": {"scenario": "raid"}, "bots": [{"name": BOT}]})
    preflight(demo)
    journal = io.StringIO()
    engine = build_engine(demo, journal_stream=journal)
    assert run_virtual(run_headless(RunSession(engine))) == 0
    assert any(json.loads(row)["event"] == "sent" for row in journal.getvalue().splitlines())


def test_botdeck_check_refuses_a_broken_adapter_in_one_line(bad_package, tmp_path):
    path = tmp_path / "b.toml"
    path.write_text(f'[ai]\nprovider = "raising"\n[[bots]]\nname = "{BOT}"\n')
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(bad_package), str(ROOT)])}
    result = run_botdeck("check", "--config", str(path), env=env)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [  # one line each: the shadow, the refusal
        "botdeck.responders: 'openai' (botdeck_bad:LOOSE from botdeck_bad) is ignored:"
        " the name is botdeck's own",
        f"botdeck: {path}: ai.provider: the provider 'raising' (botdeck_raising:ADAPTER from"
        " botdeck_bad) cannot be loaded: RuntimeError: boom",
    ]


def test_an_unknown_source_lists_what_is_installed(echo_package, monkeypatch, tmp_path):
    monkeypatch.syspath_prepend(str(echo_package))
    path = tmp_path / "b.toml"
    path.write_text(f'[chat]\nsource = "irc"\n[[bots]]\nname = "{BOT}"\n')
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    assert str(refused.value).endswith(
        "chat.source: unknown source 'irc' (available: lines, replay, simulated, twitch)"
    )
