"""`botdeck auth`: the command's front end. It chooses the flow (a browser, a device
code, `--status`), prints the status table and turns each end into an exit code; the
Twitch logins and checks themselves are `botdeck.twitch`'s (`auth`, `device_auth`,
`token_status`), so this module never sees twitchio.

`--status` exits 0 when every account's token is usable, 1 when one needs `botdeck auth`,
and 3 when Twitch could not be reached to validate one (the rows marked ?? then show
what the token file says), not "needs `botdeck auth`".
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TextIO

from botdeck.config import Config, ConfigError, find_config, load_config
from botdeck.twitch.auth import AuthError, authorize
from botdeck.twitch.credentials import console_guide
from botdeck.twitch.device_auth import authorize_device
from botdeck.twitch.follow_status import follow_lines
from botdeck.twitch.token_status import check_tokens

EXIT_OK = 0
EXIT_NEEDS_AUTH = 1
EXIT_UNCHECKED = 3  # --status: Twitch could not be reached, so a token was not validated


async def status(config: Config, *, out: TextIO) -> int:
    """Print each account's token state: 0 when every one is usable, 1 when one needs
    `botdeck auth`, else 3 when Twitch could not be reached to validate one."""
    if not config.twitch.client_id.strip():
        print(console_guide(config), file=out)
        raise ConfigError("twitch.client_id: missing (see the steps above)")
    report = await check_tokens(config)
    rows = report.rows
    width = max(len("account"), *(len(row.account.login) for row in rows))
    print(f"   {'account':<{width}}  {'role':<17}  {'token from':<22}  scopes and expiry", file=out)
    for row in rows:
        mark = "?? " if not row.checked else "ok " if row.ok else "!! "
        print(
            f"{mark}{row.account.login:<{width}}  {row.account.role:<17}  {row.source:<22}  "
            f"{row.detail}",
            file=out,
        )
    if report.unreachable is None:
        for line in await follow_lines(config):  # followers-only mode holds who does not
            print(f"   {line}", file=out)
    print(f"token file: {report.store.path}", file=out)
    warning = report.store.permission_warning()
    if warning:
        print(f"warning: {warning}", file=out)
    if any(row.checked and not row.ok for row in rows):
        print("run `botdeck auth` to authorize the accounts marked !!", file=out)
        return EXIT_NEEDS_AUTH
    if any(not row.checked for row in rows):
        print(
            f"could not reach Twitch ({report.unreachable}): the tokens marked ?? were not"
            " validated; what is shown is what the token file says",
            file=out,
        )
        return EXIT_UNCHECKED
    return EXIT_OK


def auth_command(args: argparse.Namespace) -> int:
    """`botdeck auth [--status | --device]` (ConfigError propagates: exit 2)."""
    # Not yet runnable is fine here: auth is how a Twitch config gets there.
    config = load_config(find_config(args.config), twitch_ready=False)
    if args.device and not args.status:
        return run_device_auth(config)
    return run_auth(config, show_status=args.status, open_browser=not args.no_browser)


def run_auth(
    config: Config,
    *,
    show_status: bool,
    open_browser: bool = True,
    out: TextIO | None = None,
) -> int:
    """The `botdeck auth` command (ConfigError propagates: exit 2)."""
    stream = out or sys.stdout
    try:
        if show_status:
            return asyncio.run(status(config, out=stream))
        opener = None if open_browser else _print_only
        return asyncio.run(authorize(config, out=stream, open_url=opener))
    except AuthError as error:
        print(f"botdeck: {error}", file=sys.stderr)
        return EXIT_NEEDS_AUTH


def _print_only(login: str, url: str) -> None:
    """--no-browser: the link printed above is all the user needs."""


def run_device_auth(config: Config, *, out: TextIO | None = None) -> int:
    """The `botdeck auth --device` command (DeviceLoginError, a ConfigError: exit 2)."""
    return asyncio.run(authorize_device(config, out=out or sys.stdout))
