"""Generated hostile input thrown at every reader (issue 16): configs, replay logs and
journals. Whatever comes in, a reader either accepts it, with nothing absurd getting
through, or refuses it with one line (exit 2); never another exception (a traceback),
never unbounded time (a watchdog per example, a settle guard on the virtual clock) or
memory (tracemalloc's peak per example)."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import math
import signal
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from rich.console import Console

from botdeck.chat.replay import ReplayChat
from botdeck.chat.replay_log import MAX_GAP, MAX_LOG_TIME, ReplayError, load_replay
from botdeck.config import MAX_DELAY, MAX_WAIT, Config, ConfigError, load_config
from botdeck.core.virtual_time import run_virtual
from botdeck.report import ReportError, build_report, render_report, report_json
from tests.harness.cli import run_botdeck

MAX_SECONDS = 30  # per example: only a hang gets near it
MAX_PEAK = 64 << 20  # bytes allocated at once per example; the inputs are a few KB
EXAMPLES = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@contextlib.contextmanager
def bounded() -> Iterator[None]:
    """Fails the example (instead of hanging the suite) past MAX_SECONDS or MAX_PEAK."""

    def overdue(signum: int, frame: Any) -> None:
        raise AssertionError(f"no answer within {MAX_SECONDS}s")

    previous = signal.signal(signal.SIGALRM, overdue)
    signal.alarm(MAX_SECONDS)
    tracemalloc.start()
    try:
        yield
        _, peak = tracemalloc.get_traced_memory()
        assert peak < MAX_PEAK, f"peak {peak / 1e6:.0f} MB"
    finally:
        tracemalloc.stop()
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def refused(error: Exception, path: Path) -> None:
    message = str(error)
    assert "\n" not in message and message.startswith(f"{path}: "), message


# ------------------------------------------------------------------ values
HUGE_FLOATS = st.sampled_from([math.inf, -math.inf, math.nan, 1e300, -1e300, 1e20, 5e-324])
NUMBERS = (
    HUGE_FLOATS
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.integers(-(2**63), 2**63 - 1)
    | st.sampled_from([0, 1, -1, 600, 601, 3600, 3601, 10**12])
)
TEXT = st.text(max_size=40) | st.sampled_from(["\x1b[2J", "[bold]x[/]", "auto", "\u202e"])


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


VALUES = st.recursive(
    NUMBERS | TEXT | st.booleans(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
) | st.integers(50, 400).map(nested)


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return (
            "nan"
            if math.isnan(value)
            else {math.inf: "inf", -math.inf: "-inf"}.get(value, repr(value))
        )
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def sections() -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {}
    for name, spec in Config.model_fields.items():
        model = spec.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):
            keys[name] = list(model.model_fields)
    return keys


SECTIONS = sections()
SETTING = st.sampled_from(sorted(SECTIONS)).flatmap(
    lambda section: st.tuples(st.just(section), st.sampled_from(SECTIONS[section]), VALUES)
)
BOT = st.fixed_dictionaries(
    {"name": st.sampled_from(["pixelsage", "x", "a" * 30, "Bad Name"]) | TEXT},
    optional={"role": TEXT, "temperature": NUMBERS, "max_tokens": NUMBERS},
)


@st.composite
def configs(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["settings", "raw", "deep"]))
    if kind == "raw":
        return draw(st.binary(max_size=300))
    if kind == "deep":
        return ("x = " + "[" * draw(st.integers(100, 5000))).encode()
    lines: list[str] = []
    tables: dict[str, list[str]] = {}
    for section, key, value in draw(st.lists(SETTING, max_size=6)):
        tables.setdefault(section, []).append(f"{key} = {toml_value(value)}")
    for section, rows in tables.items():
        lines += [f"[{section}]", *dict.fromkeys(rows)]
    for bot in draw(st.lists(BOT, min_size=0, max_size=3)):
        lines += ["[[bots]]", *(f"{key} = {toml_value(value)}" for key, value in bot.items())]
    return "\n".join(lines).encode()


def finite_and_bounded(config: Config) -> None:
    router = config.router
    for low, high in config.router.delays.as_mapping().values():
        assert 0 <= low <= high <= MAX_DELAY
    for value in (router.job_timeout, router.ack_target, router.max_age, config.ai.timeout):
        assert math.isfinite(value) and 0 <= value <= MAX_WAIT
    start = config.chat.options.get("replay_start")  # any source: checked by its adapter
    assert start is None or 0 <= start <= MAX_LOG_TIME
    for value in config.chat.options.get("scenario_params", {}).values():
        assert math.isfinite(value)


@EXAMPLES
@given(content=configs())
def test_any_config_is_accepted_sane_or_refused_in_one_line(tmp_path, content):
    path = tmp_path / "botdeck.toml"
    path.write_bytes(content)
    with bounded():
        try:
            config = load_config(path, twitch_ready=False)
        except ConfigError as error:
            refused(error, path)
        else:
            finite_and_bounded(config)


# ------------------------------------------------------------------ replay logs
TIMES = NUMBERS | st.floats(0, 1e10) | st.sampled_from([1.7e9, 1.7e9 + 1, 1.7e12, 2.0**24])
CHAT_TEXT = TEXT | st.sampled_from(["@pixelsage hi", " ".join(["Kappa"] * 450) + " @pixelsage"])


def json_text(value: Any) -> str:
    return json.dumps(value, allow_nan=True)  # NaN and Infinity: Python's json reads them


ROW = st.fixed_dictionaries(
    {"t": TIMES, "user": st.sampled_from(["viewer", "pixelsage", ""]) | TEXT, "text": CHAT_TEXT}
).map(json_text)
JUNK_LINE = (
    st.text(max_size=60)
    | st.integers(100, 3000).map(lambda n: '{"t": 1, "user": "a", "text": ' + "[" * n)
    | st.integers(50, 400).map(lambda n: json.dumps({"t": nested(n), "user": "a", "text": "b"}))
    | st.just("\n" * 50)
)


@st.composite
def replay_files(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(ROW | JUNK_LINE, max_size=30))
    if draw(st.booleans()):  # a TwitchDownloader document of the same lines
        comments = []
        for line in lines:
            try:
                row = json.loads(line)
            except (ValueError, RecursionError):
                comments.append(line)
                continue
            if not isinstance(row, dict):
                comments.append(row)
                continue
            comments.append({
                "content_offset_seconds": row.get("t"),
                "commenter": {"name": row.get("user"), "display_name": row.get("user")},
                "message": {"body": row.get("text")},
            })  # fmt: skip
        text = json_text({"comments": comments})
    else:
        text = "\n".join(lines)
    data = draw(st.sampled_from([b"", b"\xef\xbb\xbf"])) + text.encode("utf-8", "surrogatepass")
    return gzip.compress(data) if draw(st.booleans()) else data


def play(log: Any) -> list[float]:
    """Play the log on the virtual clock; the clock may settle at most twice per line."""
    settles = 0

    def guard() -> None:
        nonlocal settles
        settles += 1
        assert settles <= 2 * len(log.lines) + 10, "the virtual clock spins"

    async def main() -> list[float]:
        import asyncio

        loop = asyncio.get_running_loop()
        return [loop.time() async for _ in ReplayChat(log, bots=["pixelsage"], speed=1.0)]

    return run_virtual(main(), guard)


@EXAMPLES
@given(content=replay_files(), start=st.none() | st.floats(0, 1e10))
def test_any_replay_log_plays_in_bounded_time_or_is_refused_in_one_line(tmp_path, content, start):
    path = tmp_path / "chat.jsonl"
    path.write_bytes(content)
    with bounded():
        try:
            log = load_replay(path, start=start)
        except ReplayError as error:
            refused(error, path)
            return
        times = play(log)
    assert times == sorted(times) and all(math.isfinite(at) for at in times)
    gaps = [later - earlier for earlier, later in zip([0.0, *times], times, strict=False)]
    assert max(gaps) <= MAX_GAP + 1e-6
    assert len(log.warnings) <= 22


# ------------------------------------------------------------------ journals
EVENT = st.fixed_dictionaries(
    {
        "ts": TIMES,
        "event": st.sampled_from(["chat", "enqueued", "started", "sent", "failed", "state"]) | TEXT,
    },
    optional={
        "job": NUMBERS,
        "bot": TEXT,
        "priority": st.sampled_from(["high", "normal", "low"]) | TEXT,
        "msg": TEXT | NUMBERS,
        "text": CHAT_TEXT,
        "reason": TEXT | VALUES,
        "latency": NUMBERS,
        "send_wait": NUMBERS,
        "tokens_in": NUMBERS,
        "tokens_out": NUMBERS,
        "coalesced_into": NUMBERS,
        "state": TEXT,
    },
).map(json_text)


@EXAMPLES
@given(lines=st.lists(EVENT | JUNK_LINE, max_size=40), packed=st.booleans())
def test_any_journal_reports_or_is_refused_in_one_line(tmp_path, lines, packed):
    path = tmp_path / "journal.jsonl"
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    path.write_bytes(gzip.compress(data) if packed else data)
    with bounded():
        try:
            report = build_report(path)
        except ReportError as error:
            refused(error, path)
            return
        render_report(report, Console(file=io.StringIO(), width=100))
        json.dumps(report_json(report), allow_nan=False)


# ------------------------------------------------------------------ the command line
CLI = settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def exits_cleanly(*args: str, tmp_path: Path) -> None:
    env = {"BOTDECK_LOG_DIR": str(tmp_path / "logs"), "PATH": "/usr/bin:/bin"}
    result = run_botdeck(*args, env=env, timeout=60)
    assert result.returncode in (0, 2), result.stderr
    assert "Traceback" not in result.stderr
    if result.returncode == 2:
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.slow
@CLI
@given(config=configs(), replay=replay_files(), journal=st.lists(EVENT | JUNK_LINE, max_size=20))
def test_the_commands_exit_0_or_2_without_a_traceback(tmp_path, config, replay, journal):
    (tmp_path / "botdeck.toml").write_bytes(config)
    (tmp_path / "chat.jsonl").write_bytes(replay)
    (tmp_path / "journal.jsonl").write_text("\n".join(journal), "utf-8", "surrogatepass")
    exits_cleanly("check", "--config", str(tmp_path / "botdeck.toml"), tmp_path=tmp_path)
    exits_cleanly("report", str(tmp_path / "journal.jsonl"), tmp_path=tmp_path)
    sane = tmp_path / "sane.toml"
    sane.write_text('[send_limits]\nenabled = false\n\n[[bots]]\nname = "pixelsage"\n')
    exits_cleanly(
        "rehearse", "--config", str(sane), "--replay", str(tmp_path / "chat.jsonl"), "--json",
        tmp_path=tmp_path,
    )  # fmt: skip
