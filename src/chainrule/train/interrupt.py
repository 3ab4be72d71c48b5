"""Ctrl-C during training, in two steps: the first asks, the second insists.

The first SIGINT only sets a flag: ``fit`` finishes the batch it is in (a weight update is never
cut in half), saves its checkpoint and returns with ``history.interrupted``. A second SIGINT
raises ``StopNow`` at once, wherever the program is; files being written then are abandoned
whole (``io.atomic``), so every earlier file stays as it was.
"""

import contextlib
import signal
import sys
import threading


class StopNow(KeyboardInterrupt):
    """The second Ctrl-C: stop at once, write nothing more."""


class _Flag:
    requested = False


def stop_requested():
    """True once Ctrl-C was pressed inside ``catch_first_interrupt``."""
    return _Flag.requested


@contextlib.contextmanager
def catch_first_interrupt(stream=None):
    """Within the block, the first Ctrl-C sets ``stop_requested()`` and the second raises
    ``StopNow``. Outside the main thread, or when the program has its own SIGINT handler,
    nothing changes (signals can only be handled there, and theirs is theirs). Blocks nest: inside
    an outer one (``chainrule tune`` holds one for its whole search, ``fit`` one per run), the
    outer handler stays and a Ctrl-C pressed between runs is still seen by the next ``fit``."""
    if getattr(signal.getsignal(signal.SIGINT), "_ours", False):  # nested: the outer one acts
        yield
        return
    _Flag.requested = False
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield
        return

    def first(signum, frame):
        _Flag.requested = True
        print("\nCtrl-C: finishing this batch and saving; press Ctrl-C again to stop at once.",
              file=stream or sys.stderr, flush=True)
        signal.signal(signal.SIGINT, second)

    def second(signum, frame):
        signal.signal(signal.SIGINT, signal.default_int_handler)
        raise StopNow

    first._ours = second._ours = True
    signal.signal(signal.SIGINT, first)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        _Flag.requested = False
