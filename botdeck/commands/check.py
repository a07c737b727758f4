"""`botdeck check`: would `botdeck run` start? A checklist, ✓ or ✗ a line, each ✗ with
the one thing to do, then the verdict; exit 0 only when every line holds, 2 otherwise. A
config that does not read at all is one line on stderr, as for every command.

The findings are the engine's (`check_run`: the config, each secret's variable, each
account's token and its scopes, the files a run reads; with `--probe`, the AI server and
the channel asked once). `--print` also shows the resolved config as TOML (secrets only
as the variables that hold them) on stdout, and then the checklist goes to stderr, so
`botdeck check --print > resolved.toml` keeps a clean file.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TextIO

from botdeck.commands.headless import print_warnings
from botdeck.commands.inputs import EXIT_BAD_INPUT
from botdeck.config import Config, find_config, load_config, render_config
from botdeck.model.readiness import Finding, Readiness

EXIT_READY = 0


def check_command(args: argparse.Namespace) -> int:
    from botdeck.engine import check_run

    out = sys.stderr if args.print else sys.stdout
    path = find_config(args.config)
    # A config that does not read is bad input like any other: one line naming the file
    # and key, exit 2 (`cli`). Not `twitch_ready`: what a Twitch config still lacks (its
    # client id, the channel) is a finding like the rest.
    config = load_config(path, twitch_ready=False)
    if args.print:
        print(render_config(config))
        sys.stdout.flush()  # the config first, then the checklist (stderr), in that order
    readiness = asyncio.run(check_run(config, probing=args.probe))
    print_warnings(readiness.warnings, sys.stderr)
    valid = Finding(f"config: {path} is valid ({_summary(config)})")
    return verdict(readiness.after([valid]), out, probed=args.probe)


def _summary(config: Config) -> str:
    bots = len(config.bots)
    return (
        f"{bots} bot{'s' if bots != 1 else ''}; chat: {config.chat.source};"
        f" replies: {config.ai.provider}"
    )


def verdict(readiness: Readiness, out: TextIO, *, probed: bool) -> int:
    """The checklist and the last line; the exit code."""
    good, bad = _marks(out)
    for finding in readiness.findings:
        print(f"{good if finding.ok else bad} {finding.what}", file=out)
        if not finding.ok and finding.fix:
            print(f"  fix: {finding.fix}", file=out)
    problems = readiness.problems
    if problems:
        plural = "s" if problems != 1 else ""
        unasked = " and ".join(readiness.unasked)
        later = f" (--probe asks {unasked} once the {bad} above are fixed)" if unasked else ""
        print(
            f"botdeck check: {problems} problem{plural}: `botdeck run` would not start{later}",
            file=out,
        )
        return EXIT_BAD_INPUT
    more = "" if probed else " (--probe also asks the AI server and the chat source once)"
    print(f"botdeck check: ready: `botdeck run` would start{more}", file=out)
    return EXIT_READY


def _marks(out: TextIO) -> tuple[str, str]:
    """✓ and ✗, or plain marks where the output cannot encode them (a Windows file)."""
    try:
        "✓✗".encode(getattr(out, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        return "ok", "!!"
    return "✓", "✗"
