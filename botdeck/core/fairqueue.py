"""The waiting jobs of one bot at one priority, in fair order between viewers.

A viewer's jobs are numbered by how many of that viewer's jobs are already waiting when
each arrives (its "round"): everyone's first job goes before anyone's second, so one
viewer sending 50 mentions cannot hold up the nine who sent one each. Within a round,
arrival order (the job id) decides.

Jobs without a viewer (bot-to-bot, benchmarks) are round 0 and plain FIFO in `fifo`, so
the scheduler's hot path stays a C-level `fifo.append`/`fifo.popleft` whenever no viewer
job waits (`heap` empty); viewer jobs wait in `heap`. `len()` counts both.

The operator may send a job to the front (`to_front`): it moves to `heap` in round -1,
the latest sent to the front first.
"""

from __future__ import annotations

from collections import deque
from heapq import heapify, heappop, heappush
from typing import Generic, TypeVar

from botdeck.core.jobs import Job

C = TypeVar("C")


class FairQueue(Generic[C]):
    __slots__ = ("_fronted", "_waiting", "fifo", "heap")

    def __init__(self) -> None:
        self.fifo: deque[Job[C]] = deque()  # jobs without a viewer, in arrival order
        self.heap: list[tuple[int, int, Job[C]]] = []  # (round, id, job) of viewer jobs
        self._waiting: dict[str, int] = {}  # viewer -> their jobs waiting here
        self._fronted = 0  # jobs sent to the front so far (the latest goes first)

    def __len__(self) -> int:
        return len(self.fifo) + len(self.heap)

    def waiting_of(self, viewer: str) -> int:
        return self._waiting.get(viewer, 0)

    def push(self, job: Job[C]) -> None:
        """Add a job; viewer jobs take their round."""
        viewer = job.viewer
        if viewer is None:
            self.fifo.append(job)
            return
        count = self._waiting.get(viewer, 0)
        self._waiting[viewer] = count + 1
        heappush(self.heap, (count, job.id, job))

    def pop(self) -> Job[C]:
        """The next job in fair order (the hot path pops `fifo` itself when `heap` is empty)."""
        heap, fifo = self.heap, self.fifo
        if heap and (not fifo or heap[0][:2] < (0, fifo[0].id)):
            job = heappop(heap)[2]
            self._forget(job)
            return job
        return fifo.popleft()

    def ordered(self) -> list[Job[C]]:
        """Every waiting job in the order they would be taken (nothing is removed)."""
        ranked = [(0, job.id, job) for job in self.fifo] + self.heap
        return [job for _, _, job in sorted(ranked, key=lambda entry: entry[:2])]

    def remove_jobs(self, jobs: set[Job[C]]) -> None:
        """Take these jobs out of the queue (carried by another job's reply, or cancelled)."""
        self.fifo = deque(job for job in self.fifo if job not in jobs)
        kept = []
        for entry in self.heap:
            if entry[2] in jobs:
                self._forget(entry[2])
            else:
                kept.append(entry)
        heapify(kept)
        self.heap = kept

    def to_front(self, job: Job[C]) -> bool:
        """Make a waiting job the next one taken; False if it is not waiting here."""
        if job in self.fifo:
            self.fifo.remove(job)
        else:
            kept = [entry for entry in self.heap if entry[2] is not job]
            if len(kept) == len(self.heap):
                return False
            heapify(kept)
            self.heap = kept
        self._fronted += 1
        heappush(self.heap, (-1, -self._fronted, job))
        return True

    def take_all(self) -> list[Job[C]]:
        """Empty the queue, returning its jobs in order (an emergency stop)."""
        jobs = self.ordered()
        self.fifo.clear()
        self.heap = []
        self._waiting.clear()
        return jobs

    def _forget(self, job: Job[C]) -> None:
        viewer = job.viewer
        if viewer is None:
            return  # a job without a viewer sent to the front
        left = self._waiting[viewer] - 1
        if left:
            self._waiting[viewer] = left
        else:
            del self._waiting[viewer]
