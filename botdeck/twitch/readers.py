"""Which account reads the channel's chat, and who takes over when Twitch stops it.

Reading needs a user token with `user:read:chat`, and one account reads for all. The
broadcaster comes first when its token may read (a broadcaster cannot be banned from
their own chat), then the bots in config order. Twitch stops a reader for good by
revoking its subscription (the account was banned, its authorization revoked or the
account removed), by refusing its token's refresh, or by refusing its subscription again
and again (401/403): that reader is set aside with the reason and the next one reads.
A reader whose token `botdeck auth` fixed comes back; when nobody is left, everyone gets
another try later (a ban may have been lifted). Pure bookkeeping, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable


class ReaderPool:
    """`order`: every account that could read, preferred first; `available`: those whose
    token may read now (the others join when `restore`d, without a note)."""

    def __init__(
        self, order: Iterable[str], available: Iterable[str], *, refusals_allowed: int = 2
    ) -> None:
        self.order: tuple[str, ...] = tuple(dict.fromkeys(order))
        self.refusals_allowed = max(1, refusals_allowed)
        self._absent = set(self.order) - set(available)  # no usable token: not a reader yet
        self._benched: dict[str, str] = {}  # login -> why Twitch stopped it reading
        self._refusals: dict[str, int] = {}
        self.current: str | None = self._first_available()

    @property
    def benched(self) -> dict[str, str]:
        return dict(self._benched)

    def bench(self, login: str, why: str) -> None:
        """`login` may not read (`why`, e.g. "banned"); the next reader in order takes over."""
        if login not in self.order:
            return
        self._benched[login] = why
        self._refusals.pop(login, None)
        if self.current == login or self.current is None:
            self.current = self._first_available()

    def refused(self, login: str) -> bool:
        """Twitch refused `login`'s subscription (401/403); True when that was once too often
        (the caller then benches it)."""
        count = self._refusals.get(login, 0) + 1
        self._refusals[login] = count
        return count >= self.refusals_allowed

    def succeeded(self, login: str) -> None:
        self._refusals.pop(login, None)

    def restore(self, login: str) -> None:
        """`login` may read again (e.g. a new token); it reads at once only if nobody does."""
        self._absent.discard(login)
        self._benched.pop(login, None)
        if self.current is None:
            self.current = self._first_available()

    def retry_all(self) -> None:
        """Nobody could read: give every account Twitch stopped another try, in order."""
        self._benched.clear()
        self._refusals.clear()
        self.current = self._first_available()

    def note(self) -> str | None:
        """Why reading is not as preferred, for the connection state; None when it is."""
        # Only the readers preferred to the current one matter (or all, when none reads).
        ahead = self.order if self.current is None else self.order[: self.order.index(self.current)]
        passed = [(login, self._benched[login]) for login in ahead if login in self._benched]
        if not passed:
            return None
        gone = ", ".join(f"{login} {why}" for login, why in passed)
        readers = "reader" if len(passed) == 1 else "readers"
        if self.current is None:
            return f"{readers} {gone}: no account left to read chat"
        return f"{readers} {gone}: reading as {self.current}"

    def _first_available(self) -> str | None:
        return next(
            (o for o in self.order if o not in self._benched and o not in self._absent), None
        )
