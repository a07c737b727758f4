"""The simulated source's registry entry (`source = "simulated"`): a seeded scenario.

Its keys in `[chat]`: `scenario`, `scenario_params` (checked against the scenario's
parameters, `botdeck.chat.scenarios`) and `speed`. In the dashboard's demo, mixed chat
plays on and on; the raid key brings the configured raid's parameters.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from botdeck.chat.adapter import SourceAdapter, SourceContext, SourceParts
from botdeck.chat.scenarios import MixedParams, RaidParams, Scenario, ScenarioError
from botdeck.chat.simulated import (
    Scripted,
    SimulatedChat,
    endless_mixed,
    raid_event,
    raid_script,
    scenario_lines,
)
from botdeck.core.options import AdapterOptions


class SimulatedOptions(AdapterOptions):
    """The keys `source = "simulated"` reads in `[chat]`."""

    scenario: Literal["raid", "questions", "mixed", "five-bots", "soak"] = "mixed"
    # e.g. viewers = 300 (see chat/scenarios.py), checked against the scenario's parameters
    scenario_params: dict[str, int | float] = Field(default_factory=dict)
    speed: float = Field(1.0, gt=0, le=1000)

    @field_validator("scenario_params")
    @classmethod
    def _params_fit(
        cls, params: dict[str, int | float], info: ValidationInfo
    ) -> dict[str, int | float]:
        scenario = info.data.get("scenario", "mixed")
        try:
            Scenario.build(scenario, params)
        except ScenarioError as error:
            raise ValueError(str(error)) from None
        return params

    @property
    def spec(self) -> Scenario:
        """The scenario with its parameters (validated when the options were)."""
        return Scenario.build(self.scenario, self.scenario_params)


def build(context: SourceContext[SimulatedOptions]) -> SourceParts:
    return played(context, script(context))


def script(context: SourceContext[SimulatedOptions]) -> Iterator[Scripted]:
    """The scenario's lines for the context's bots and seed (the dashboard's mixed chat
    endless)."""
    spec = context.options.spec
    if context.endless and isinstance(spec.params, MixedParams):
        return endless_mixed(context.bots, context.seed, spec.params)
    return scenario_lines(spec, context.bots, context.seed)


def played(context: SourceContext[SimulatedOptions], lines: Iterator[Scripted]) -> SourceParts:
    """The source playing `lines` (the scenario's, or with `demo --mention-rate`'s among
    them)."""
    options = context.options
    source = SimulatedChat(
        lines, speed=options.speed, keep_open=context.keep_open, clock=context.clock
    )
    return scripted(source, options, context.bots, context.seed)


def scripted(
    source: SimulatedChat, options: SimulatedOptions, bots: tuple[str, ...], seed: int
) -> SourceParts:
    """A simulated source, with the raid key bringing the configured raid's parameters."""
    spec = options.spec
    raid = spec.params if isinstance(spec.params, RaidParams) else RaidParams()
    rng = random.Random(seed + 1)
    brought = itertools.count(1)

    def bring_raid() -> None:
        """The raid told, then its viewers (the dashboard's `r`)."""
        told = raid_event(raid.viewers, f"demo-raid-{seed}-{next(brought)}")
        lines = raid_script(bots, rng, raid.viewers, raid.within, raid.mention_share, 0.1)
        source.inject([told, *lines])

    return SourceParts(source, bring_raid=bring_raid)


ADAPTER = SourceAdapter(SimulatedOptions, build)
