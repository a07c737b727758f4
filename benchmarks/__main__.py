"""Run every benchmark (or the groups named), print a table, write benchmarks/results.json.

Each botdeck figure is set against a baseline measured in this same run: the reference
design's router on real p-queue (../shared/anchors/pqueue-seed/run) where it has that
workload, otherwise a naive asyncio implementation (or, for the dashboard, a per-line
RichLog variant and a minimal Textual app). Throughput takes the median of 5 runs on
both sides and shows the spread: p-queue's own runs vary about twofold here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ANCHOR = Path(os.environ.get("BOTDECK_ANCHOR", ROOT.parent / "shared/anchors/pqueue-seed/run"))
RESULTS = ROOT / "benchmarks" / "results.json"
RUNS = 5  # throughput runs per side
# The dashboard: benchmarks/tui_bench.py runs its own RUNS, interleaved with its baselines.


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    baseline: float | None
    ratio: float | None  # how many times better than the baseline (>1 is better)
    detail: str


def run_json(command: list[str]) -> dict:
    out = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def ours(*args: object) -> dict:
    return run_json([sys.executable, "-m", "benchmarks.scheduler_bench", *map(str, args)])


def anchor(*args: object) -> dict | None:
    if not ANCHOR.exists():
        return None
    return run_json([str(ANCHOR), *map(str, args)])


def median_run(runs: list[dict | None], key: str) -> dict | None:
    """The run with the median `key`: p-queue's throughput swings about 2x run to run
    here (GC and JIT warm-up), so the middle of five is fairer than the best of a few."""
    present = sorted((run for run in runs if run is not None), key=lambda run: run[key])
    return present[len(present) // 2] if present else None


def spread(runs: list[dict | None], key: str) -> str:
    values = [run[key] for run in runs if run is not None]
    return f"{min(values):,}-{max(values):,}" if values else "-"


def ratio(better: float, worse: float | None) -> float | None:
    return None if not worse or not better else round(better / worse, 2)


def scheduler_figures() -> list[Figure]:
    figures = []
    for bots in (2, 5):
        mine = [ours("throughput", bots, 100_000) for _ in range(RUNS)]
        ref = [anchor("throughput", bots, 100_000) for _ in range(RUNS)]
        middle, ref_middle = median_run(mine, "jobs_per_s"), median_run(ref, "jobs_per_s")
        assert middle is not None
        base = ref_middle["jobs_per_s"] if ref_middle else None
        figures.append(Figure(
            f"throughput_{bots}_bots", middle["jobs_per_s"], "jobs/s", base,
            ratio(middle["jobs_per_s"], base),
            f"100,000 no-op jobs, global 5 / per-bot 2, {bots} bots; median of {RUNS} runs"
            f" (botdeck {spread(mine, 'jobs_per_s')}, p-queue seed"
            f" {spread(ref, 'jobs_per_s')})",
        ))  # fmt: skip
        small = median_run(mine, "peak_rss_mb")
        ref_small = median_run(ref, "peak_rss_mb")
        assert small is not None
        base_mb = ref_small["peak_rss_mb"] if ref_small else None
        figures.append(Figure(
            f"peak_memory_100k_queued_{bots}_bots", small["peak_rss_mb"], "MB", base_mb,
            ratio(base_mb or 0, small["peak_rss_mb"]),
            f"peak RSS of the whole process with 100,000 jobs queued at t=0; median of {RUNS}",
        ))  # fmt: skip
    ref_hol = anchor("hol", 20, 1000)
    for backlog in (20, 1000):
        hol = ours("hol", backlog, 1000)
        base = ref_hol["idle_bot_start_ms"] if ref_hol and backlog == 20 else None
        figures.append(Figure(
            f"idle_bot_start_behind_{backlog}_jobs", hol["idle_bot_start_ms"], "ms", base,
            ratio(base or 0, hol["idle_bot_start_ms"]),
            f"{backlog} jobs of 1 s queued for bot1, then one for bot2: when bot2's starts"
            + ("; p-queue seed at the same backlog" if base else "; seed not run (minutes)"),
        ))  # fmt: skip
    stop = ours("stop", 10_000)
    figures.append(Figure(
        "emergency_stop_10k_queued_5_running", stop["stop_ms"], "ms",
        stop["naive_tasks_stop_ms"], ratio(stop["naive_tasks_stop_ms"], stop["stop_ms"]),
        f"stop() until every job is cancelled and unwound ({stop['cancelled']} jobs);"
        " baseline: one asyncio task per job behind a semaphore, cancelled",
    ))  # fmt: skip
    return figures


def _spread(run: dict, key: str, scale: float = 1.0, digits: int = 1) -> str:
    low, high = run["spread"][key]
    return f"{low * scale:.{digits}f}-{high * scale:.{digits}f}"


def dashboard_figures() -> list[Figure]:
    from benchmarks.tui_bench import RUNS, run_all

    tui = run_all()
    if tui is None:
        print("note: tmux not found; dashboard benchmarks skipped", file=sys.stderr)
        return []
    log, plain, rich = tui["lag_dashboard"], tui["lag_plain"], tui["lag_richlog"]
    idle, idle_plain, frame = tui["idle_dashboard"], tui["idle_plain"], tui["first_frame"]
    load = (
        f"120x40, 5 bots, the queue open on the busiest, 1,000 chat lines/s for 10 s, in tmux;"
        f" median of {RUNS} runs interleaved with the baselines"
    )
    machine = (
        f"machine during the runs: 1-min load {_spread(log, 'load_1min', digits=2)},"
        f" preempted {_spread(log, 'preempted', digits=0)} times per run"
        f" (plain Textual: {_spread(plain, 'preempted', digits=0)})"
    )
    return [
        Figure("dashboard_loop_lag_p99", round(log["p99_ms"], 1), "ms", round(plain["p99_ms"], 1),
               ratio(plain["p99_ms"], log["p99_ms"]),
               f"lateness of a 10 ms timer, {load}; runs {_spread(log, 'p99_ms')} ms;"
               f" baseline: a plain Textual app (a Log fed the same lines),"
               f" runs {_spread(plain, 'p99_ms')} ms; {machine}"),
        Figure("dashboard_loop_lag_p99_vs_richlog", round(log["p99_ms"], 1), "ms",
               round(rich["p99_ms"], 1), ratio(rich["p99_ms"], log["p99_ms"]),
               "same load; baseline: the dashboard with RichLog written per line"),
        Figure("dashboard_loop_lag_p50", round(log["p50_ms"], 2), "ms", round(plain["p50_ms"], 2),
               ratio(plain["p50_ms"], log["p50_ms"]), f"same runs; max {log['max_ms']:.0f} ms"
               f" (runs {_spread(log, 'max_ms', digits=0)}; plain Textual"
               f" {_spread(plain, 'max_ms', digits=0)})"),
        Figure("dashboard_cpu_share", round(log["cpu_share"], 3), "cpu",
               round(plain["cpu_share"], 3), ratio(plain["cpu_share"], log["cpu_share"]),
               f"process CPU / wall time, {load}; runs {_spread(log, 'cpu_share', 100)}%;"
               f" plain Textual {_spread(plain, 'cpu_share', 100)}%"),
        Figure("dashboard_idle_cpu_share", round(idle["cpu_share"], 4), "cpu",
               round(idle_plain["cpu_share"], 4), ratio(idle_plain["cpu_share"], idle["cpu_share"]),
               f"no chat for 10 s, the queue open; runs {_spread(idle, 'cpu_share', 100, 2)}%;"
               f" baseline: the plain Textual app idle"),
        Figure("dashboard_first_frame", round(frame["botdeck_s"], 3), "s",
               round(frame["hello_s"], 3), ratio(frame["hello_s"], frame["botdeck_s"]),
               "launch of `botdeck demo` to a full first frame in tmux, best of 3;"
               " baseline: a minimal Textual app (ratio < 1: botdeck is slower)"),
    ]  # fmt: skip


def ratelimit_figures() -> list[Figure]:
    """Send limits under a sustained backlog (virtual time) against a leaky bucket."""
    runs = run_json([sys.executable, "-m", "benchmarks.ratelimit_bench"])
    viewer, moderator = runs["viewer"], runs["moderator"]
    ours, bucket = viewer["botdeck"], viewer["leaky_bucket"]
    minutes = f"{viewer['duration_s'] / 60:g} min"
    figures = [
        Figure(
            "send_rate_sustained_backlog_viewer", ours["rate_pct"], "%", bucket["rate_pct"], None,
            f"sends in {minutes} as % of the allowed 20 per 30 s (>= 95% required); baseline:"
            " aiolimiter-style leaky bucket, above 100% because it exceeds the limit",
        ),
        Figure(
            "send_windows_over_limit_viewer", ours["windows_over_limit"], "windows",
            bucket["windows_over_limit"], None,
            "30 s windows holding more than 20 sends (each window starting at a send);"
            " the bucket bursts 20, then lets one through every 1.5 s",
        ),
        Figure(
            "messages_delivered_with_lockout_viewer", ours["delivered_with_lockout"], "msgs",
            bucket["delivered_with_lockout"],
            ratio(ours["delivered_with_lockout"], bucket["delivered_with_lockout"]),
            f"what Twitch delivers in {minutes} when an account over its limit is locked"
            " out for 30 minutes",
        ),
        Figure(
            "send_rate_sustained_backlog_moderator", moderator["botdeck"]["rate_pct"], "%",
            None, None,
            f"sends in {minutes} as % of the allowed 100 per 30 s;"
            f" {moderator['botdeck']['windows_over_limit']} windows over the limit",
        ),
    ]  # fmt: skip
    if ours["rate_pct"] < 95 or ours["windows_over_limit"] or moderator["botdeck"]["rate_pct"] < 95:
        print("warning: the send limiter missed its target (>= 95%, no window over)")
    return figures


def raid_figures() -> list[Figure]:
    """Raid mode (virtual time): mentions acknowledged within 60 s, merged vs one by one."""
    runs = run_json([sys.executable, "-m", "benchmarks.raid_bench"])
    figures = []
    for mentions in (100, 300):
        merged, single = runs[f"{mentions}_merging"], runs[f"{mentions}_one_by_one"]
        figures.append(Figure(
            f"raid_{mentions}_acknowledged_within_60s", merged["acknowledged_in_60s_pct"], "%",
            single["acknowledged_in_60s_pct"],
            ratio(merged["acknowledged_in_60s_pct"], single["acknowledged_in_60s_pct"]),
            f"{mentions} viewers mention one viewer-role bot (20 msgs / 30 s) within 2 s;"
            f" merged: {merged['messages']} messages, last acknowledged after"
            f" {merged['last_ack_s']:g} s; baseline one reply each: last after"
            f" {single['last_ack_s']:g} s",
        ))  # fmt: skip
    return figures


def outage_figures() -> list[Figure]:
    """A 60 s AI outage mid-stream (virtual time): mentions lost, circuit on and off."""
    runs = run_json([sys.executable, "-m", "benchmarks.outage_bench"])
    on, off = runs["circuit"], runs["no_circuit"]
    if on["lost"]:
        print(f"warning: {on['lost']} mentions lost to the outage (goal: 0)")
    return [
        Figure(
            "mentions_lost_60s_ai_outage", on["lost_pct"], "%", off["lost_pct"], None,
            f"{on['mentions']} mentions at 1/s for 3 min, AI server refusing connections for"
            f" 60 s; lost {on['lost']} vs {off['lost']}; answered mentions' latency p95"
            f" {on['latency_p95_s']:g} s (max {on['latency_max_s']:g} s) vs"
            f" {off['latency_p95_s']:g} s; baseline: the same engine, circuit off"
            " (outage_wait = 0: max_retries, then failed)",
        ),
        Figure(
            "requests_to_a_down_ai_server_60s", on["requests_while_down"], "reqs",
            off["requests_while_down"],
            ratio(off["requests_while_down"], on["requests_while_down"]),
            "requests sent while the server was down, same run: one probe at a time with"
            " backoff, against every reply retrying on its own",
        ),
    ]  # fmt: skip


def moderation_figures() -> list[Figure]:
    """Chat modes and moderators' actions (virtual time) against botdeck not told of them,
    and a moderator's `!botdeck stop` over the real twitchio client."""
    runs = run_json([sys.executable, "-m", "benchmarks.moderation_bench"])
    modes, deleted, stop = runs["chat_modes"], runs["deleted_lines"], runs["mod_stop_ms"]
    ours, unaware = modes["botdeck"], modes["unaware"]
    session = (
        "10 min, a mention every 10 s to one of 2 viewer bots and a moderator bot;"
        " followers-only minutes 2-7, then slow mode 30 s"
    )
    return [
        Figure(
            "chat_modes_mentions_answered", ours["answered"], "of 60", unaware["answered"],
            ratio(ours["answered"], unaware["answered"]),
            f"{session}; baseline: botdeck not told of the modes (sends, Twitch drops)",
        ),
        Figure(
            "chat_modes_messages_dropped", ours["dropped_by_twitch"], "msgs",
            unaware["dropped_by_twitch"], None,
            "same run: messages Twitch would drop (each one an LLM call spent for nothing)",
        ),
        Figure(
            "chat_modes_llm_calls_held_bots", ours["viewer_bot_llm_calls_in_followers_only"],
            "calls", unaware["viewer_bot_llm_calls_in_followers_only"], None,
            f"same run: the viewer bots' LLM calls during followers-only; in all"
            f" {ours['llm_calls']} calls (held mentions merged after) vs {unaware['llm_calls']}",
        ),
        Figure(
            "replies_sent_to_deleted_lines", deleted["botdeck"]["replies_to_deleted_lines"],
            "msgs", deleted["unaware"]["replies_to_deleted_lines"], None,
            f"100 mentions, {deleted['botdeck']['deleted']} deleted 0.5 s after they were said"
            f" (reply in its 1-3 s delay); other replies {deleted['botdeck']['other_replies']}"
            f" both ways; baseline: botdeck not told of the deletions",
        ),
        Figure(
            "moderator_stop_latency", stop["median"], "ms", None, None,
            f"a moderator's `!botdeck stop` from the fake Twitch sending it to `stopped`, real"
            f" twitchio client; median of {stop['runs']} (max {stop['max']:g} ms; bound 100 ms)",
        ),
    ]  # fmt: skip


