"""`m` on a bot with mentions queued: what becomes of them, asked before anything ends.

The count is live (what a choice would act on now). The choices: hand them to another bot
(one line per bot that can take them, the least busy first; `h` for that one, or the
bot's number), let the bot answer them first (`f`), or drop them (`d`: `skipped`, reason
`muted`). Escape mutes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Footer, Label, OptionList
from textual.widgets.option_list import Option

from botdeck.model.console import QueuedMentions
from botdeck.tui.labels import mentions_choice
from botdeck.tui.screens.dialog import Dialog

REFRESH_SECONDS = 0.2
MuteChoice = tuple[QueuedMentions, str | None]  # what to do, and the bot to hand over to


@dataclass(frozen=True, slots=True)
class Taker:
    """A bot that could take the mentions: its number (1-9 selects it) and its load."""

    number: int
    bot: str
    waiting: int


def question(bot: str, count: int) -> str:
    mentions = "1 mention" if count == 1 else f"{count} mentions"
    return f"{bot} has {mentions} to answer. Muted, it takes nothing new. Its mentions:"


class MuteDialog(Dialog[MuteChoice | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("h", "choose('hand')", "Hand over", id="mute_hand"),
        Binding("f", "choose('finish')", "Finish", id="mute_finish"),
        Binding("d", "choose('drop')", "Drop", id="mute_drop"),
        Binding("escape", "cancel", "Cancel", key_display="esc"),
        *(Binding(str(n), f"choose('bot {n}')", show=False) for n in range(1, 10)),
    ]

    def __init__(self, bot: str, count: Callable[[], int], takers: Sequence[Taker]) -> None:
        super().__init__()
        self.bot = bot
        self._count = count
        self._takers = tuple(takers)
        self._shown: int | None = None

    def compose(self) -> ComposeResult:
        count = self._count()
        with Vertical(id="mute"):
            yield Label(f"Mute {self.bot}", id="mute-title", markup=False)
            yield Label(question(self.bot, count), id="mute-question", markup=False)
            yield OptionList(*self._options(count), id="mute-choices", markup=False)
        yield Footer()

    def _options(self, count: int) -> list[Option]:
        options = [
            Option(
                f"{mentions_choice(QueuedMentions.HAND_OVER, count, taker.bot)}"
                f" ({taker.waiting} waiting)",
                id=f"bot {taker.number}",
            )
            for taker in self._takers
        ]
        options.append(Option(mentions_choice(QueuedMentions.FINISH, count), id="finish"))
        options.append(Option(mentions_choice(QueuedMentions.DROP, count), id="drop"))
        return options

    def on_mount(self) -> None:
        self._shown = self._count()
        self.query_one(OptionList).focus()
        self.set_interval(REFRESH_SECONDS, self.refresh_count)

    def refresh_count(self) -> None:
        if self.answered:
            return  # leaving: its widgets may be gone before its timer
        count = self._count()
        if count == self._shown:
            return
        self._shown = count
        self.query_one("#mute-question", Label).update(question(self.bot, count))
        choices = self.query_one(OptionList)
        highlighted = choices.highlighted
        for option in self._options(count):
            assert option.id is not None
            choices.replace_option_prompt(option.id, option.prompt)
        choices.highlighted = highlighted

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # nobody can take them: no hand-over key
        return not (action == "choose" and parameters == ("hand",) and not self._takers)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.action_choose(event.option.id)

    def action_choose(self, choice: str) -> None:
        if choice == "hand":
            choice = f"bot {self._takers[0].number}" if self._takers else ""
        result: MuteChoice | None = None
        if choice.startswith("bot "):
            number = int(choice.removeprefix("bot "))
            taker = next((t for t in self._takers if t.number == number), None)
            if taker is None:
                return  # the bot itself, a muted one or no such bot: nothing to choose
            result = (QueuedMentions.HAND_OVER, taker.bot)
        elif choice == "finish":
            result = (QueuedMentions.FINISH, None)
        elif choice == "drop":
            result = (QueuedMentions.DROP, None)
        else:
            return
        self._answer(result)

    def action_cancel(self) -> None:
        self._answer(None)

    def _answer(self, result: MuteChoice | None) -> None:
        self.dismiss(result)  # once: a key typed after the answer finds it answered
