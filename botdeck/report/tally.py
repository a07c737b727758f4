"""From journal events to a `Report`, in one pass.

Definitions (README, "botdeck report"):
- a mention is a high-priority job; it is answered when the job ends `sent` (also when
  another mention's merged reply answered it: `coalesced_into`);
- latency is the time from the chat line a reply answers to its `sent` event (the
  `latency` field when the line is not in the journal);
- the backlog is the number of jobs waiting: enqueued and neither started nor ended;
- a job with no outcome in the journal (a killed run) is "open".

A journal may hold several runs appended one after another (`--journal` appends). Older
journals started job ids again with each run, so a job id, a chat line or an outcome
seen twice starts a new run; jobs still waiting when a run ends stay open and leave the
backlog. Since runs resume, ids continue across runs, and a restart gives the jobs the
previous run left open their outcome (`expired`, or `resumed` by a new job that
`resumes` it): such an outcome ends the earlier run's job, and a `resumed` job is not
counted as a mention of its own (the job that took it over is).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import cast

from botdeck.core.stats import percentile
from botdeck.model.defaults import TWITCH_SEND_LIMITS
from botdeck.model.journal import (
    LINES,
    ChatLine,
    JobLine,
    JournalEvent,
    JournalLine,
    OutcomeLine,
    SentLine,
    is_job_line,
    is_outcome_line,
)
from botdeck.model.review import QUIT, TIMEOUT
from botdeck.report.model import (
    BacklogPeak,
    Console,
    Latency,
    LatencyPoint,
    Mentions,
    Report,
    SendWait,
    SendWindow,
    Timeline,
    TokenCount,
    Tokens,
)
from botdeck.report.reader import OUTCOMES, PRIORITIES, Event

MAX_NAMED = 10  # channels, and values of a counted field, named in a report
BUCKETS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400)
MAX_COLUMNS = 60  # a timeline never has more buckets than this


@dataclass(slots=True)
class _Job:
    bot: str
    priority: str
    msg: str | None
    started: bool = False
    outcome: str | None = None
    reason: str | None = None
    merged: bool = False  # answered by another job's reply (`coalesced_into`)


@dataclass(slots=True)
class _Run:
    channel: str | None = None  # from its `run` line (older journals have none)
    jobs: dict[int, _Job] = field(default_factory=dict)
    enqueued: set[int] = field(default_factory=set)
    chat: set[str] = field(default_factory=set)
    waiting: set[int] = field(default_factory=set)
    waiting_by_bot: Counter[str] = field(default_factory=Counter)


class Tally:
    """Feed events in file order with `add`, then read `report()`."""

    def __init__(self, journal: str) -> None:
        self._journal = journal
        self._runs: list[_Run] = [_Run()]
        self._first: float | None = None
        self._last: float | None = None
        self._state: str | None = None
        self._chat_ts: dict[str, float] = {}  # the latest line with each id
        self._viewer_lines = 0
        self._bot_lines = 0
        self._latency_priority: dict[str, list[float]] = defaultdict(list)
        self._latency_bot: dict[str, list[float]] = defaultdict(list)
        self._backlog: list[tuple[float, int]] = []  # (ts, size) at each change
        self._peak: tuple[int, float | None] = (0, None)  # size, first reached at
        self._bot_backlog: dict[str, list[tuple[float, int]]] = defaultdict(list)
        self._sent_ts: list[float] = []
        self._sent_by_bot: dict[str, list[float]] = defaultdict(list)  # messages
        self._mention_latency: list[tuple[float, float, str]] = []  # (ts, latency, bot)
        self._reasons: dict[str, Counter[str]] = {kind: Counter() for kind in OUTCOMES[1:]}
        self._waits: dict[str, float] = defaultdict(float)
        self._waited = 0
        self._max_wait = 0.0
        self._wait_recorded = False
        self._tokens: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        self._tokens_recorded = False
        self._verdicts: Counter[str] = Counter()
        self._by_timeout = 0
        self._on_quit = 0
        self._typed = 0
        self._counts: dict[str, Counter[str]] = {}  # events counted by a field (`counted_by`)

    # ------------------------------------------------------------ adding
    def add(self, event: Event) -> None:
        line = event.data
        if self._first is None:
            self._first = event.ts
        self._last = event.ts if self._last is None else max(self._last, event.ts)
        if self._starts_a_run(line):
            self._new_run(event.ts)
        run = self._runs[-1]
        if is_job_line(line):
            self._job_event(run, line)
        elif line["event"] == JournalEvent.CHAT:
            self._chat(run, line)
        elif line["event"] == JournalEvent.RUN:
            run.channel = line["channel"]
        elif line["event"] == JournalEvent.STATE:
            self._state = line["state"].value
        elif line["event"] == JournalEvent.REVIEWED:
            self._verdicts[line["verdict"].value] += 1
            self._by_timeout += line["by"] == TIMEOUT
            self._on_quit += line["by"] == QUIT
        self._count(line)

    def _count(self, line: JournalLine) -> None:
        """Events the report shows as counts by one of their fields (`LineSpec.counted_by`)."""
        by = LINES[line["event"]].counted_by
        if by is not None:
            value = cast(Mapping[str, object], line).get(by)
            counts = self._counts.setdefault(line["event"].value, Counter())
            shown = str(value) if value is not None else "(none)"
            if shown not in counts and len(counts) >= MAX_NAMED:
                shown = "(others)"  # a journal is untrusted: a few values, then one bucket
            counts[shown] += 1

    def _starts_a_run(self, line: JournalLine) -> bool:
        run = self._runs[-1]
        if line["event"] == JournalEvent.RUN:
            return bool(run.jobs or run.chat)  # each run writes one first (an empty run is
            # taken over: a journal of nothing but run lines is one run, not a million)
        if line["event"] == JournalEvent.CHAT:
            return line["msg"] in run.chat
        if not is_job_line(line):
            return False
        job_id = line["job"]
        if line["event"] == JournalEvent.ENQUEUED:
            if line.get("requeued") and job_id in run.jobs:
                return run.jobs[job_id].outcome is not None  # back in the queue, same run
            return job_id in run.enqueued or job_id in run.jobs
        if line["event"] == JournalEvent.STARTED:
            job = run.jobs.get(job_id)
            return job is not None and (job.started or job.outcome is not None)
        job = run.jobs.get(job_id)
        return job is not None and job.outcome is not None

    def _new_run(self, ts: float) -> None:
        run = self._runs[-1]
        if run.waiting:
            run.waiting.clear()  # a killed run's queue is gone
            self._record_backlog(ts, 0)
            for bot in [bot for bot, size in run.waiting_by_bot.items() if size]:
                self._bot_backlog[bot].append((ts, 0))
        self._runs.append(_Run())

    def _chat(self, run: _Run, line: ChatLine) -> None:
        msg = line["msg"]
        run.chat.add(msg)
        self._chat_ts[msg] = line["ts"]
        if line.get("is_bot"):
            self._bot_lines += 1
        else:
            self._viewer_lines += 1

    def _job_event(self, run: _Run, line: JobLine) -> None:
        job_id = line["job"]
        job = run.jobs.get(job_id)
        if job is None and line["event"] != JournalEvent.ENQUEUED:
            earlier = self._left_open(job_id)
            if earlier is not None:  # a job of an earlier run, going on (or ended) in this one
                run, job = earlier
        if job is None:
            job = _Job(line["bot"], line["priority"], line["msg"])
            run.jobs[job_id] = job
        ts = line["ts"]
        if line["event"] == JournalEvent.ENQUEUED:
            job.started = False  # a job given back to the queue (`requeued`) waits again
            run.enqueued.add(job_id)
            run.waiting.add(job_id)
            self._record_backlog(ts, len(run.waiting))
            self._record_bot_backlog(run, job.bot, ts, +1)
        elif line["event"] == JournalEvent.STARTED:
            job.started = True
            self._leave_queue(run, job_id, job.bot, ts)
        elif is_outcome_line(line):
            self._outcome(run, job_id, job, line)

    def _left_open(self, job_id: int) -> tuple[_Run, _Job] | None:
        """The latest earlier run's job with this id, if it has no outcome yet."""
        for run in reversed(self._runs[:-1]):
            job = run.jobs.get(job_id)
            if job is not None:
                return (run, job) if job.outcome is None else None
        return None

    def _leave_queue(self, run: _Run, job_id: int, bot: str, ts: float) -> None:
        if job_id in run.waiting:
            run.waiting.discard(job_id)
            self._record_backlog(ts, len(run.waiting))
            self._record_bot_backlog(run, bot, ts, -1)

    def _outcome(self, run: _Run, job_id: int, job: _Job, line: OutcomeLine) -> None:
        self._leave_queue(run, job_id, job.bot, line["ts"])
        job.outcome = line["event"].value
        job.merged = line.get("coalesced_into") is not None
        if line["event"] == JournalEvent.SENT:
            job.reason = None
            self._sent(job, line)
        else:
            job.reason = line["reason"]
            self._reasons[line["event"].value][job.reason or "(no reason)"] += 1
        wait = line.get("send_wait")
        if wait is not None:
            self._wait_recorded = True
            self._waits[job.bot] += wait
            if wait > 0:
                self._waited += 1
                self._max_wait = max(self._max_wait, wait)
        tokens_in, tokens_out = line.get("tokens_in"), line.get("tokens_out")
        if tokens_in is not None or tokens_out is not None:
            self._tokens_recorded = True
            spent = self._tokens[job.bot]
            spent[0] += tokens_in or 0
            spent[1] += tokens_out or 0

    def _sent(self, job: _Job, line: SentLine) -> None:
        ts = line["ts"]
        if line.get("manual") is True:
            self._typed += 1
        if not job.merged:  # a merged reply's other jobs are not messages of their own
            self._sent_ts.append(ts)
            self._sent_by_bot[job.bot].append(ts)
        line_ts = self._chat_ts.get(job.msg) if job.msg is not None else None
        latency = ts - line_ts if line_ts is not None else line.get("latency")
        if latency is not None:
            latency = round(max(0.0, latency), 3)
            self._latency_priority[job.priority].append(latency)
            self._latency_bot[job.bot].append(latency)
            if job.priority == "high":
                self._mention_latency.append((ts, latency, job.bot))

    def _record_bot_backlog(self, run: _Run, bot: str, ts: float, change: int) -> None:
        run.waiting_by_bot[bot] += change
        self._bot_backlog[bot].append((ts, run.waiting_by_bot[bot]))

    def _record_backlog(self, ts: float, size: int) -> None:
        self._backlog.append((ts, size))
        if size > self._peak[0]:
            self._peak = (size, ts)

    # ------------------------------------------------------------ reading
    def report(self, notes: Iterable[str] = ()) -> Report:
        jobs = [job for run in self._runs for job in run.jobs.values()]
        outcomes = Counter(job.outcome or "open" for job in jobs)
        peak_size, peak_ts = self._peak
        first = self._first
        window = TWITCH_SEND_LIMITS.window  # Twitch counts a chat account's messages in it
        return Report(
            journal=self._journal,
            start=first,
            end=self._last,
            runs=sum(1 for run in self._runs if run.jobs or run.chat) or 1,
            channels=list(dict.fromkeys(run.channel for run in self._runs if run.channel))[
                :MAX_NAMED
            ],
            final_state=self._state,
            chat_lines=self._viewer_lines + self._bot_lines,
            viewer_lines=self._viewer_lines,
            bot_lines=self._bot_lines,
            jobs=len(jobs),
            outcomes={kind: outcomes.get(kind, 0) for kind in (*OUTCOMES, "open")},
            mentions=_mentions(self._runs),
            latency_by_priority={
                priority: _latency(self._latency_priority[priority])
                for priority in PRIORITIES
                if priority in self._latency_priority
            },
            latency_by_bot={
                bot: _latency(values) for bot, values in sorted(self._latency_bot.items())
            },
            backlog_peak=BacklogPeak(
                peak_size,
                peak_ts,
                None if peak_ts is None or first is None else round(peak_ts - first, 3),
            ),
            send_wait=SendWait(
                self._wait_recorded,
                round(sum(self._waits.values()), 3),
                self._waited,
                round(self._max_wait, 3),
                {bot: round(wait, 3) for bot, wait in sorted(self._waits.items())},
            ),
            reasons={kind: dict(counter.most_common()) for kind, counter in self._reasons.items()},
            tokens=self._token_report(),
            timeline=self._timeline(),
            console=Console(
                dict(self._verdicts.most_common()), self._by_timeout, self._typed, self._on_quit
            ),
            notes=list(notes),
            mention_latency=[
                LatencyPoint(round(ts - first, 3), latency, bot)
                for ts, latency, bot in self._mention_latency
                if first is not None
            ],
            send_windows={
                bot: send_window([round(ts - (first or ts), 3) for ts in times], window)
                for bot, times in sorted(self._sent_by_bot.items())
            },
            window=window,
            counts={kind: dict(counts.most_common()) for kind, counts in self._counts.items()},
        )

    def _token_report(self) -> Tokens:
        if not self._tokens_recorded:
            return Tokens(False)
        by_bot = {bot: TokenCount(*spent) for bot, spent in sorted(self._tokens.items())}
        total = TokenCount(
            sum(count.tokens_in for count in by_bot.values()),
            sum(count.tokens_out for count in by_bot.values()),
        )
        return Tokens(True, total, by_bot)

    def _timeline(self) -> Timeline | None:
        if self._first is None or self._last is None or self._last <= self._first:
            return None
        span = self._last - self._first
        bucket = next((b for b in BUCKETS if span / b <= MAX_COLUMNS), math.ceil(span / 60))
        columns = int(span // bucket) + 1
        replies = [0] * columns
        for ts in self._sent_ts:
            replies[min(columns - 1, int((ts - self._first) // bucket))] += 1
        by_bot = {
            bot: _most_per_bucket(changes, self._first, bucket, columns)
            for bot, changes in sorted(self._bot_backlog.items())
        }
        backlog = _most_per_bucket(self._backlog, self._first, bucket, columns)
        return Timeline(self._first, float(bucket), backlog, replies, by_bot)


def _most_per_bucket(
    changes: list[tuple[float, int]], start: float, bucket: float, columns: int
) -> list[int]:
    """The largest value of a step function (its `(ts, value)` changes in time order) in
    each bucket, counting the value it has as the bucket begins."""
    most_in = [0] * columns
    size = 0
    steps = iter(changes)
    change = next(steps, None)
    for column in range(columns):
        begin = start + column * bucket
        while change is not None and change[0] <= begin:  # what waits as it begins
            size = change[1]
            change = next(steps, None)
        most = size
        while change is not None and change[0] < begin + bucket:
            size = change[1]
            most = max(most, size)
            change = next(steps, None)
        most_in[column] = most
    return most_in


def send_window(sends: list[float], window: float) -> SendWindow:
    """Messages in the trailing `window` (a send at t counts during [t, t + window)), as a
    step at every change; and the peak, first reached at."""
    arrivals = sorted(sends)
    leaving = iter(t + window for t in arrivals)
    next_leave = next(leaving, None)
    times: list[float] = []
    counts: list[int] = []
    count, peak, peak_at = 0, 0, None
    for t in arrivals:
        while next_leave is not None and next_leave <= t:  # left before this one arrived
            count -= 1
            times.append(round(next_leave, 3))
            counts.append(count)
            next_leave = next(leaving, None)
        count += 1
        times.append(round(t, 3))
        counts.append(count)
        if count > peak:
            peak, peak_at = count, t
    while next_leave is not None:
        count -= 1
        times.append(round(next_leave, 3))
        counts.append(count)
        next_leave = next(leaving, None)
    return SendWindow(times, counts, peak, peak_at)


def _latency(values: list[float]) -> Latency:
    if not values:
        return Latency(0, None, None, None)
    ordered = sorted(values)
    return Latency(len(ordered), percentile(ordered, 50), percentile(ordered, 95), ordered[-1])


def _mentions(runs: list[_Run]) -> Mentions:
    high = [(index, job) for index, run in enumerate(runs) for job in run.jobs.values()]
    high = [
        (index, job)
        for index, job in high
        if job.priority == "high" and not (job.outcome == "skipped" and job.reason == "resumed")
    ]
    lines = {(index, job.msg) for index, job in high}  # a line may mention several bots
    answered = sum(1 for _, job in high if job.outcome == "sent")
    unanswered = Counter(
        "no outcome in the journal" if job.outcome is None else f"{job.outcome}: {job.reason}"
        for _, job in high
        if job.outcome != "sent"
    )
    merged = sum(1 for _, job in high if job.outcome == "sent" and job.merged)
    share = round(answered / len(high), 4) if high else None
    return Mentions(len(high), len(lines), answered, share, merged, dict(unanswered.most_common()))