HOSTILE = {
    "gzip": "a 1 MB gzip inflating to 1 GiB of newlines",
    "zeros": "1 GiB of zero bytes without a newline (sparse)",
}


def event_raid_figures() -> list[Figure]:
    """A raid Twitch tells of (`channel.raid`) against the same raid told by its mentions
    alone (virtual time): the greeting's latency, and mentions answered within 60 s."""
    runs = run_json([sys.executable, "-m", "benchmarks.event_raid_bench"])
    figures = []
    for viewers in (200, 600):
        told, untold = runs[f"{viewers}_event"], runs[f"{viewers}_no_event"]
        if viewers == 200:
            figures.append(Figure(
                "raid_greeting_from_channel_raid", told["greeting_s"], "s", None, None,
                f"a raid of {viewers}: the greeting naming the raider sent"
                f" {told['greeting_s']:g} s after channel.raid"
                f" ({'first' if told['greeting_first'] else 'not first'})",
            ))  # fmt: skip
        figures.append(Figure(
            f"raid_{viewers}_event_answered_within_60s", told["answered_in_60s_pct"], "%",
            untold["answered_in_60s_pct"],
            ratio(told["answered_in_60s_pct"], untold["answered_in_60s_pct"]),
            f"{told['mentions']} mentions from a raid of {viewers} over 10 s, one viewer bot;"
            f" with the event: p50 {told['p50_s']:g} s, last {told['last_s']:g} s,"
            f" {told['messages']} messages; mentions only: p50 {untold['p50_s']:g} s,"
            f" last {untold['last_s']:g} s, {untold['messages']} messages",
        ))  # fmt: skip
    if any(not runs[f"{v}_event"]["greeting_first"] for v in (200, 600)):
        print("warning: the raid greeting did not go first")
    return figures


