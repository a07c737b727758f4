"""Channel-point questions on a virtual clock: answered means FULFILLED, any other end
CANCELED (refunded), a reward botdeck did not create is said so and never fails the
reply, and a run's end waits for every fate to be told."""

from __future__ import annotations

import asyncio
import json

from botdeck.ai.base import Reply, ReplyRequest, Responder, ResponderError
from botdeck.engine import SourceParts
from botdeck.model.chat import ConnectionState, ConnectionStatus
from botdeck.model.stream import ChannelEvent, EventKind, RedemptionStatus, Reward
from tests.harness.engine import Recording, Sink, make_engine, reactions
from tests.harness.virtual_time import now, run_virtual

BOTS = ("alpha", "beta")


class Desk:
    """The platform's side: what each redemption was marked; rewards it did not let
    botdeck create are refused, as Twitch refuses them."""

    def __init__(self, foreign: frozenset[str] = frozenset()) -> None:
        self.marked: dict[str, RedemptionStatus] = {}
        self.foreign = foreign
        self.calls = 0

    async def settle(self, redemption: str, reward: Reward, status: RedemptionStatus) -> str | None:
        self.calls += 1
        await asyncio.sleep(0.05)  # Helix's round trip
        if reward.id in self.foreign:
            return f"reward {reward.title!r} was not created by botdeck"
        self.marked[redemption] = status
        return None


ON = reactions(redeem={"enabled": True})


def redemption(number: int, reward: Reward, text: str = "what game is this?") -> ChannelEvent:
    return ChannelEvent(
        EventKind.REDEEM, f"red{number}", 0.0, user=f"viewer{number}", message=text, reward=reward
    )


ASK_ALPHA = Reward("reward-a", "Ask alpha", 500)


def run(desk: Desk, responder: Responder, *events: ChannelEvent, **settings: object):
    async def main():
        router, journal = make_engine(
            BOTS,
            responder=responder,
            sink=Sink(),
            delays=1.0,
            source=SourceParts(NoSource(), rewards=desk),
            asks={"Ask alpha": "alpha", "Ask beta": "beta"},
            reactions=ON,
            journal_clock=now,
            **settings,
        )
        for item in events:
            router.take(item)
        await router.wait_idle()
        counts = router.snapshot().events
        await router.close()
        return counts, [json.loads(row) for row in journal.getvalue().splitlines()]

    return run_virtual(main())


class NoSource:
    """A source with nothing to say (the events come in through `take`)."""

    connection = ConnectionState(ConnectionStatus.SIMULATED)
    notices = ()

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    def stop_playing(self) -> None: ...

    def undelivered(self) -> tuple[()]:
        return ()

    def __aiter__(self):
        return self._none()

    async def _none(self):
        return
        yield


def test_an_answered_question_is_fulfilled_and_journaled_with_its_job():
    desk, recording = Desk(), Recording()
    counts, journal = run(desk, recording, redemption(1, ASK_ALPHA))
    assert desk.marked == {"red1": RedemptionStatus.FULFILLED}
    [request] = recording.requests
    assert request.bot == "alpha" and request.event_kind is EventKind.REDEEM
    assert request.event == "viewer1 spent channel points to ask you: what game is this?"
    [sent] = [line for line in journal if line["event"] == "sent"]
    [fate] = [line for line in journal if line["event"] == "redemption"]
    assert fate == {"ts": fate["ts"], "event": "redemption", "id": "red1",
                    "status": "FULFILLED", "job": sent["job"]}  # fmt: skip
    assert sent["text"].startswith("@viewer1 ")
    assert (counts.fulfilled, counts.refunded) == (1, 0)


def test_a_question_that_cannot_be_answered_is_refunded():
    class Failing(Responder):
        label = "failing"

        async def reply(self, request: ReplyRequest) -> Reply:
            raise ResponderError("the model refused")

    desk = Desk()
    counts, journal = run(desk, Failing(), redemption(1, ASK_ALPHA))
    assert desk.marked == {"red1": RedemptionStatus.CANCELED}
    assert [line["status"] for line in journal if line["event"] == "redemption"] == ["CANCELED"]
    assert (counts.fulfilled, counts.refunded) == (0, 1)


def test_other_rewards_are_journaled_but_not_answered_nor_settled():
    desk, recording = Desk(), Recording()
    hydrate = Reward("reward-h", "Hydrate!", 100)
    _, journal = run(desk, recording, redemption(1, hydrate))
    assert not recording.requests and desk.calls == 0
    assert [line["kind"] for line in journal if line["event"] == "channel_event"] == ["redeem"]


def test_a_reward_botdeck_did_not_create_is_answered_and_said_so():
    desk = Desk(foreign=frozenset({"reward-a"}))
    _, journal = run(desk, Recording(), redemption(1, ASK_ALPHA))
    assert [line["event"] for line in journal if line["event"] in ("sent", "failed")] == ["sent"]
    [fate] = [line for line in journal if line["event"] == "redemption"]
    assert fate["status"] == "FULFILLED"
    assert fate["unapplied"] == "reward 'Ask alpha' was not created by botdeck"
    assert not desk.marked


def test_a_run_stopped_with_questions_waiting_refunds_every_one_before_it_closes():
    desk = Desk()

    async def main():
        router, journal = make_engine(
            BOTS,
            responder=Recording(),
            sink=Sink(),
            delays=5.0,
            source=SourceParts(NoSource(), rewards=desk),
            asks={"Ask alpha": "alpha"},
            reactions=ON,
        )
        for number in range(6):
            router.take(redemption(number, ASK_ALPHA))
        await asyncio.sleep(1.0)
        router.stop()
        await router.close()  # waits for the fates to be told
        return [json.loads(row) for row in journal.getvalue().splitlines()]

    journal = run_virtual(main())
    assert desk.marked == {f"red{n}": RedemptionStatus.CANCELED for n in range(6)}
    assert len([line for line in journal if line["event"] == "redemption"]) == 6


def test_a_question_asked_while_draining_is_refunded_at_once():
    desk = Desk()

    async def main():
        router, _ = make_engine(
            BOTS,
            responder=Recording(),
            source=SourceParts(NoSource(), rewards=desk),
            asks={"Ask alpha": "alpha"},
            reactions=ON,
        )
        router.drain()
        router.take(redemption(1, ASK_ALPHA))
        await router.close()

    run_virtual(main())
    assert desk.marked == {"red1": RedemptionStatus.CANCELED}
