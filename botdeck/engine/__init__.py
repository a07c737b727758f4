"""The application layer: the Engine façade and how it is built from a config.

Front ends (the dashboard, the headless runner, rehearsal) import from here and from
`botdeck.model`, nothing deeper.
"""

from botdeck.engine.build import EngineSettings, assemble, build_engine, build_limiter
from botdeck.engine.engine import Engine
from botdeck.engine.events import Subscription
from botdeck.engine.parts import SourceParts
from botdeck.engine.quitting import QuitRequests, QuitResult, QuitStep
from botdeck.engine.resume import ResumePlan, plan_resume
from botdeck.engine.session import (
    EXIT_OK,
    EXIT_STOPPED,
    QUIT_SIGNALS,
    RunSession,
    Say,
    Severity,
    SignalRoute,
    say_on_stderr,
)

__all__ = [
    "EXIT_OK",
    "EXIT_STOPPED",
    "QUIT_SIGNALS",
    "Engine",
    "EngineSettings",
    "QuitRequests",
    "QuitResult",
    "QuitStep",
    "ResumePlan",
    "RunSession",
    "Say",
    "Severity",
    "SignalRoute",
    "SourceParts",
    "Subscription",
    "assemble",
    "build_engine",
    "build_limiter",
    "plan_resume",
    "say_on_stderr",
]