def hostile_figures() -> list[Figure]:
    """`rehearse` and `report` on 1 GiB hostile inputs: peak memory and time to refuse,
    against botdeck before issue 16 under a 3 GiB cap (the issue's own figure: 2.1 GB)."""
    runs = run_json([sys.executable, "-m", "benchmarks.hostile_bench"])
    figures: list[Figure] = []
    for command, hostile, other in (("rehearse", "gzip", "zeros"), ("report", "zeros", "gzip")):
        ours, also = runs[f"{command}_{hostile}"], runs[f"{command}_{other}"]
        old = runs.get(f"baseline_{command}_{hostile}") or {}
        base_mb, base_s = old.get("peak_mb"), old.get("seconds")
        if not old:
            old_label = "not measured (no git history)"
        else:
            capped = old["exit"] not in (0, 2) or old["traceback"]
            old_label = f"botdeck before issue 16: {base_mb:,.0f} MB, {base_s:g} s" + (
                f" (stopped by the {runs['cap_mb']:,} MB cap)" if capped else ""
            )
        ok = ours["exit"] == 2 and ours["stderr_lines"] == 1 and not ours["traceback"]
        said = ours["last_line"].split(": ", 2)[-1][:70]
        verdict = f"a one-line refusal ({said})" if ok else "NOT a one-line refusal"
        memory = f"botdeck {command} on {HOSTILE[hostile]}: {verdict}; baseline {old_label}"
        other_run = f"{also['peak_mb']:g} MB, {also['seconds']:g} s, exit {also['exit']}"
        figures += [
            Figure(f"{command}_1gib_hostile_peak_memory", ours["peak_mb"], "MB", base_mb,
                   ratio(base_mb or 0, ours["peak_mb"]), memory + "; goal < 100 MB"),
            Figure(f"{command}_1gib_hostile_refusal_time", ours["seconds"], "s", base_s,
                   ratio(base_s or 0, ours["seconds"]),
                   f"wall time of that refusal (goal < 2 s); on {HOSTILE[other]}: {other_run}"),
        ]  # fmt: skip
        if not ok or ours["peak_mb"] >= 100 or ours["seconds"] >= 2:
            print(f"warning: {command} on hostile input missed its goal: {ours}")
    return figures


