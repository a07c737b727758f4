"""`botdeck serve`: what it serves (checked first, as the dashboard would check it), the
access rules and the port, then serving until Ctrl+C or SIGTERM."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Sequence
from typing import TextIO

from botdeck.commands.inputs import checked_themes, files_read, load_checked
from botdeck.commands.serve.access import TOKEN_ENV, access_for, bind
from botdeck.commands.serve.server import DashboardServer
from botdeck.config import ConfigError, find_config
from botdeck.storage.files import FileRefused, check_writable_target


def serve_command(args: argparse.Namespace) -> int:
    """Everything the dashboard would refuse is refused here, before a browser connects."""
    if args.demo:
        command = ["demo"]
    else:
        path = find_config(args.config)
        load_checked(path)
        command = ["run", "--config", str(path.resolve())]
    if args.theme is not None:
        checked_themes(args.theme)
        command += ["--theme", args.theme]
    if args.journal is not None:
        try:  # each session appends to it: refused now, not once a browser connects
            check_writable_target(args.journal, files_read(args), "journal")
        except FileRefused as error:
            raise ConfigError(f"--journal: {error}") from None
        command += ["--journal", str(args.journal.resolve())]
    return serve(command, args.host, args.port)


def dashboard_command(arguments: Sequence[str]) -> str:
    """The command textual-serve runs for each run: this botdeck, this Python."""
    return "exec " + shlex.join([sys.executable, "-m", "botdeck", *arguments])


def serve(arguments: Sequence[str], host: str, port: int, *, out: TextIO = sys.stdout) -> int:
    """Check the access rules and the port, then serve the dashboard until interrupted."""
    access = access_for(host)
    os.environ.pop(TOKEN_ENV, None)  # the dashboard processes have no use for it
    listener = bind(host, port)
    server = DashboardServer(dashboard_command(arguments), access, port, out)
    with listener:
        server.serve_on(listener)
    return 0
