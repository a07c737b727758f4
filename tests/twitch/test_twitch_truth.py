"""The screen tells the truth about Twitch (issue 20): sends that keep failing and reading
that never started are said in the header, the alert line and the headless summary, in
the same words, with the real twitchio client against the loopback fake.
"""

from __future__ import annotations

import io

from botdeck.commands.headless import exit_line, print_summary
from botdeck.model.chat import ConnectionStatus
from botdeck.model.snapshot import EngineSnapshot
from botdeck.tui.widgets.status import alert_lines
from tests.harness.twitch import Run, engine_for, faster
from tests.harness.waiting import until

DUPLICATE = (
    "msg_duplicate",
    "Your message was not sent because it is identical to the previous one you sent,"
    " less than 30 seconds ago.",
)


def shown(run: Run) -> tuple[str, list[str], str]:
    """What the operator reads: the header's chat part, the alert lines, the summary."""
    snap: EngineSnapshot = run.engine.snapshot()
    summary = io.StringIO()
    print_summary(run.engine, summary)
    return (
        snap.connection.describe(),
        [line.plain for line in alert_lines(snap, 20)],
        (summary.getvalue()),
    )


async def test_sends_failing_in_a_row_say_so_with_twitchs_words_until_one_goes_out(
    fake, monkeypatch
):
    run = engine_for(fake, monkeypatch)
    run.chat.settings = faster(run.chat)
    async with run:
        assert shown(run)[0] == "reading connected · sending ok"
        fake.script(
            {"drop": DUPLICATE},  # Twitch answers 200 and drops it
            {"status": 400, "message": "Message cannot be replied to"},  # refused
            {"status": 500, "message": "Internal Server Error"},  # temporary: retried...
            {"status": 500, "message": "Internal Server Error"},  # ...and failed again
            {"drop": DUPLICATE},
        )
        for n in range(4):
            msg = await fake.say("viewer", f"@alpha_bot question {n}")
            assert (await run.outcome_of(msg))[0] == "failed"
        assert [s.status for s in fake.sent] == [200, 400, 500, 500, 200]  # every one failed

        header, alerts, summary = shown(run)
        failing = f"sending failing: 5 in a row ({DUPLICATE[0]}: {DUPLICATE[1]})"
        assert header == f"reading connected · {failing}"
        assert alerts == [f"! chat: {header}"]
        assert f"  chat: {header}\n" in summary
        # The adapter alone believed all was well: any answer from Twitch cleared it.
        assert run.chat.connection.sending == "ok"

        msg = await fake.say("viewer", "@beta_bot one that goes out")
        assert await run.outcome_of(msg) == ("sent", None)
        header, alerts, summary = shown(run)
        assert header == "reading connected · sending ok"
        assert alerts == []
        assert "chat:" not in summary


async def test_the_count_says_the_latest_failure_in_twitchs_words(fake, monkeypatch):
    run = engine_for(fake, monkeypatch)
    async with run:
        refusal = {"status": 400, "message": "Message \x1b[31mtoo\x1b[0m long"}  # untrusted
        fake.script({"drop": DUPLICATE}, refusal)
        for n in range(2):
            msg = await fake.say("viewer", f"@alpha_bot again {n}")
            assert (await run.outcome_of(msg))[0] == "failed"
        failing = run.engine.snapshot().connection.failing
        assert failing is not None and failing.count == 2
        assert failing.reason == "Twitch refused the message (HTTP 400: Message too long)"


async def test_reading_that_never_starts_says_why_on_screen_and_at_the_end(fake, monkeypatch):
    fake.refuse_subscriptions = (400, "The subscription type and version are not supported")
    run = engine_for(fake, monkeypatch)
    run.chat.settings = faster(run.chat)
    why = (
        "every EventSub subscription was refused:"
        " HTTP 400: The subscription type and version are not supported"
    )
    async with run:
        await until(
            lambda: run.chat.connection.status is ConnectionStatus.FAILED,
            what="reading failed after a few refusals",
        )
        header, alerts, _ = shown(run)
        assert header.startswith(f"reading failed: {why} · sending ")
        assert alerts == [f"! chat: {header}"]
        assert run.engine.snapshot().connection.never_read == why
        assert {status for _, status in fake.subscribe_attempts} == {400}
    # After the run (the summary is printed once the connection is closed).
    _, _, summary = shown(run)
    assert f"  chat: never started: {why}\n" in summary
    assert exit_line(run.engine) == f"0 chat lines: {why}"


async def test_a_refusal_after_reading_once_is_not_never_read(fake, monkeypatch):
    run = engine_for(fake, monkeypatch)
    run.chat.settings = faster(run.chat)
    async with run:
        fake.refuse_subscriptions = (400, "no more")
        await fake.drop()
        await until(lambda: run.chat.connection.status is ConnectionStatus.FAILED)
        state = run.engine.snapshot().connection
        assert state.never_read is None
        assert state.reason == "Twitch refused the chat subscription (HTTP 400: no more)"
    assert run.engine.snapshot().connection.never_read is None
    assert exit_line(run.engine) is None