def report_figures() -> list[Figure]:
    """`botdeck report --json --html` on a generated 1 GiB journal: peak memory, time and
    the page's size, against the report before issue 27.4 in the same run."""
    runs = run_json([sys.executable, "-m", "benchmarks.report_bench"])
    ours, old = runs["botdeck"], runs.get("baseline")
    journal = f"{runs['journal_mb']:,} MiB journal ({runs['lines']:,} lines, a busy stream)"
    if old is None:
        base_mb = base_s = base_page = None
        old_label = "before issue 27.4: not measured (no git history)"
    else:
        base_mb, base_s, base_page = old["peak_mb"], old["seconds"], old["page_mb"]
        capped = old["exit"] != 0
        old_label = f"before issue 27.4: {base_mb:,.0f} MB, {base_s:g} s" + (
            f" (stopped by the {runs['cap_mb']:,} MB cap)" if capped else ""
        )
    ok = ours["exit"] == 0 and not ours["traceback"]
    if not ok or ours["peak_mb"] >= 200 or (ours["page_mb"] or 0) >= 5:
        print(f"warning: report on 1 GiB missed its goal: {ours}")
    return [
        Figure("report_1gib_peak_memory", ours["peak_mb"], "MB", base_mb,
               ratio(base_mb or 0, ours["peak_mb"]),
               f"`botdeck report J --json --html P` on a {journal}: peak RSS; goal < 200 MB;"
               f" baseline {old_label}"),
        Figure("report_1gib_time", ours["seconds"], "s", base_s,
               ratio(base_s or 0, ours["seconds"]),
               "wall time of that run (2 shared cores), both sides on the same journal"),
        Figure("report_1gib_page_size", ours["page_mb"] or 0, "MB", base_page,
               ratio(base_page or 0, ours["page_mb"] or 0),
               "the page it wrote (goal < 5 MB); before, one dot per answered mention"),
    ]  # fmt: skip


