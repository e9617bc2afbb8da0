"""Background jobs of a page session: the analyses that take longer than a lever change (the
wedges per policy, ``sim.analysis.abatement``; the plan, ``sim.analysis.plan``).

A job runs in its own thread (the kernel releases the GIL), so the server keeps answering the
session's lever changes and other sessions while it runs. A session has at most one job: a new
request cancels the one before. Cancelling sets a flag that the job's progress callback reads at
its next step (a run of the abatement, a package of the plan) and answers with
:class:`Cancelled`, so a cancelled job stops within one step and its result is never shown. A job
remembers the page state it was started on (``key``: :func:`state_key` of the scenario text the
page ran), so the page can say when its result no longer matches the levers shown (stale).
"""

from __future__ import annotations

import hashlib
import itertools
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable

_NUMBERS = itertools.count(1)


class Cancelled(Exception):
    """The job was cancelled (replaced by a newer request, or stopped on the page)."""


def state_key(text: str) -> str:
    """The key of a page state: 16 hex digits of the SHA-256 of the scenario TOML it ran (levers,
    provinces, members and seed)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass
class Job:
    """One background analysis and what the page shows of it."""

    kind: str
    key: str  # state_key of the page state it analyses
    done: int = 0
    total: int = 0
    step: str = ""  # the step under way
    status: str = "running"  # running, done, failed, cancelled
    result: dict | None = None
    message: str = ""  # one line when it failed
    started: float = field(default_factory=time.monotonic)
    seconds: float | None = None  # how long it took, once finished
    number: int = field(default_factory=lambda: next(_NUMBERS))  # tells the page a new job
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def progress(self, done: int, total: int, step: str = "") -> None:
        """Called by the analysis at each step: record it, or stop if the job is cancelled."""
        if self._cancel.is_set():
            raise Cancelled()
        if str(step) == self.step and int(total) == self.total:
            # the plan's search counts a batch as it runs it and again as it reads it back
            done = max(int(done), self.done)
        self.done, self.total, self.step = int(done), int(total), str(step)

    def cancel(self) -> None:
        """Ask the job to stop at its next step (its result is not kept)."""
        self._cancel.set()
        if self.status == "running":
            self.status = "cancelled"

    @property
    def cancelled(self) -> bool:
        """Whether the job was asked to stop."""
        return self._cancel.is_set()

    def start(self, work: Callable[["Job"], dict], errors: tuple = (ValueError,)) -> "Job":
        """Run ``work(job)`` in a daemon thread; its answer is the job's result. An exception of
        ``errors`` is the one-line message of a failed job; any other is a failed job whose
        message says so (and the traceback goes to the server's log)."""
        def run():
            try:
                result = work(self)
                if not self.cancelled:
                    self.result, self.status = result, "done"
            except Cancelled:
                self.status = "cancelled"
            except errors as e:
                self.status, self.message = "failed", " ".join(str(e).split())
            except Exception as e:  # noqa: BLE001 - the page says it failed; the log has why
                traceback.print_exc()
                self.status, self.message = "failed", f"{type(e).__name__}: {e}"
            finally:
                self.seconds = time.monotonic() - self.started
        self._thread = threading.Thread(target=run, name=f"sim-serve-{self.kind}", daemon=True)
        self._thread.start()
        return self

    def join(self, timeout: float | None = None) -> None:
        """Wait for the thread (tests)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def describe(self, shown_key: str | None) -> dict:
        """What the page shows of the job: kind, status, progress, the result when done, and
        ``stale``: whether the page's levers changed since it started."""
        return dict(kind=self.kind, number=self.number, status=self.status, done=self.done,
                    total=self.total, step=self.step, key=self.key, message=self.message,
                    stale=shown_key is not None and shown_key != self.key,
                    seconds=round(self.seconds if self.seconds is not None
                                  else time.monotonic() - self.started, 1),
                    result=self.result if self.status == "done" else None)
