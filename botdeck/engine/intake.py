"""Chat lines in: each accepted line is published, kept as context, and turned into jobs.

    duplicate? -> our own echo? (restore its depth) -> publish ChatSeen -> context
    -> orchestrator plans -> admission (random replies only if they can be sent in time)
    -> one job per plan -> start moderating the line

A line delivered twice (Twitch delivers at least once) is dropped by id.
"""

from __future__ import annotations

from dataclasses import replace

from botdeck.ai.safety import SafetyGate
from botdeck.core.jobs import Job
from botdeck.core.scheduler import Scheduler
from botdeck.engine.admission import SendWindowAdmission
from botdeck.engine.conversation import Conversation, EchoDepth
from botdeck.engine.events import EventHub
from botdeck.engine.orchestrator import Orchestrator
from botdeck.model.chat import ChatMessage
from botdeck.model.events import ChatSeen
from botdeck.model.jobs import Priority, ReplyContext


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
        admission: SendWindowAdmission,
    ) -> None:
        self._orchestrator = orchestrator
        self._scheduler = scheduler
        self._conversation = conversation
        self._echoes = echoes
        self._safety = safety
        self._events = events
        self._admission = admission
        self.lines = 0
        self.duplicates = 0
        self.mentions = 0  # high-priority jobs created

    def handle(self, message: ChatMessage) -> list[Job[ReplyContext]]:
        """Take one chat line; returns the jobs it created (each may already have ended,
        e.g. skipped while draining)."""
        if not self._conversation.first_sight(message.id):
            self.duplicates += 1
            return []
        if self._orchestrator.is_bot(message.user) and not message.is_bot:
            # Our own reply coming back from the channel: restore its depth.
            depth = self._echoes.restore(message.user, message.text)
            message = replace(message, is_bot=True, depth=depth)
        self.lines += 1
        self._events.publish(ChatSeen(message))
        self._conversation.add(message)
        jobs = []
        viewer = None if message.is_bot else message.user  # fairness is between viewers
        for plan in self._orchestrator.plan(message):
            if plan.priority is not Priority.HIGH and not self._admission.admits(
                plan.bot, plan.delay
            ):
                continue  # its send window could not deliver it in time: no job at all
            context = ReplyContext(message, plan.depth)
            job = self._scheduler.submit(plan.bot, plan.priority, plan.delay, context, viewer)
            if plan.priority is Priority.HIGH:
                self.mentions += 1
            jobs.append(job)
        if jobs:
            self._safety.screen(message)  # moderation of the line runs during the delay
        return jobs