def drain_figures() -> list[Figure]:
    """A drain after 5 minutes of chat flood (virtual time), against the pre-admission engine."""
    runs = run_json([sys.executable, "-m", "benchmarks.drain_bench", "300"])
    ours, base = runs["botdeck"], runs["baseline"]
    return [
        Figure(
            "drain_after_5min_flood", ours["drain_s"], "s", base["drain_s"],
            ratio(base["drain_s"], ours["drain_s"]),
            f"soak at 100 lines/s, 5 viewer-role bots, then drain; {ours['queued_at_drain']}"
            f" jobs queued (baseline {base['queued_at_drain']}), all"
            f" {ours['mentions_answered_of_those']} queued mentions answered, the last at"
            f" {ours['last_queued_mention_answered_s']} s: the drain is those mentions going"
            " out at Twitch's 20 per 30 s per bot, plus"
            f" random replies still within max_age: {ours['fresh_replies_sent_in_drain']};"
            " baseline: random replies admitted regardless of the send window, staleness"
            " checked after the delay",
        ),
        Figure(
            "random_replies_passed_up_5min_flood", ours["passed_up"], "lines", None, None,
            f"random replies not taken because the bot's send window was full (not jobs);"
            f" {ours['messages_sent']} messages sent either way",
        ),
    ]  # fmt: skip


