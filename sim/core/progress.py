"""Progress of long commands (``sim run`` members, ``sim sweep`` cases) on stderr.

On a terminal it is a tqdm bar (the field's maintained progress library: rate, elapsed and
remaining time, redrawn in place). Anywhere else — a pipe, a log file of a batch job — redrawing
in place would write carriage returns into the log, so it prints a plain line at most every
``every`` seconds and one at the end. Nothing is shown for work that ends within ``after``
seconds, and nothing at all with ``quiet`` (``--quiet``). Results go to stdout, never here.
"""

from __future__ import annotations

import sys
import time
from typing import Callable, TextIO

from tqdm import tqdm

AFTER = 2.0
"""Seconds of work before any progress is shown [s]."""

EVERY = 30.0
"""Seconds between two plain progress lines off a terminal [s]."""


class Progress:
    """A callable ``progress(done, total[, failed])`` counting ``unit``s of work labelled ``label``.

    ``stream`` defaults to stderr at the time of the call; ``clock`` [s] is replaceable for tests.
    """

    def __init__(self, label: str, unit: str, quiet: bool = False, after: float | None = None,
                 every: float | None = None, stream: TextIO | None = None,
                 clock: Callable[[], float] = time.perf_counter):
        self.label, self.unit, self.quiet = label, unit, quiet
        self.after = AFTER if after is None else after
        self.every = EVERY if every is None else every
        self.stream, self.clock = stream, clock
        self.t0 = clock()
        self.bar = None
        self.last_line: float | None = None  # time of the last plain line
        self.first: tuple[float, int] | None = None  # (time, done) of the first call

    def _out(self) -> TextIO:
        return self.stream if self.stream is not None else sys.stderr

    def __call__(self, done: int, total: int, failed: int | None = None) -> None:
        """Report ``done`` of ``total`` units (and ``failed`` ones): a bar on a terminal, else a
        plain line at most every interval."""
        if self.quiet:
            return
        out = self._out()
        if getattr(out, "isatty", lambda: False)():
            self._bar(out, done, total, failed)
        else:
            self._line(out, done, total, failed)

    def _bar(self, out: TextIO, done: int, total: int, failed: int | None) -> None:

        if self.bar is None:
            # tqdm counts its delay from the bar's creation, here the first call: subtract the
            # time since this object was made, so short work shows nothing and long work at once.
            delay = max(0.0, self.after - (self.clock() - self.t0))
            self.bar = tqdm(total=total, desc=self.label, unit=f" {self.unit}", file=out,
                            delay=delay, dynamic_ncols=True, leave=True)
        if failed is not None:
            self.bar.set_postfix_str(f"{failed} failed", refresh=False)
        self.bar.update(done - self.bar.n)
        if done >= total:
            self.bar.close()

    def _line(self, out: TextIO, done: int, total: int, failed: int | None) -> None:
        now = self.clock()
        elapsed = now - self.t0
        final = done >= total
        if self.first is None:
            self.first = (now, done)
        if elapsed < self.after and (not final or self.last_line is None):
            return
        if not final and self.last_line is not None and now - self.last_line < self.every:
            return
        self.last_line = now
        # the rate since the first report: the work before it includes one-off costs (the
        # kernel's compilation, a cluster's start), which would inflate the time left
        t1, done1 = self.first
        rate = ((done - done1) / (now - t1) if done > done1 and now > t1
                else done / elapsed if elapsed > 0 else 0.0)
        eta = (total - done) / rate if rate > 0 else 0.0
        extra = f", {failed} failed" if failed is not None else ""
        out.write(f"{self.label}: {done}/{total} {self.unit}{extra} ({elapsed:,.0f} s, "
                  f"{eta:,.0f} s left)\n")
        out.flush()
