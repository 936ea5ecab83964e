"""A progress line on stderr for long batches, drawn only where a person is watching.

Machine formats own stdout, and CI logs are no terminal, so the bar appears only when stderr is a
TTY, and only once a run has taken long enough (half a second) for someone to wonder. It redraws at
most ten times a second and erases itself at the end, leaving the terminal as it found it.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO


class Progress:
    def __init__(
        self,
        total: int = 0,
        stream: TextIO | None = None,
        enabled: bool | None = None,
        delay: float = 0.5,
        label: str = "ssbtek-validate",
    ) -> None:
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self._wanted = enabled
        self.enabled = enabled and total > 0
        self.delay = delay
        self.label = label
        self.done = 0
        self.started = time.monotonic()
        self._last_draw = 0.0
        self._drawn = False

    def start(self, total: int) -> None:
        """Set the total once it is known (after folders are walked); the clock starts now."""
        self.total = total
        self.done = 0
        self.enabled = self._wanted and total > 0
        self.started = time.monotonic()

    def advance(self, count: int = 1) -> None:
        self.done += count
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.started < self.delay or (now - self._last_draw < 0.1 and self.done < self.total):
            return
        self._last_draw = now
        self._draw(now)

    def columns(self) -> int:
        """The width of the terminal the line is drawn on: stderr's, not stdout's (which may be a file
        or a pipe while stderr is the terminal); ``COLUMNS`` wins as everywhere, 80 when nothing says."""
        try:
            return int(os.environ["COLUMNS"])
        except (KeyError, ValueError):
            pass
        try:
            return os.get_terminal_size(self.stream.fileno()).columns
        except (AttributeError, OSError, ValueError):
            import shutil  # imports bz2 and lzma with it: only here, not on every start

            return shutil.get_terminal_size((80, 20)).columns

    def line(self, now: float | None = None) -> str:
        """The bar, clipped to one character less than the terminal is wide: a line that reached the last
        column would wrap on some terminals, and every redraw would then leave a line behind."""
        elapsed = max((now or time.monotonic()) - self.started, 1e-9)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if rate > 0 else 0.0
        counts = f" {self.done}/{self.total} inputs, {rate:.0f}/s, {left:.0f}s left"
        columns = max(self.columns(), 2)
        width = max(min(columns, 120) - len(self.label) - len(counts) - 4, 10)
        filled = int(width * self.done / self.total) if self.total else width
        return f"{self.label} [{'#' * filled}{'-' * (width - filled)}]{counts}"[: columns - 1]

    def _draw(self, now: float) -> None:
        self.stream.write("\r" + self.line(now))
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\r" + " " * (max(self.columns(), 2) - 1) + "\r")
            self.stream.flush()
            self._drawn = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