def twitch_figures() -> list[Figure]:
    """Mentions answered over 10 compressed minutes with a reader ban and an outage, against
    the code before issue 12 in the same run (see benchmarks/twitch_bench.py)."""
    runs = run_json([sys.executable, "-m", "benchmarks.twitch_bench"])
    ours, today = runs["botdeck"], runs.get("today")
    base = today["answered_pct"] if today else None

    def phases(side: dict) -> str:
        return ", ".join(f"{name} {count}" for name, count in side["phases"].items())

    detail = (
        "10 min compressed 10x, 1 mention / 10 s, reader banned at 2:00, EventSub down"
        f" 5:00-6:30 ({ours['said_while_down']} mentions then reach nobody, not counted);"
        f" botdeck: {phases(ours)}; reading again {ours['failover_s']} s after the ban and"
        f" {ours['back_after_outage_s']} s after the outage (simulated seconds)"
    )
    if today:
        detail += f"; before issue 12: {phases(today)}"
    else:
        detail += "; before issue 12: not run (no git history)"
    return [
        Figure(
            "twitch_mentions_answered_ban_and_outage", ours["answered_pct"], "%", base,
            ratio(ours["answered_pct"], base), detail,
        )
    ]  # fmt: skip


def room_figures() -> list[Figure]:
    """A generated 30-minute chat (virtual time) with the room rules and without them."""
    runs = run_json([sys.executable, "-m", "benchmarks.room_bench", "30"])
    busy, quiet = runs["busy"], runs["quiet"]

    def emotes(side: dict) -> int:
        return side["random_replies_to"].get("emotes", 0)

    def chat(run: dict) -> str:
        return (
            f"{run['minutes']:g} min of generated chat at {run['rate']:g} lines/s as raw IRC"
            f" ({run['lines']:,} lines: {run['kinds']['emotes']:,} emote walls,"
            f" {run['kinds']['copypasta']} copypasta pastes, {run['kinds']['mention']} mentions),"
            " 3 viewer-role bots, the shipped config (random_reply_chance"
            f" {run['chance']:g}, cooldowns); baseline: the same engine, [filters] and"
            " chat_share off"
        )

    ours, base = busy["botdeck"], busy["baseline"]
    q_ours, q_base = quiet["botdeck"], quiet["baseline"]
    figures = [
        Figure(
            "room_random_replies_to_emote_only_lines", emotes(ours), "msgs", emotes(base), None,
            f"{chat(busy)}; random replies sent to lines of only emotes (and to short lines"
            f" {ours['random_replies_to'].get('short', 0)} vs"
            f" {base['random_replies_to'].get('short', 0)}, one-word spam"
            f" {ours['random_replies_to'].get('repeats', 0)} vs"
            f" {base['random_replies_to'].get('repeats', 0)})",
        ),
        Figure(
            "room_bots_share_of_chat_busy", ours["bots_share_pct"], "%", base["bots_share_pct"],
            ratio(base["bots_share_pct"], ours["bots_share_pct"]),
            f"same run: the bots' lines as a part of all chat lines; mentions answered"
            f" {ours['mentions_answered_pct']:g}% vs {base['mentions_answered_pct']:g}%",
        ),
        Figure(
            "room_random_share_worst_5min_quiet", q_ours["random_share_worst_5min_pct"], "%",
            q_base["random_share_worst_5min_pct"],
            ratio(q_base["random_share_worst_5min_pct"], q_ours["random_share_worst_5min_pct"]),
            f"{chat(quiet)}; the most random and bot-to-bot replies in five minutes against"
            " the viewers' lines then (chat_share 10%)",
        ),
        Figure(
            "room_bots_share_of_chat_quiet", q_ours["bots_share_pct"], "%",
            q_base["bots_share_pct"], ratio(q_base["bots_share_pct"], q_ours["bots_share_pct"]),
            f"same run: the bots' lines as a part of all chat lines (mentions exempt from the"
            f" share: {q_ours['mentions_answered_pct']:g}% answered); replies to emote-only"
            f" lines {emotes(q_ours)} vs {emotes(q_base)}",
        ),
    ]  # fmt: skip
    if emotes(ours) or emotes(q_ours) or q_ours["random_share_worst_5min_pct"] > 10:
        print("warning: the room rules missed their goal (no reply to emotes, share <= 10%)")
    if ours["mentions_answered_pct"] < 100 or q_ours["mentions_answered_pct"] < 100:
        print("warning: a mention went unanswered in the room benchmark")
    return figures


