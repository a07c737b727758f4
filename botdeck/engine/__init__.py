"""The application layer: the Engine façade, and how a run is opened from a config.

Front ends (the dashboard, the headless runner, rehearsal, the commands) import from
here and from `botdeck.model`, nothing deeper: the submodules are the engine's own, and
an import contract (`make lint`) refuses any other package that imports one directly.
A front end opens a run with `open_run(config, RunOptions(...))`, runs its `RunSession`
(headless, or under the dashboard) and reads the `Engine` façade it holds.
"""

from botdeck.engine.ai_setup import preflight
from botdeck.engine.build import EngineSettings, assemble, build_engine, build_limiter
from botdeck.engine.engine import Engine
from botdeck.engine.events import Subscription
from botdeck.engine.parts import SourceParts, build_source
from botdeck.engine.quitting import QuitRequests, QuitResult, QuitStep
from botdeck.engine.readiness import check_run
from botdeck.engine.rehearsal import LogChanges, demo_source, rehearsal_source
from botdeck.engine.resume import ResumePlan, plan_resume
from botdeck.engine.runs import (
    AppendTo,
    Edges,
    Journaling,
    NewPerRun,
    Resume,
    RunOptions,
    Temporary,
    latest_run_journal,
    new_session,
    open_run,
)
from botdeck.engine.session import (
    EXIT_OK,
    EXIT_STOPPED,
    RunJournal,
    RunSession,
    Say,
    Severity,
    SignalRoute,
    quit_signals,
    say_on_stderr,
)

__all__ = [
    "EXIT_OK",
    "EXIT_STOPPED",
    "AppendTo",
    "Edges",
    "Engine",
    "EngineSettings",
    "Journaling",
    "LogChanges",
    "NewPerRun",
    "QuitRequests",
    "QuitResult",
    "QuitStep",
    "Resume",
    "ResumePlan",
    "RunJournal",
    "RunOptions",
    "RunSession",
    "Say",
    "Severity",
    "SignalRoute",
    "SourceParts",
    "Subscription",
    "Temporary",
    "assemble",
    "build_engine",
    "build_limiter",
    "build_source",
    "check_run",
    "demo_source",
    "latest_run_journal",
    "new_session",
    "open_run",
    "plan_resume",
    "preflight",
    "quit_signals",
    "rehearsal_source",
    "say_on_stderr",
]
