"""Chat lines in: each accepted line is published, kept as context, and turned into jobs.

    duplicate? -> our own echo? (restore its depth) -> publish ChatSeen
    -> a command to botdeck? (moderators: done; anyone: nothing more)
    -> from a user moderators removed? (nothing more) -> context (not chat commands)
    -> orchestrator plans (random ones only to bots that may speak, are not muted and
       have the sender in their audience)
    -> mentions from outside a bot's audience (`audience_mentions`): skipped at once
    -> a shared chat session (random and bot-to-bot replies held, unless allowed)
    -> the room (random and bot-to-bot replies only to lines they fit, within the share)
    -> admission (random and bot-to-bot replies only if they can be sent in time)
    -> cooldowns (random replies)
    -> one job per plan -> start moderating the line

A line delivered twice (Twitch delivers at least once) is dropped by id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from botdeck.ai.safety import SafetyGate
from botdeck.core.jobs import Job
from botdeck.core.scheduler import Scheduler
from botdeck.engine.admission import SendWindowAdmission
from botdeck.engine.chat_control import ChatControl, ControlLine
from botdeck.engine.conversation import Conversation, EchoDepth
from botdeck.engine.cooldowns import CooldownGate
from botdeck.engine.events import EventHub
from botdeck.engine.moderation import Moderation
from botdeck.engine.modes import ChatModes
from botdeck.engine.orchestrator import Orchestrator
from botdeck.engine.raid import RaidPlanner
from botdeck.engine.room import Room
from botdeck.model.chat import ChatMessage
from botdeck.model.events import ChatSeen
from botdeck.model.jobs import Priority, ReplyContext
from botdeck.model.journal import Reason

CommandHandler = Callable[[ControlLine], None]


class ChatIntake:
    def __init__(
        self,
        *,
        orchestrator: Orchestrator,
        scheduler: Scheduler[ReplyContext],
        conversation: Conversation,
        echoes: EchoDepth,
        safety: SafetyGate,
        events: EventHub,
        moderation: Moderation,
        modes: ChatModes,
        cooldowns: CooldownGate,
        control: ChatControl,
        admission: SendWindowAdmission,
        room: Room,
        raid: RaidPlanner | None = None,
        now: Callable[[], float] | None = None,
        shared_hold: Callable[[], bool] = lambda: False,
    ) -> None:
        self._shared_hold = shared_hold  # a shared chat session holds chance replies
        self._orchestrator = orchestrator
        self._scheduler = scheduler
        self._conversation = conversation
        self._echoes = echoes
        self._safety = safety
        self._events = events
        self._moderation = moderation
        self._modes = modes
        self._cooldowns = cooldowns
        self._control = control
        self.on_command: CommandHandler | None = None  # the engine carries commands out
        self._admission = admission
        self._room = room
        self._raid = raid  # an armed raid counts the mentions it brought
        self._now = now
        self.lines = 0
        self.viewer_lines = 0  # lines not from our bots (timers wait for enough of them)
        self.duplicates = 0
        self.mentions = 0  # high-priority jobs created

    @property
    def silent_depth(self) -> int:
        """The depth of a bot line no other bot answers (a status answer)."""
        return self._orchestrator.max_depth

    def handle(self, message: ChatMessage) -> list[Job[ReplyContext]]:
        """Take one chat line; returns the jobs it created (each may already have ended,
        e.g. skipped while draining)."""
        if not self._conversation.first_sight(message.id):
            self.duplicates += 1
            return []
        own = self._orchestrator.is_bot(message.user)
        if own and not message.is_bot:
            # Our own reply coming back from the channel: restore its depth.
            depth = self._echoes.restore(message.user, message.id, message.text)
            message = replace(message, is_bot=True, depth=depth)
        self.lines += 1
        if not message.is_bot:
            self.viewer_lines += 1
        self._events.publish(ChatSeen(message))
        self._room.saw(message)
        self._conversation.saw_user(message.user)
        if own:
            self._modes.recheck()  # its badges may have shown a new role
        control = self._control.read(message)
        if control is not None:
            if control.allowed and self.on_command is not None:
                self.on_command(control)
            return []
        if not message.is_bot and self._moderation.quiet(message.user):
            return []  # removed by a moderator a moment ago: not answered, not context
        if not self._orchestrator.is_command(message):
            self._conversation.add(message)
        return self._submit(message)

    def _submit(self, message: ChatMessage) -> list[Job[ReplyContext]]:
        jobs = []
        viewer = None if message.is_bot else message.user  # fairness is between viewers
        room = self._room
        screened = False  # a job that may reply: the line's moderation starts now
        speakers = [bot for bot in self._modes.speakers() if not self._scheduler.muted_bot(bot)]
        for plan in self._orchestrator.plan(message, room.speakers(message, speakers)):
            context = ReplyContext(message, plan.depth)
            mention = plan.priority is Priority.HIGH
            if mention and room.refuses_mention(plan.bot, message):
                # Journaled with its own outcome (`skipped: audience`), not as a mention.
                refused = self._scheduler.submit(
                    plan.bot, plan.priority, plan.delay, context, viewer, refuse=Reason.AUDIENCE
                )
                jobs.append(refused)
                continue
            if not mention:
                if self._shared_hold():
                    room.passes_shared(plan.bot)  # it would reach the partner channels too
                    continue
                if room.passes_up(plan.bot, message):
                    continue  # the line does not fit, or the share is used up: no job
                if not self._admission.admits(plan.bot, plan.delay):
                    continue  # its send window could not deliver it in time: no job at all
            if plan.chance and not self._cooldowns.admit(plan.bot, viewer):
                continue  # inside a cooldown: never becomes a job
            job = self._scheduler.submit(plan.bot, plan.priority, plan.delay, context, viewer)
            if mention:
                self.mentions += 1
                if self._raid is not None and self._now is not None and viewer is not None:
                    self._raid.noted_mention(self._now())
            else:
                room.took(plan.bot)
            jobs.append(job)
            screened = True
        if screened:
            self._safety.screen(message)  # moderation of the line runs during the delay
        return jobs

    def resubmit(
        self, message: ChatMessage, bot: str, age: float, resumes: int
    ) -> Job[ReplyContext]:
        """A previous run's mention, answered again after a restart: back in the context,
        its line marked as seen, and one job that carries the old job's id. The line is
        not published again (the journal already has it)."""
        if self._conversation.first_sight(message.id):
            self._conversation.add(message)
        self._conversation.saw_user(message.user)  # a moderator may still remove them
        plan = self._orchestrator.mention_plan(bot)
        context = ReplyContext(message, plan.depth, resumes=resumes)
        job = self._scheduler.submit(bot, plan.priority, plan.delay, context, message.user, age)
        self.mentions += 1
        self._safety.screen(message)
        return job

    def hand_over(self, message: ChatMessage, bot: str, age: float) -> Job[ReplyContext]:
        """A mention another bot was to answer, given to `bot` (its own was muted): one
        job, as old as the mention. The line is already context and already counted as a
        mention, and it is not published again."""
        plan = self._orchestrator.mention_plan(bot)
        context = ReplyContext(message, plan.depth)
        viewer = None if message.is_bot else message.user
        return self._scheduler.submit(bot, plan.priority, plan.delay, context, viewer, age)