def live_figures() -> list[Figure]:
    """A 4-hour stream compressed on a virtual clock with each of issue 22's events once,
    against the same engine without this issue's handling (benchmarks/live_bench.py)."""
    runs = run_json([sys.executable, "-m", "benchmarks.live_bench"])
    ours, base = runs["botdeck"], runs["without"]
    stream = (
        f"{runs['hours']} h, a mention every 20 s to 3 bots ({ours['mentions']}), chatter in"
        " between; once each: followers-only, an AutoMod hold approved, a 10-min timeout, a 20 s"
        " network drop, shared chat, a 429, a second run, the chat subscription revoked, a"
        " deleted parent, an unreadable payload, stream.offline (virtual clock); baseline:"
        " the same engine without issue 22's handling"
    )
    return [
        Figure("live_4h_mentions_answered", ours["answered_pct"], "%", base["answered_pct"],
               ratio(ours["answered_pct"], base["answered_pct"]),
               f"{stream}; answered {ours['answered']} vs {base['answered']}, never read"
               f" {ours['never_read']} vs {base['never_read']}"),
        Figure("live_4h_mentions_answered_within_60s", ours["answered_in_time_pct"], "%",
               base["answered_in_time_pct"],
               ratio(ours["answered_in_time_pct"], base["answered_in_time_pct"]),
               f"same run: {ours['answered_in_time']} vs {base['answered_in_time']} within 60 s"
               " (followers-only holds and an unended timeout make the baseline late)"),
        Figure("live_4h_uninvited_shared_chat_replies", ours["uninvited_in_shared_chat"], "msgs",
               base["uninvited_in_shared_chat"], None,
               "random replies that reached a shared chat session's partner channels"),
        Figure("live_4h_replies_after_offline", ours["replies_after_offline"], "msgs",
               base["replies_after_offline"], None,
               "replies sent after stream.offline (on_offline = drain)"),
        Figure("live_4h_answered_twice", ours["answered_twice"], "msgs", base["answered_twice"],
               None, "mentions answered by a second, forgotten run too (the lock refuses it)"),
        Figure("live_4h_reading_gaps_journaled", ours["gaps_journaled"], "gaps",
               base["gaps_journaled"], None,
               f"blind spots in the journal; AutoMod: held {ours['held']}, failed"
               f" {ours['failed']} vs held {base['held']}, failed {base['failed']}; retries"
               f" changed {ours['retries_changed']} vs {base['retries_changed']}"),
    ]  # fmt: skip


