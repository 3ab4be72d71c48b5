"""What every benchmark here shares: thread pinning, interleaved timing, medians, tables.

The rules the scripts follow (see docs/benchmarks.md): one process measures every compared
system, their runs interleaved so load on a shared machine hits them alike; warm-up runs are
discarded; each figure is the median of several repetitions; BLAS and torch use the same,
stated, number of threads.
"""

import contextlib
import os
import statistics
import time


@contextlib.contextmanager
def threads(n):
    """Run NumPy's BLAS and torch with ``n`` threads inside the block, and the whole process on
    ``n`` CPUs: a library whose thread count no flag holds (XLA's CPU runtime ignores
    ``--xla_cpu_multi_thread_eigen=false``; measured: 1.84 CPUs busy per wall second on an
    idle machine) then cannot use more cores than the others."""
    from threadpoolctl import threadpool_limits

    torch = _torch_or_none()
    before = torch.get_num_threads() if torch is not None else None
    cpus = os.sched_getaffinity(0)
    _pin_process(sorted(cpus)[:n])
    with threadpool_limits(limits=n):
        if torch is not None:
            torch.set_num_threads(n)
        try:
            yield
        finally:
            if torch is not None:
                torch.set_num_threads(before)
            _pin_process(cpus)


def _pin_process(cpus):
    """Every thread of this process on ``cpus`` (Linux sets affinity per thread: the pools a
    library started at import keep theirs unless each is moved; threads started later inherit)."""
    for task in os.listdir("/proc/self/task"):
        try:
            os.sched_setaffinity(int(task), cpus)
        except (ProcessLookupError, PermissionError):
            pass  # a thread that ended meanwhile


def _torch_or_none():
    try:
        import torch
    except ImportError:
        return None
    return torch


def interleaved(runs, repeats, warmup=1):
    """Time each ``runs[name]()`` ``repeats`` times, rotating the order every round.

    Returns name -> list of seconds per call. The first ``warmup`` rounds are not kept.
    """
    names = list(runs)
    times = {name: [] for name in names}
    for r in range(warmup + repeats):
        shift = r % len(names)  # rotate so no system always runs first (or right after GC)
        for name in names[shift:] + names[:shift]:
            t0 = time.perf_counter()
            runs[name]()
            elapsed = time.perf_counter() - t0
            if r >= warmup:
                times[name].append(elapsed)
    return times


def median(xs):
    return statistics.median(xs)


def spread(xs):
    """Relative half-range of the repetitions, to show how noisy a median is."""
    m = statistics.median(xs)
    return (max(xs) - min(xs)) / (2 * m) if m else 0.0


def calibrate(fn, target_seconds, start=1, limit=1_000_000):
    """How many calls of ``fn`` take about ``target_seconds`` (doubling until long enough)."""
    n = start
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - t0
        if elapsed >= target_seconds / 4 or n >= limit:
            return max(1, min(limit, int(n * target_seconds / max(elapsed, 1e-9))))
        n *= 2


def table(headers, rows):
    """Format rows as a Markdown table (paste-able into docs/benchmarks.md)."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for k, row in enumerate(cells):
        lines.append("| " + " | ".join(c.rjust(w) for c, w in zip(row, widths)) + " |")
        if k == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def describe_environment(n_threads):
    """One line naming versions and thread counts, printed above every table."""
    import platform

    import numpy as np

    parts = [f"python {platform.python_version()}", f"numpy {np.__version__}",
             chainrule_revision()]
    torch = _torch_or_none()
    if torch is not None:
        parts.append(f"torch {torch.__version__}")
    try:
        from threadpoolctl import threadpool_info

        blas = sorted({f"{i['internal_api']} {i.get('version')} ({i.get('architecture')} kernel)"
                       for i in threadpool_info() if i.get("user_api") == "blas"})
        parts.append("BLAS: " + ", ".join(blas)
                     + f"; OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    except ImportError:
        pass
    parts.append(f"threads: {n_threads} (on CPUs {sorted(os.sched_getaffinity(0))})")
    parts.append(load_average())
    return "; ".join(parts)


def chainrule_revision():
    """Which chainrule was measured: the git commit of its source, and whether it was edited."""
    import os
    import subprocess

    import chainrule

    src = os.path.dirname(os.path.abspath(chainrule.__file__))
    try:
        head = subprocess.run(["git", "-C", src, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", src, "status", "--porcelain", "--", "."],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return f"chainrule {chainrule.__version__}"
    edited = " + uncommitted edits" if dirty else ""
    return f"chainrule {chainrule.__version__} at {head}{edited}"


def load_average():
    """The machine's 1-minute load average: above ~0.2 on an idle box, others are running too."""
    import os

    try:
        return f"load average {os.getloadavg()[0]:.2f} (1 min)"
    except OSError:
        return "load average unknown"
