"""The AI circuit on virtual time: exact probe times, one probe at a time, waits that end."""

from __future__ import annotations

import asyncio

import pytest

from botdeck.core.circuit import GO, Circuit, CircuitChange, CircuitState, OutageTooLong, Ticket
from botdeck.model.events import AIState
from tests.harness.virtual_time import now, run_virtual


def test_closed_admits_at_once_and_a_failure_opens_it_until_the_first_probe():
    async def main() -> list[tuple[float, bool]]:
        circuit = Circuit(base_delay=0.5, max_delay=4.0)
        assert await circuit.admit() is GO
        circuit.failed(GO, "cannot reach host: connection refused")
        assert circuit.state is CircuitState.OPEN and circuit.down_since == 0.0
        probes = []
        for _ in range(5):  # every probe fails: the backoff doubles up to max_delay
            ticket = await circuit.admit()
            probes.append((now(), ticket.probe))
            circuit.failed(ticket, "still refused")
        return probes

    assert run_virtual(main()) == [(0.5, True), (1.5, True), (3.5, True), (7.5, True), (11.5, True)]


def test_one_probe_at_a_time_and_its_success_lets_everyone_go():
    async def main() -> list[tuple[str, float, bool]]:
        circuit = Circuit(base_delay=1.0)
        circuit.failed(GO, "server error (503)")
        admitted: list[tuple[str, float, bool]] = []

        async def reply(name: str, outcome: str) -> None:
            ticket = await circuit.admit()
            admitted.append((name, now(), ticket.probe))
            await asyncio.sleep(0.25)  # the request
            if ticket.probe and outcome == "fails":
                circuit.failed(ticket, "server error (503)")
            else:
                circuit.succeeded(ticket)

        await asyncio.gather(reply("a", "fails"), reply("b", "works"), reply("c", "works"))
        return admitted

    # a probes at 1 and fails; b probes at 1.25 + 2 = 3.25 and succeeds; c goes with it.
    assert run_virtual(main()) == [("a", 1.0, True), ("b", 3.25, True), ("c", 3.5, False)]


def test_retry_after_sets_the_next_probe():
    async def main() -> float:
        circuit = Circuit(base_delay=0.5)
        circuit.failed(GO, "rate limited (429)", retry_after=7.0)
        await circuit.admit()
        return now()

    assert run_virtual(main()) == 7.0


def test_a_wait_that_runs_out_raises_and_never_probes():
    async def main() -> tuple[float, CircuitState]:
        circuit = Circuit(base_delay=5.0)
        circuit.failed(GO, "timeout")
        with pytest.raises(OutageTooLong):
            await circuit.admit(until=2.0)
        at = now()
        await asyncio.sleep(10)
        with pytest.raises(OutageTooLong):  # already over: no probe, even when one is due
            await circuit.admit(until=2.0)
        return at, circuit.state

    assert run_virtual(main()) == (2.0, CircuitState.OPEN)


def test_an_abandoned_probe_lets_the_next_waiter_probe_at_once():
    async def main() -> list[tuple[str, float]]:
        circuit = Circuit(base_delay=1.0)
        circuit.failed(GO, "timeout")
        order: list[tuple[str, float]] = []

        async def probe_then_cancelled() -> None:
            ticket = await circuit.admit()
            order.append(("first", now()))
            await asyncio.sleep(0.5)
            circuit.abandoned(ticket)

        async def next_one() -> None:
            ticket = await circuit.admit()
            order.append(("next", now()))
            circuit.succeeded(ticket)

        await asyncio.gather(probe_then_cancelled(), next_one())
        return order

    assert run_virtual(main()) == [("first", 1.0), ("next", 1.5)]


def test_listeners_hear_down_back_and_refused_once_each():
    async def main() -> list[CircuitChange]:
        circuit = Circuit(base_delay=1.0)
        heard: list[CircuitChange] = []
        circuit.add_listener(heard.append)
        circuit.failed(GO, "cannot reach host")
        circuit.failed(GO, "cannot reach host")  # in flight when it opened: nothing new
        ticket = await circuit.admit()
        await asyncio.sleep(2.0)
        circuit.succeeded(ticket)
        for _ in range(3):
            circuit.answered(GO, "host refused the API key (401)")
        assert circuit.refused == "host refused the API key (401)"
        circuit.succeeded(Ticket(False))
        assert circuit.refused is None
        return heard

    assert run_virtual(main()) == [
        CircuitChange(AIState.DOWN, "cannot reach host"),
        CircuitChange(AIState.UP, "cannot reach host", 3.0),
        CircuitChange(AIState.REFUSED, "host refused the API key (401)"),
    ]


def test_limit_waits_ends_current_and_later_waits_and_lifting_it_restores_them():
    async def main() -> list[tuple[str, float]]:
        circuit = Circuit(base_delay=0.5, max_delay=8.0)
        circuit.failed(GO, "rate limited (429)", retry_after=60.0)  # the next probe in 60 s
        ended: list[tuple[str, float]] = []

        async def wait(name: str, until: float | None) -> None:
            try:
                await circuit.admit(until)
                ended.append((name, now()))
            except OutageTooLong:
                ended.append((f"{name} gave up", now()))

        waiters = [asyncio.create_task(wait(n, u)) for n, u in (("a", 300.0), ("b", None))]
        await asyncio.sleep(5.0)
        assert not circuit.waits_over()
        circuit.limit_waits(now())  # a drain: nobody waits out the outage any more
        await asyncio.gather(*waiters)
        assert circuit.waits_over()
        await wait("c", 300.0)  # a wait asked for later ends at once too
        circuit.limit_waits(None)  # accepting again: waits are as each caller asks
        await wait("d", None)  # the probe, at 60 s
        return ended

    assert run_virtual(main()) == [
        ("a gave up", 5.0),
        ("b gave up", 5.0),
        ("c gave up", 5.0),
        ("d", 60.0),
    ]


def test_how_long_the_ai_was_down_after_the_run_is_read_on_the_runs_clock():
    """A headless summary asks after the loop ended: the virtual clock's time still, not
    the machine's ("AI down for 17164 s" after a 2-minute drill)."""

    async def main() -> Circuit:
        circuit = Circuit()
        await asyncio.sleep(100.0)
        circuit.failed(GO, "cannot reach host: connection refused")
        await asyncio.sleep(20.0)
        assert circuit.down_for() == pytest.approx(20.0)
        return circuit

    circuit = run_virtual(main())
    assert circuit.down_for() == pytest.approx(20.0)