def chaos_figures() -> list[Figure]:
    """A 30-minute stream (virtual clock) with every fault, and without botdeck's handling."""
    runs = run_json([sys.executable, "-m", "benchmarks.chaos_bench"])
    ours, base = runs["botdeck"], runs["baseline"]
    plan = (
        "30 min of chat (virtual clock), 3 bots; minutes 10-15: followers-only 5 min, a raid"
        " of 300, 25 lines deleted, a bot timed out 90 s, the AI down 60 s, a kill and"
        " restart, reading lost 90 s, the reader banned 2 min; baseline: the same engine"
        " without circuit, failover, resume and moderation handling"
    )
    figures = [
        Figure(
            "chaos_mentions_lost_every_fault", ours["mentions_lost"], "msgs",
            base["mentions_lost"], None,
            f"{plan}; of {ours['mentions']} mentions read (baseline {base['mentions']}:"
            f" lost to {', '.join(base['lost_reasons'])})",
        ),
        Figure(
            "chaos_mentions_unseen_that_could_be_read", ours["mentions_unseen_could_have_been"],
            "msgs", base["mentions_unseen_could_have_been"], None,
            f"same run: mentions never read though another account could read them (and"
            f" {ours['mentions_unseen_unavoidable']} nobody could: reading lost, botdeck down)",
        ),
        Figure(
            "chaos_send_limit_violations", ours["send_limit_violations"], "msgs",
            base["send_limit_violations"], None,
            "same run: messages past Twitch's 20 (or 100) per 30 s, across the restart",
        ),
        Figure(
            "chaos_replies_to_deleted_lines", ours["replies_to_deleted_lines"], "msgs",
            base["replies_to_deleted_lines"], None,
            f"same run: replies sent to a line moderators had deleted; worst latency"
            f" {ours['latency_max_s']} s (followers-only holds the viewer bots 5 min),"
            f" {ours['wall_s']} s of wall time for the 30 minutes",
        ),
    ]  # fmt: skip
    screen = run_json([sys.executable, "-m", "benchmarks.chaos_bench", "dashboard"])
    figures.append(
        Figure(
            "chaos_dashboard_loop_lag_p99",
            screen["lag_p99_ms"],
            "ms",
            None,
            None,
            f"the same plan compressed 10x ({screen['seconds']:g} s on the wall clock) in the"
            f" dashboard, 120x40, the demo's chat: lag p50 {screen['lag_p50_ms']} ms, max"
            f" {screen['lag_max_ms']} ms; {screen['faults']} faults, {screen['runs']} runs"
            f" (the kill and restart); raised: {'yes' if screen['raised'] else 'nothing'}",
        )
    )
    if screen["raised"] or screen["lag_p99_ms"] > 20:
        print("warning: the drill in the dashboard missed its bar (p99 <= 20 ms, no raise)")
    if ours["mentions_lost"] or ours["send_limit_violations"] or ours["replies_to_deleted_lines"]:
        print("warning: the fire drill missed its bar (0 lost, 0 over the limit, 0 to deleted)")
    return figures


GROUPS = {
    "scheduler": scheduler_figures,
    "ratelimit": ratelimit_figures,
    "raid": raid_figures,
    "raid_event": event_raid_figures,
    "hostile": hostile_figures,
    "report": report_figures,
    "drain": drain_figures,
    "moderation": moderation_figures,
    "outage": outage_figures,
    "twitch": twitch_figures,
    "room": room_figures,
    "live": live_figures,
    "chaos": chaos_figures,
    "dashboard": dashboard_figures,
}


def main() -> None:
    """All groups, or those named (`python -m benchmarks moderation`): then only their
    figures in results.json are replaced."""
    chosen = sys.argv[1:] or list(GROUPS)
    unknown = [name for name in chosen if name not in GROUPS]
    if unknown:
        sys.exit(f"unknown benchmark group {unknown[0]!r} (groups: {' '.join(GROUPS)})")
    figures = [figure for name in chosen for figure in GROUPS[name]()]
    if not ANCHOR.exists():
        print(f"note: {ANCHOR} not found; p-queue baselines are missing", file=sys.stderr)
    width = max(len(f.name) for f in figures)
    print(f"{'benchmark':<{width}}  {'botdeck':>12}  {'baseline':>12}  {'ratio':>7}")
    for f in figures:
        base = "-" if f.baseline is None else f"{f.baseline:g}"
        r = "-" if f.ratio is None else f"{f.ratio:g}x"
        print(f"{f.name:<{width}}  {f.value:>9g} {f.unit:<3}  {base:>12}  {r:>7}")
        print(f"{'':<{width}}  {f.detail}")
    rows = [asdict(f) for f in figures]
    if sys.argv[1:] and RESULTS.exists():
        fresh = {row["name"] for row in rows}
        kept = [row for row in json.loads(RESULTS.read_text()) if row["name"] not in fresh]
        rows = kept + rows
    RESULTS.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
