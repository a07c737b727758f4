"""`python -m tests.harness.without_posix`: botdeck started, driven and quit in an interpreter
where the POSIX-only calls it could reach are gone, as on Windows: no `termios`, `tty`,
`fcntl`, `pwd`, `grp` or `resource` to import, no `signal.SIGHUP`, and an event loop whose
`add_signal_handler` raises `NotImplementedError` (Windows' proactor loop does).

It runs, in order, and prints one JSON line per case for `test_platform.py`:
- `import`: every botdeck module imports;
- `key`: the dashboard starts, `q` drains and quits (exit 0);
- `ctrl+c`: the same with the ctrl+c key (Windows Terminal sends it as a key);
- `sigint`: the dashboard as the CLI runs it (`run_dashboard`), SIGINT raised while it runs:
  caught by `signal.signal` (the loop cannot), it drains and quits (exit 0);
- `headless`: `botdeck demo --headless` quit by SIGINT, through the same route.
The fault lives here, in the tests, not in the product.
"""

from __future__ import annotations

import asyncio
import asyncio.unix_events
import contextlib
import importlib
import io
import json
import pkgutil
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

# Imported before the hiding: Textual's own, not ours (on Windows it has its own driver).
import textual.app
import textual.drivers.linux_driver  # noqa: F401

HIDDEN = ("termios", "tty", "fcntl", "pwd", "grp", "resource")


def windows_like() -> None:
    for name in HIDDEN:
        sys.modules[name] = None  # type: ignore[assignment]  # "import termios" raises
    if hasattr(signal, "SIGHUP"):
        del signal.SIGHUP

    def refuse(*args: object, **kwargs: object) -> None:
        raise NotImplementedError  # what the proactor loop says

    loop_class: Any = asyncio.unix_events._UnixSelectorEventLoop
    loop_class.add_signal_handler = refuse
    loop_class.remove_signal_handler = refuse


def say(case: str, **fields: object) -> None:
    print(json.dumps({"case": case, **fields}), flush=True)


def import_everything() -> None:
    import botdeck

    imported = 0
    for module in pkgutil.walk_packages(botdeck.__path__, "botdeck."):
        if module.name.endswith("__main__"):
            continue
        importlib.import_module(module.name)
        imported += 1
    say("import", modules=imported)


def raise_sigint_soon(loop: asyncio.AbstractEventLoop, ready: Callable[[], bool]) -> None:
    """SIGINT once `ready()`, raised in the main thread as a terminal's Ctrl+C would be."""

    def check() -> None:
        if ready():
            signal.raise_signal(signal.SIGINT)
        else:
            loop.call_later(0.05, check)

    loop.call_later(0.05, check)


async def dashboard_by_key(key: str) -> None:
    from tests.harness.dashboard import make_app, mentions, wait_until

    app = make_app(mentions(3), delays=0.0)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.engine.snapshot().queues.sent == 3)
        handler = signal.getsignal(signal.SIGINT)
        await pilot.press(key)
        await wait_until(pilot, lambda: not app.is_running)
    say(
        key,
        code=app.return_code,
        state=app.engine.state.value,
        sigint_caught_by_botdeck=callable(handler) and handler is not signal.default_int_handler,
    )


async def dashboard_by_sigint() -> None:
    from botdeck.tui.run import run_dashboard
    from tests.harness.dashboard import make_app, mentions

    app = make_app(mentions(3), delays=0.0)
    raise_sigint_soon(
        asyncio.get_running_loop(),
        lambda: app.is_running and app.engine.snapshot().queues.sent == 3,
    )
    code = await run_dashboard(app, headless=True)
    say("sigint", code=code, state=app.engine.state.value)


def headless_by_sigint() -> None:
    from botdeck.commands.cli import main

    def interrupt() -> None:
        # From another thread, as the console delivers Ctrl+C on Windows: the handler
        # `signal.signal` installed runs in the main thread and hands it to the loop.
        deadline = time.monotonic() + 30
        while signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            if time.monotonic() > deadline:
                return  # never installed: the run goes on and the test's timeout says so
            time.sleep(0.01)
        signal.raise_signal(signal.SIGINT)

    out = io.StringIO()
    threading.Thread(target=interrupt, daemon=True).start()
    with contextlib.redirect_stdout(out):
        code = main(["demo", "--headless", "--seed", "3"])
    lines = [json.loads(line) for line in out.getvalue().splitlines() if line.startswith("{")]
    states = [line["state"] for line in lines if line.get("event") == "state"]
    say("headless", code=code, states=states)


def main() -> None:
    windows_like()
    import_everything()
    asyncio.run(dashboard_by_key("q"))
    asyncio.run(dashboard_by_key("ctrl+c"))
    asyncio.run(dashboard_by_sigint())
    headless_by_sigint()


if __name__ == "__main__":
    main()
