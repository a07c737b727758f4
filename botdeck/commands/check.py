"""`botdeck check`: the config validated and printed as it resolves (secrets masked);
`--probe` asks the AI server (and the chat source) once."""

from __future__ import annotations

import argparse
import asyncio
import sys

from botdeck.commands.headless import print_warnings
from botdeck.commands.inputs import load_checked
from botdeck.config import Config, render_config


def check_command(args: argparse.Namespace) -> int:
    from botdeck.engine import check_source

    config = load_checked(args.config)
    print(render_config(config))
    checked = check_source(config)  # what the source says beyond its keys (a replay's size)
    for note in checked.notes:
        print(f"# {note}", file=sys.stderr)
    print_warnings(checked.warnings, sys.stderr)
    if args.probe:
        _probe(config)
    return 0


def _probe(config: Config) -> None:
    """One request through the configured provider (and the source, if it has something
    to ask); a refusal or no answer exits 2."""
    import time

    from botdeck.engine import probe, probe_source

    source = asyncio.run(probe_source(config))
    if source is not None:
        print(f"# probe: chat source {config.chat.source!r}: {source[:60]!r}", file=sys.stderr)
    started = time.monotonic()
    probed = asyncio.run(probe(config))
    took = time.monotonic() - started
    if probed is None:
        print(f"# probe: provider {config.ai.provider!r} has no server to call", file=sys.stderr)
        return
    answer = probed.answer[:60]
    print(f"# probe: {probed.where} answered in {took:.2f} s: {answer!r}", file=sys.stderr)
