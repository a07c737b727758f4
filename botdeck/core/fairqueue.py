"""The waiting jobs of one bot at one priority, in fair order between viewers.

A viewer's jobs are numbered by how many of that viewer's jobs are already waiting when
each arrives (its "round"): everyone's first job goes before anyone's second, so one
viewer sending 50 mentions cannot hold up the nine who sent one each. Within a round,
arrival order (the job id) decides.

Jobs without a viewer (bot-to-bot, benchmarks) are round 0 and plain FIFO. They live in
the deque itself, so the scheduler's hot path stays a C-level `append`/`popleft` whenever
no viewer job waits (`heap` empty); viewer jobs wait in `heap`.
"""

from __future__ import annotations

from collections import deque
from heapq import heapify, heappop, heappush

from botdeck.core.jobs import Job


class FairQueue(deque[Job]):
    __slots__ = ("_waiting", "heap")

    def __init__(self) -> None:
        super().__init__()
        self.heap: list[tuple[int, int, Job]] = []  # (round, id, job) of viewer jobs
        self._waiting: dict[str, int] = {}  # viewer -> their jobs waiting here

    @property
    def total(self) -> int:
        return len(self) + len(self.heap)

    def waiting_of(self, viewer: str) -> int:
        return self._waiting.get(viewer, 0)

    def push(self, job: Job) -> None:
        """Add a job; viewer jobs take their round (use plain `append` when there is none)."""
        viewer = job.viewer
        if viewer is None:
            self.append(job)
            return
        count = self._waiting.get(viewer, 0)
        self._waiting[viewer] = count + 1
        heappush(self.heap, (count, job.id, job))

    def pop_fair(self) -> Job:
        """The next job in fair order (use plain `popleft` when `heap` is empty)."""
        heap = self.heap
        if heap and (not self or heap[0][:2] < (0, self[0].id)):
            job = heappop(heap)[2]
            self._forget(job)
            return job
        return self.popleft()

    def ordered(self) -> list[Job]:
        """Every waiting job in the order they would be taken (nothing is removed)."""
        ranked = [(0, job.id, job) for job in self] + self.heap
        return [job for _, _, job in sorted(ranked, key=lambda entry: entry[:2])]

    def remove_jobs(self, jobs: set[Job]) -> None:
        """Take these jobs out of the queue (e.g. carried by another job's reply)."""
        kept_fifo = [job for job in self if job not in jobs]
        self.clear()
        self.extend(kept_fifo)
        kept = []
        for entry in self.heap:
            if entry[2] in jobs:
                self._forget(entry[2])
            else:
                kept.append(entry)
        heapify(kept)
        self.heap = kept

    def take_all(self) -> list[Job]:
        """Empty the queue, returning its jobs in order (an emergency stop)."""
        jobs = self.ordered()
        self.clear()
        self.heap = []
        self._waiting.clear()
        return jobs

    def _forget(self, job: Job) -> None:
        viewer = job.viewer
        assert viewer is not None
        left = self._waiting[viewer] - 1
        if left:
            self._waiting[viewer] = left
        else:
            del self._waiting[viewer]
