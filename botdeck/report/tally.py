"""From journal events to a `Report`, in one pass and in memory of fixed size.

Definitions (README, "botdeck report"):
- a mention is a high-priority job; it is answered when the job ends `sent` (also when
  another mention's merged reply answered it: `coalesced_into`);
- latency is the time from the chat line a reply answers to its `sent` event (the
  `latency` field when the line is not in the journal, or no longer remembered);
- the backlog is the number of jobs waiting: enqueued and neither started nor ended;
- a job with no outcome in the journal (a killed run) is "open";
- the bots' share of chat is their messages over all chat lines (`ChatShare`).

Nothing grows with the journal: every figure is a counter, a per-bin series on a grid of
fixed size (`grid`), a percentile sketch or a bounded sample (`sketch`, `points`), or
state for the jobs still open and the last chat lines (`lines`). What is estimated
rather than counted, and how closely, is said in `Report.estimates`.

A journal may hold several runs appended one after another (`--journal` appends). Each
`run` line starts one. Older journals started job ids again with each run, so a job id
seen again within the ids the current run has used, or a chat line seen twice, starts a
new run; jobs still waiting when a run ends stay open and leave the backlog. Since runs
resume, ids continue across runs, and a restart gives the jobs the previous run left
open their outcome (`expired`, or `resumed` by a new job that `resumes` it): such an
outcome ends the earlier run's job, and a `resumed` job is not counted as a mention of
its own (the job that took it over is).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from botdeck.model.defaults import TWITCH_SEND_LIMITS
from botdeck.model.journal import (
    JOB_EVENTS,
    LINES,
    WEEK,
    ChannelEventLine,
    ChatLine,
    FaultLine,
    JobLine,
    JournalEvent,
    JournalLine,
    OutcomeLine,
    ReadingGapLine,
    RedemptionLine,
    ReviewedLine,
    RunLine,
    SentLine,
    StateLine,
)
from botdeck.model.review import QUIT, TIMEOUT
from botdeck.report.bots import TALKERS_KEPT, BotTally
from botdeck.report.counts import CappedCounter, Named, UnsentGroups
from botdeck.report.faults import NOT_LOST, Ended, FaultTally
from botdeck.report.grid import Grid, StepMax, Sums
from botdeck.report.lines import (
    NAME_KEPT,
    OPEN_KEPT,
    TEXT_KEPT,
    OpenJob,
    OpenJobs,
    RecentKeys,
    RecentLines,
    SeenLine,
    cut,
    line_key,
)
from botdeck.report.model import (
    BacklogPeak,
    BotReport,
    Channel,
    ChatShare,
    Console,
    Late,
    Latency,
    Mentions,
    ReadingGaps,
    Report,
    Said,
    SendWait,
    SendWindow,
    Synthetic,
    Timeline,
    TokenCount,
    Tokens,
    Unsent,
)
from botdeck.report.points import Points
from botdeck.report.reader import OUTCOMES, PRIORITIES, Event
from botdeck.report.sketch import EXACT, RELATIVE_ERROR, Quantiles

MAX_NAMED = 10  # channels, and values of a counted field, named in a report
MAX_BOTS = 50  # bots with figures of their own; the rest are counted together
MAX_REASONS = 20  # reasons named per outcome (and groups of replies not sent)
UNSENT_SHOWN = 20  # replies shown per group of replies not sent
MENTION_LINES_KEPT = 65_536  # lines remembered to count each mentioning line once
GAPS_KEPT = 200  # reading gaps drawn on the charts (all are counted)
TIMELINE_BINS = 3_600  # 1 s bins for an hour; then 1 min bins for 60 hours; ...
OTHER_BOTS = "(other bots)"
OPEN = "no outcome in the journal"


@dataclass(slots=True)
class _Run:
    index: int
    start: float
    channel: str | None = None  # from its `run` line (older journals have none)
    content: bool = False  # it has chat or jobs (a run line alone is taken over)
    low: int | None = None  # the job ids it created, lowest and highest
    high: int = -1
    forgot: int = -1  # the highest id of its jobs given up while open (`OPEN_KEPT`)
    waiting: set[int] = field(default_factory=set)  # its jobs waiting now


@dataclass(slots=True)
class _Mentions:
    jobs: int = 0
    answered: int = 0
    merged: int = 0
    synthetic: int = 0
    synthetic_answered: int = 0
    lines: int = 0
    unanswered: CappedCounter = field(default_factory=lambda: CappedCounter(MAX_REASONS))


class Tally:
    """Feed events in file order with `add`, then read `report()` (once)."""

    def __init__(
        self,
        journal: str,
        *,
        ack_target: float | None = None,
        delayed_after: float | None = None,
    ) -> None:
        self._journal = journal
        self._ack_target = ack_target
        self._late = 0  # answered mentions after ack_target
        self._run = _Run(0, 0.0)
        self._runs = 0  # earlier runs that had chat or jobs
        self._channels: list[str] = []
        self._first: float | None = None
        self._last: float | None = None
        self._state: str | None = None
        self._lines = RecentLines()
        self._open = OpenJobs()
        self._given_up = 0
        self._jobs = 0
        self._viewer_lines = 0
        self._bot_lines = 0
        self._synthetic_lines = 0
        self._grid = Grid(TIMELINE_BINS, 60)
        self._backlog = StepMax(self._grid)
        self._peak: tuple[int, float | None] = (0, None)  # size, first reached at
        self._replies = Sums(self._grid)  # messages sent per bin
        self._chat = Sums(self._grid)  # viewers' lines per bin
        self._random_messages = 0  # normal and low priority
        self._window = TWITCH_SEND_LIMITS.window  # Twitch counts a chat account's messages in it
        self._bots: Named[BotTally] = Named(
            MAX_BOTS, lambda: BotTally(self._grid, self._window), OTHER_BOTS
        )
        self._latency: dict[str, Quantiles] = {}
        self._points = Points()
        self._outcomes: Counter[str] = Counter()
        self._reasons = {kind: CappedCounter(MAX_REASONS) for kind in OUTCOMES[1:]}
        self._unsent = UnsentGroups(MAX_REASONS, UNSENT_SHOWN)
        self._mentions = _Mentions()
        self._mention_lines = RecentKeys(MENTION_LINES_KEPT)
        self._waited = 0
        self._max_wait = 0.0
        self._verdicts: Counter[str] = Counter()
        self._by_timeout = 0
        self._on_quit = 0
        self._typed = 0
        self._far_latencies = 0  # computed from two lines more than a week apart: left out
        self._counts: dict[str, CappedCounter] = {}  # events counted by a field (`counted_by`)
        self._channel_events: Counter[str] = Counter()
        self._test_events = 0
        self._reactions = [0, 0]  # ended, sent
        self._redemptions: Counter[str] = Counter()  # by status
        self._gaps: list[tuple[float, float]] = []  # the first GAPS_KEPT reading gaps
        self._gap_count = 0
        self._gap_seconds = 0.0
        # A drill's faults and what each cost; mentions later than this are delayed.
        self._faults = FaultTally(delayed_after if delayed_after is not None else ack_target)
        self._handlers: dict[JournalEvent, Callable[[Any], None]] = {
            JournalEvent.READING_GAP: self._reading_gap,
            JournalEvent.RUN: self._run_line,
            JournalEvent.STATE: self._state_line,
            JournalEvent.REVIEWED: self._reviewed,
            JournalEvent.FAULT: self._fault_line,
            JournalEvent.CHANNEL_EVENT: self._channel_event,
            JournalEvent.REDEMPTION: self._redemption,
            **{kind: self._job_event for kind in JOB_EVENTS},
        }
        self._report: Report | None = None

    # ------------------------------------------------------------ adding
    def add(self, event: Event) -> None:
        line = event.data
        ts = line["ts"]
        if self._first is None:
            self._first = self._run.start = self._grid.origin = self._points.grid.origin = ts
        if self._last is None or ts > self._last:
            self._last = ts
        kind = line["event"]
        if kind is JournalEvent.CHAT:  # most lines: the check for a new run is its own
            self._chat_line(cast(ChatLine, line))
        else:
            if self._starts_a_run(line):
                self._new_run(ts)
            handler = self._handlers.get(kind)
            if handler is not None:
                handler(line)
        if kind in _COUNTED:
            self._count(line)

    def _count(self, line: JournalLine) -> None:
        """Events the report shows as counts by one of their fields (`LineSpec.counted_by`)."""
        by = LINES[line["event"]].counted_by
        assert by is not None
        value = cast(Mapping[str, object], line).get(by)
        counts = self._counts.setdefault(line["event"].value, CappedCounter(MAX_NAMED))
        counts.add(str(value) if value is not None else "(none)")

    def _starts_a_run(self, line: JournalLine) -> bool:
        run = self._run
        kind = line["event"]
        if kind is JournalEvent.RUN:
            return run.content  # each run writes one first (an empty run is taken over:
            # a journal of nothing but run lines is one run, not a million)
        if kind not in JOB_EVENTS:
            return False
        job_id = cast(JobLine, line)["job"]
        job = self._open.get(job_id)
        mine = job is not None and job.run == run.index
        closed_here = (  # ended in this run already (not one given up while open)
            job is None
            and run.low is not None
            and run.forgot < job_id
            and run.low <= job_id <= run.high
        )
        if kind is JournalEvent.ENQUEUED:
            if line.get("requeued") and mine:
                return False  # back in the queue, same run
            return mine or closed_here
        if kind is JournalEvent.STARTED:
            return (mine and job is not None and job.started) or closed_here
        return closed_here  # an outcome for a job this run has ended already

    def _new_run(self, ts: float) -> None:
        run = self._run
        if run.waiting:  # a killed run's queue is gone
            run.waiting.clear()
            self._record_backlog(ts, 0)
            for bot in self._bots.by_name.values():
                if bot.waiting:
                    bot.waiting = 0
                    bot.backlog.set(self._grid.locate(ts), 0)
        self._end_run(run)
        self._run = _Run(run.index + 1, ts)

    def _end_run(self, run: _Run) -> None:
        self._runs += run.content
        if run.channel and run.channel not in self._channels and len(self._channels) < MAX_NAMED:
            self._channels.append(run.channel)

    def _reading_gap(self, line: ReadingGapLine) -> None:
        """Chat was not read from `ts` to `until`: counted, the first few kept to draw."""
        since, until = line["ts"], max(line["ts"], line["until"])
        self._gap_count += 1
        self._gap_seconds += until - since
        if len(self._gaps) < GAPS_KEPT:
            self._gaps.append((since, until))

    def _run_line(self, line: RunLine) -> None:
        self._run.channel = cut(line["channel"], NAME_KEPT)
        self._run.start = line["ts"]  # offsets count from here (written with its first event)

    def _fault_line(self, line: FaultLine) -> None:
        self._faults.fault(line, self._first or line["ts"])  # offsets from the night's start

    def _state_line(self, line: StateLine) -> None:
        self._state = line["state"].value

    def _reviewed(self, line: ReviewedLine) -> None:
        self._verdicts[line["verdict"].value] += 1
        self._by_timeout += line["by"] == TIMEOUT
        self._on_quit += line["by"] == QUIT

    def _channel_event(self, line: ChannelEventLine) -> None:
        if line.get("test") is True:
            self._test_events += 1
        else:
            self._channel_events[str(line["kind"])] += 1  # EventKind: a closed set

    def _redemption(self, line: RedemptionLine) -> None:
        self._redemptions[str(line["status"])] += 1  # RedemptionStatus: a closed set

    def _chat_line(self, line: ChatLine) -> None:
        """A chat line; one already read in this run means a new run began (older
        journals have no `run` lines, and ids may repeat)."""
        ts = line["ts"]
        synthetic = line.get("synthetic") is True
        is_bot = line.get("is_bot") is True
        user, text = line["user"], line["text"]
        if len(user) > NAME_KEPT:
            user = cut(user, NAME_KEPT)
        if len(text) > TEXT_KEPT:
            text = cut(text, TEXT_KEPT)
        seen = SeenLine(ts, user, text, synthetic and not is_bot, self._run.index)
        before = self._lines.add(line["msg"], seen)
        if before is not None and before.run == self._run.index:
            self._new_run(ts)
            self._lines.add(line["msg"], seen._replace(run=self._run.index))
        self._run.content = True
        if is_bot:
            self._bot_lines += 1
        elif synthetic:
            self._synthetic_lines += 1
        else:
            self._viewer_lines += 1
            self._chat.add(self._grid.locate(line["ts"])[0])

    # ------------------------------------------------------------ jobs
    def _job_event(self, line: JobLine) -> None:
        job_id = line["job"]
        job = self._open.get(job_id)
        kind = line["event"]
        if kind is JournalEvent.ENQUEUED:
            if job is None or job.run != self._run.index:
                job = self._new_job(job_id, line)  # an earlier run's job with this id
                # never ends: it is given up as open (ids started again)
            job.started = False  # a job given back to the queue (`requeued`) waits again
            self._enqueue(job_id, job, line["ts"])
            return
        if job is None:  # a job of this run not seen before (e.g. skipped while draining)
            job = self._new_job(job_id, line)
        if kind is JournalEvent.STARTED:
            job.started = True
            self._leave_queue(job_id, job, line["ts"])
        else:
            self._outcome(job_id, job, cast(OutcomeLine, line))

    def _new_job(self, job_id: int, line: JobLine) -> OpenJob:
        run = self._run
        run.content = True
        run.low = job_id if run.low is None else min(run.low, job_id)
        run.high = max(run.high, job_id)
        self._jobs += 1
        msg = line["msg"]
        job = OpenJob(
            run.index,
            self._bots.name(line["bot"]),
            line["priority"],
            None if msg is None else line_key(msg),
            self._lines.get(msg),
            reaction=line["event"] is JournalEvent.ENQUEUED and "reaction" in line,
        )
        given_up = self._open.open(job_id, job)
        if given_up is not None:
            self._give_up(*given_up)
        return job

    def _give_up(self, job_id: int, job: OpenJob, evicted: bool) -> None:
        """An open job whose outcome can no longer be told apart: counted as open. Either
        an earlier run's job whose id a new job took (ids started again), or `evicted`:
        the oldest open job, when `OPEN_KEPT` more are open."""
        if evicted:
            self._given_up += 1
            self._leave_queue(job_id, job, None)
            if job.run == self._run.index:
                self._run.forgot = max(self._run.forgot, job_id)
        self._outcomes["open"] += 1
        self._mention(job, None, None, merged=False)
        self._ended_open(job)

    def _ended_open(self, job: OpenJob) -> None:
        """A job with no outcome, for the faults it met: open to the journal's end."""
        end = self._last if self._last is not None else 0.0
        start = job.line.ts if job.line is not None else end
        mention = job.priority == "high"
        ended = Ended(start, end, mention, False, OPEN, False)
        self._faults.ended(ended, job, round(end - (self._first or end), 3))

    def _enqueue(self, job_id: int, job: OpenJob, ts: float) -> None:
        run = self._run
        if job_id in run.waiting:
            return
        run.waiting.add(job_id)
        self._record_backlog(ts, len(run.waiting))
        bot = self._bots[job.bot]
        bot.queued_ever = True
        bot.waiting += 1
        bot.backlog.set(self._grid.locate(ts), bot.waiting)

    def _leave_queue(self, job_id: int, job: OpenJob, ts: float | None) -> None:
        """`job` no longer waits (started or ended); `ts` None: without a change recorded."""
        run = self._run
        if job.run != run.index or job_id not in run.waiting:
            return
        run.waiting.discard(job_id)
        bot = self._bots[job.bot]
        bot.waiting -= 1
        if ts is not None:
            self._record_backlog(ts, len(run.waiting))
            bot.backlog.set(self._grid.locate(ts), bot.waiting)

    def _record_backlog(self, ts: float, size: int) -> None:
        self._backlog.set(self._grid.locate(ts), size)
        if size > self._peak[0]:
            self._peak = (size, ts)

    def _outcome(self, job_id: int, job: OpenJob, line: OutcomeLine) -> None:
        self._leave_queue(job_id, job, line["ts"])
        self._open.close(job_id)
        kind = line["event"].value
        self._outcomes[kind] += 1
        merged = line.get("coalesced_into") is not None
        bot = self._bots[job.bot]
        reason: str | None = None
        latency: float | None = None
        if line["event"] is JournalEvent.SENT:
            latency = self._sent(job, bot, line, merged)
        else:
            reason = cast(Any, line)["reason"]
            self._reasons[kind].add(reason or "(no reason)")
            if reason != "resumed":
                self._not_sent(job, f"{kind}: {reason or '(no reason)'}", line["ts"])
        wait = line.get("send_wait")
        if wait is not None:
            bot.wait_recorded = True
            bot.waited += wait
            if wait > 0:
                self._waited += 1
                self._max_wait = max(self._max_wait, wait)
        tokens_in, tokens_out = line.get("tokens_in"), line.get("tokens_out")
        if tokens_in is not None or tokens_out is not None:
            bot.tokens_recorded = True
            bot.tokens[0] += tokens_in or 0
            bot.tokens[1] += tokens_out or 0
        self._mention(job, kind, reason, merged=merged)
        if self._faults.any or job.priority == "high":  # lost mentions are counted always
            ts = line["ts"]
            sent = kind == "sent"
            ended = Ended(
                job.line.ts if job.line is not None else ts,
                ts,
                job.priority == "high" and not (kind == "skipped" and reason == "resumed"),
                sent,
                None if sent else f"{kind}: {reason or '(no reason)'}",
                reason in NOT_LOST,
                latency,
                line.get("dropped") or 0,
                line.get("ai_wasted") or 0,
            )
            self._faults.ended(ended, job, round(ts - (self._first or ts), 3))

    def _sent(self, job: OpenJob, bot: BotTally, line: SentLine, merged: bool) -> float | None:
        """A reply sent; its latency, when known."""
        ts = line["ts"]
        if line.get("manual") is True:
            self._typed += 1
        latency = self._latency_of(job, line)
        if latency is not None:
            self._latency.setdefault(job.priority, Quantiles()).add(latency)
            bot.latency.add(latency)
            if job.priority == "high" and not job.reaction:  # a mention's
                self._points.add(ts, latency, job.bot)
                if self._ack_target is not None and latency > self._ack_target:
                    self._late += 1
        if merged:  # a merged reply's other jobs are not messages of their own
            return latency
        self._replies.add(self._grid.locate(ts)[0])
        bot.messages += 1
        self._random_messages += job.priority != "high"
        bot.window.send(ts)
        if not bot.said.wants():
            bot.said.skip()
            return latency
        seen = job.line
        bot.said.add(
            Said(
                round(ts - self._run.start, 3),
                ts,
                cut(line["text"], TEXT_KEPT),
                job.priority,
                seen.user if seen else None,
                seen.text if seen else None,
                bool(seen and seen.synthetic),
                latency,
            )
        )
        return latency

    def _latency_of(self, job: OpenJob, line: SentLine) -> float | None:
        seen = job.line
        if seen is not None:
            waited = max(0.0, line["ts"] - seen.ts)
            if waited <= WEEK:
                return round(waited, 3)
            self._far_latencies += 1  # two valid times, yet no reply waits a week
        latency = line.get("latency")
        return None if latency is None else round(latency, 3)

    def _not_sent(self, job: OpenJob, reason: str, ts: float) -> None:
        key = self._unsent.wants(reason)
        if key is None:
            return
        seen = job.line
        unsent = Unsent(
            round(ts - self._run.start, 3),
            ts,
            job.bot,
            job.priority,
            seen.user if seen else None,
            seen.text if seen else None,
            bool(seen and seen.synthetic),
        )
        self._unsent.add(key, unsent)

    def _mention(self, job: OpenJob, kind: str | None, reason: str | None, *, merged: bool) -> None:
        """A high-priority job ended (`kind` None: open), unless a restart took it over."""
        if kind == "skipped" and reason == "resumed":
            return
        if job.reaction:  # a reaction to a channel event, not a viewer's mention
            self._reactions[0] += 1
            self._reactions[1] += kind == "sent"
            return
        if job.priority != "high":
            return
        mentions = self._mentions
        mentions.jobs += 1
        if self._mention_lines.add((job.run, job.msg)):  # a line may mention several bots
            mentions.lines += 1
        synthetic = job.line is not None and job.line.synthetic
        mentions.synthetic += synthetic
        if kind == "sent":
            mentions.answered += 1
            mentions.merged += merged
            mentions.synthetic_answered += synthetic
        else:
            mentions.unanswered.add(OPEN if kind is None else f"{kind}: {reason}")
        if job.line is not None:
            self._bots[job.bot].talkers.add(job.line.user)

    # ------------------------------------------------------------ reading
    def report(self, notes: Iterable[str] = ()) -> Report:
        if self._report is None:
            self._report = self._finish(list(notes))
        return self._report

    def _finish(self, notes: list[str]) -> Report:
        for job in self._open.values():  # never ended: open
            self._outcomes["open"] += 1
            self._mention(job, None, None, merged=False)
            self._ended_open(job)
        self._end_run(self._run)
        first, last = self._first, self._last
        if last is not None:
            for bot in self._bots.by_name.values():
                bot.window.leave_until(last)
        peak_size, peak_ts = self._peak
        timeline = self._timeline()
        bots = self._bots.by_name
        return Report(
            journal=self._journal,
            start=first,
            end=last,
            runs=self._runs or 1,
            channels=self._channels,
            final_state=self._state,
            chat_lines=self._viewer_lines + self._bot_lines + self._synthetic_lines,
            viewer_lines=self._viewer_lines,
            bot_lines=self._bot_lines,
            jobs=self._jobs,
            outcomes={kind: self._outcomes.get(kind, 0) for kind in (*OUTCOMES, "open")},
            mentions=self._mention_report(),
            latency_by_priority={
                priority: _latency(self._latency[priority])
                for priority in PRIORITIES
                if priority in self._latency
            },
            latency_by_bot={
                name: _latency(bot.latency)
                for name, bot in sorted(bots.items())
                if bot.latency.count
            },
            backlog_peak=BacklogPeak(
                peak_size,
                peak_ts,
                None if peak_ts is None or first is None else round(peak_ts - first, 3),
            ),
            send_wait=SendWait(
                any(bot.wait_recorded for bot in bots.values()),
                round(sum(bot.waited for bot in bots.values()), 3),
                self._waited,
                round(self._max_wait, 3),
                {
                    name: round(bot.waited, 3)
                    for name, bot in sorted(bots.items())
                    if bot.wait_recorded
                },
            ),
            reasons={kind: counter.most_common() for kind, counter in self._reasons.items()},
            tokens=self._token_report(),
            timeline=timeline,
            console=Console(
                dict(self._verdicts.most_common()), self._by_timeout, self._typed, self._on_quit
            ),
            notes=notes + self._notes(),
            mention_latency=self._points.points(first) if first is not None else [],
            send_windows=self._send_windows(timeline),
            window=self._window,
            counts={kind: counts.most_common() for kind, counts in self._counts.items()},
            share=self._share(),
            synthetic=Synthetic(
                self._synthetic_lines,
                self._mentions.synthetic,
                self._mentions.synthetic_answered,
            ),
            bots=self._bot_reports(),
            unsent=self._unsent.groups(),
            estimates=self._estimates(),
            late=None if self._ack_target is None else Late(self._ack_target, self._late),
            channel=Channel(
                events=dict(self._channel_events.most_common()),
                tests=self._test_events,
                reactions=self._reactions[0],
                reacted=self._reactions[1],
                fulfilled=self._redemptions["FULFILLED"],
                refunded=self._redemptions["CANCELED"],
            ),
            gaps=self._gap_report(first),
            faults=self._faults.faults() if self._faults.any else None,
        )

    def _gap_report(self, first: float | None) -> ReadingGaps:
        origin = first or 0.0
        spans = [
            (round(max(0.0, since - origin), 3), round(max(0.0, until - origin), 3))
            for since, until in self._gaps
        ]
        return ReadingGaps(self._gap_count, round(self._gap_seconds, 3), spans)

    def _mention_report(self) -> Mentions:
        m = self._mentions
        share = round(m.answered / m.jobs, 4) if m.jobs else None
        return Mentions(m.jobs, m.lines, m.answered, share, m.merged, m.unanswered.most_common())

    def _share(self) -> ChatShare:
        messages = sum(bot.messages for bot in self._bots.by_name.values())
        lines = self._viewer_lines + messages
        if not lines:
            return ChatShare(0, 0, None, None)
        return ChatShare(
            lines, messages, round(messages / lines, 4), round(self._random_messages / lines, 4)
        )

    def _bot_reports(self) -> dict[str, BotReport]:
        lines = self._viewer_lines + sum(bot.messages for bot in self._bots.by_name.values())
        return {
            name: BotReport(
                bot.messages,
                round(bot.messages / lines, 4) if lines else None,
                bot.talker_list(),
                bot.talkers.exact,
                bot.said.items,
            )
            for name, bot in sorted(self._bots.by_name.items())
            if bot.messages or bot.talkers.top(1)
        }

    def _send_windows(self, timeline: Timeline | None) -> dict[str, SendWindow]:
        first = self._first or 0.0
        windows = {}
        for name, bot in sorted(self._bots.by_name.items()):
            window = bot.window
            if not window.peak:
                continue
            most = window.most.columns(*self._columns(timeline)) if timeline else []
            at = None if window.peak_at is None else round(window.peak_at - first, 3)
            windows[name] = SendWindow(window.peak, at, most)
        return windows

    def _token_report(self) -> Tokens:
        bots = self._bots.by_name
        if not any(bot.tokens_recorded for bot in bots.values()):
            return Tokens(False)
        by_bot = {
            name: TokenCount(*bot.tokens)
            for name, bot in sorted(bots.items())
            if bot.tokens_recorded
        }
        total = TokenCount(
            sum(count.tokens_in for count in by_bot.values()),
            sum(count.tokens_out for count in by_bot.values()),
        )
        return Tokens(True, total, by_bot)

    def _columns(self, timeline: Timeline) -> tuple[int, int]:
        return round(timeline.bucket / self._grid.width), len(timeline.replies)

    def _timeline(self) -> Timeline | None:
        first, last = self._first, self._last
        if first is None or last is None or last <= first:
            return None
        span = last - first
        bucket = self._grid.column_width(span)
        per, columns = round(bucket / self._grid.width), int(span // bucket) + 1
        by_bot = {
            name: bot.backlog.columns(per, columns)
            for name, bot in sorted(self._bots.by_name.items())
            if bot.queued_ever
        }
        return Timeline(
            first,
            bucket,
            self._backlog.columns(per, columns),
            self._replies.columns(per, columns),
            by_bot,
            self._chat.columns(per, columns),
        )

    def _notes(self) -> list[str]:
        notes = []
        if self._gap_count:
            times = "time" if self._gap_count == 1 else "times"
            notes.append(
                f"chat was not read {self._gap_count:,} {times}, {self._gap_seconds:,.0f} s in"
                " all (reading_gap): mentions in those gaps may have been missed"
            )
        if self._given_up:
            notes.append(
                f"{self._given_up:,} jobs still had no outcome when {OPEN_KEPT:,} later jobs "
                "were open: counted as open (an outcome after that counts as a job of its own)"
            )
        if self._far_latencies:
            notes.append(
                f"{self._far_latencies:,} replies sent more than a week after their chat line: "
                "their latency is the journal's own field, or left out"
            )
        return notes

    def _estimates(self) -> list[str]:
        said = []
        estimated = [q for q in (*self._latency.values(),) if not q.exact]
        if estimated:
            said.append(
                f"latency percentiles of more than {EXACT:,} replies are within "
                f"{RELATIVE_ERROR:.1%} of the exact ones (count and max are exact)"
            )
        if not self._points.exact:
            said.append(
                "the latency chart shows each bot's slowest answered mention in each slice of "
                "the run, not every one"
            )
        if self._mention_lines.forgotten:
            said.append(
                f"lines that mentioned bots are counted once among the last "
                f"{MENTION_LINES_KEPT:,}; a line mentioning two bots further apart counts twice"
            )
        if any(not bot.talkers.exact for bot in self._bots.by_name.values()):
            said.append(
                f"who mentioned a bot most is counted among the {TALKERS_KEPT:,} viewers seen "
                "most; each count shown is one they surely reached"
            )
        return said


_COUNTED = frozenset(kind for kind, spec in LINES.items() if spec.counted_by is not None)


def _latency(values: Quantiles) -> Latency:
    if not values.count:
        return Latency(0, None, None, None)
    return Latency(values.count, values.quantile(50), values.quantile(95), values.max)
