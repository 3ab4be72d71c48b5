"""``ProgressBar``: the Keras-style line that shows an epoch going by.

On a terminal the line is redrawn in place (``\\r``), at most ``1 / interval`` times a second, so
calling ``update`` on every step costs one clock read. Anywhere else (a file, a CI log) nothing
is written until ``close``, which writes the epoch's final line once: a log gets one line per
epoch, not one per redraw.

    Epoch 3/10  120/150 [=======================>......] - 1.2s - loss: 0.3412 - accuracy: 0.9012
"""

import math
import sys
import time


class ProgressBar:
    """Progress through ``total`` steps (``None`` if unknown), with live metrics.

    ``update(n, **metrics)`` says ``n`` steps are done; ``close(**metrics)`` ends the line,
    showing the metrics given (the epoch's final ones, validation included). Usable as a context
    manager, which closes it.
    """

    def __init__(self, total, width=30, stream=None, enabled=True, prefix="", interval=0.1):
        if total is not None and (not isinstance(total, int) or isinstance(total, bool)
                                  or total < 0):
            raise ValueError(f"ProgressBar: total must be a non-negative int or None, "
                             f"got {total!r}")
        if not isinstance(width, int) or width < 1:
            raise ValueError(f"ProgressBar: width must be a positive int, got {width!r}")
        self.total = total
        self.width = width
        self.stream = sys.stdout if stream is None else stream
        self.enabled = enabled
        self.prefix = prefix
        self.interval = interval
        self.n = 0
        self.metrics = {}
        self._tty = _is_tty(self.stream)
        self._start = time.perf_counter()
        self._last_draw = -math.inf
        self._drawn_width = 0
        self._closed = False

    def update(self, n, **metrics):
        """Record that ``n`` steps (in total, not since the last call) are done."""
        self.n = n
        self.metrics = metrics
        if not (self.enabled and self._tty) or self._closed:
            return
        now = time.perf_counter()
        if now - self._last_draw < self.interval:
            return  # throttled: the terminal does not need more than a few frames a second
        self._last_draw = now
        self._draw(self.format(n, metrics, now - self._start), end="")

    def close(self, **metrics):
        """Write the final line (with ``metrics``, or the last ones given to ``update``)."""
        if self._closed:
            return
        self._closed = True
        if not self.enabled:
            return
        n = self.total if self.total is not None else self.n
        line = self.format(n, metrics or self.metrics, time.perf_counter() - self._start)
        if self._tty:
            self._draw(line, end="\n")
        else:
            self.stream.write(line + "\n")
            self.stream.flush()

    def format(self, n, metrics, elapsed):
        """The text of the line for ``n`` steps done, ``elapsed`` seconds in."""
        parts = [self.prefix] if self.prefix else []
        if self.total is None:
            parts.append(str(n))
        else:
            digits = len(str(self.total))
            parts.append(f"{n:>{digits}}/{self.total} [{self._bar(n)}]")
        line = "  ".join(parts) + f" - {_duration(elapsed)}"
        for name, value in metrics.items():
            line += f" - {name}: {_number(value)}"
        return line

    def _bar(self, n):
        if self.total == 0 or n >= self.total:
            return "=" * self.width
        done = max(0, n) * self.width // self.total
        return "=" * done + ">" + "." * (self.width - done - 1)

    def _draw(self, line, end):
        # Pad with spaces so a shorter line fully covers the previous one.
        pad = " " * max(0, self._drawn_width - len(line))
        self.stream.write("\r" + line + pad + end)
        self.stream.flush()
        self._drawn_width = 0 if end else len(line)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        elif self.enabled and self._tty and self._drawn_width:
            # Leave the partial line and start a new one, so a traceback is not glued to it.
            self._closed = True
            self.stream.write("\n")
            self.stream.flush()
        else:
            self._closed = True
        return False


def _is_tty(stream):
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # no isatty, or a closed stream
        return False


def _duration(seconds):
    if round(seconds, 1) < 60:  # 59.96 s would print as 60.0s
        return f"{seconds:.1f}s"
    minutes, seconds = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def _number(value):
    try:
        value = float(value)
    except (TypeError, ValueError):
        return str(value)
    # Fixed point reads best for losses and accuracies; tiny values (a learning rate, a loss
    # near zero) would all show as 0.0000, so they get an exponent instead.
    if value == 0 or 1e-3 <= abs(value) < 1e5 or not math.isfinite(value):
        return f"{value:.4f}"
    return f"{value:.4e}"
