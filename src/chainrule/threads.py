"""How many threads NumPy's BLAS uses: chainrule's ``set_num_threads`` / ``get_num_threads``.

The matrix products of a layer run in NumPy's BLAS (OpenBLAS in NumPy's wheels), which starts
one thread per core. Elementwise ops stay single-threaded whatever is set here. OpenBLAS already
runs small products on one thread, so on the workloads in ``benchmarks/`` no size rule beat its
own (``benchmarks/blas_products.py``); what remains is the user's choice, as with
``torch.set_num_threads``: fewer threads on a shared machine, or one per process when several
train at once. Changing the count at run time needs threadpoolctl (``pip install
"chainrule[fast]"``); the environment variable ``OPENBLAS_NUM_THREADS`` works without it, if set
before NumPy is imported.

When the best count is not known, measure it: ``fit(..., threads="auto")`` (``chainrule train
--threads auto``) times its first training steps under each count in turn and trains on with
the fastest (``ThreadCountTrial``). A second thread doubled the large products of a 784-256-128
network at batch 512 on an idle machine and slowed its small batches; on a busy machine it
waits for a core (docs/benchmarks.md, sections 3 and 12): only a measurement knows which holds.
"""

import numbers
import os
import statistics
import time

_limiter = None  # threadpoolctl's handle on the limit we set, kept so it can be replaced


def _threadpoolctl(what):
    try:
        import threadpoolctl
    except ImportError:
        raise ImportError(
            f"chainrule.{what} needs threadpoolctl to reach NumPy's BLAS: "
            'pip install "chainrule[fast]" (or set OPENBLAS_NUM_THREADS before starting Python)'
        ) from None
    return threadpoolctl


def set_num_threads(n):
    """Use ``n`` threads for NumPy's matrix products from now on (torch.set_num_threads)."""
    global _limiter
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"set_num_threads: n must be an integer, got {n!r}")
    if n < 1:
        raise ValueError(f"set_num_threads: n must be at least 1, got {n}")
    threadpoolctl = _threadpoolctl("set_num_threads")
    _limiter = threadpoolctl.threadpool_limits(limits=int(n), user_api="blas")


def get_num_threads():
    """How many threads NumPy's matrix products use (the largest count if there are several)."""
    threadpoolctl = _threadpoolctl("get_num_threads")
    counts = [info["num_threads"] for info in threadpoolctl.threadpool_info()
              if info.get("user_api") == "blas"]
    if not counts:
        raise RuntimeError("get_num_threads: NumPy reports no BLAS library with threads")
    return max(counts)


def available_cpus():
    """How many CPUs this process may run on (its affinity, which containers and taskset set)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def hold_num_threads(n):
    """Use ``n`` threads for NumPy's matrix products until the returned function is called,
    which gives back the count from before. ``n=None`` changes nothing."""
    if n is None:
        return lambda: None
    threadpoolctl = _threadpoolctl("fit(threads=...)")
    limit = threadpoolctl.threadpool_limits(limits=int(n), user_api="blas")
    return limit.restore_original_limits


class ThreadCountTrial:
    """The thread count as a measured choice, made on the training steps themselves.

    After ``warmup`` untimed steps (the first ones allocate, capture, compile), the steps take
    turns of ``per_turn`` steps under each candidate count, for ``rounds`` rounds, the order
    rotating each round so a change of load hits every count alike; then the fewest threads
    whose median step is within ``TIE`` of the fastest are kept. Nothing runs twice: every timed step is a real training step.
    ``fit`` calls ``begin()`` before a step and ``end()`` after it.
    """

    TIE = 0.05  # a count whose median step is within 5 % of the fastest counts as as fast

    def __init__(self, candidates=None, *, warmup=2, rounds=5, per_turn=2):
        if candidates is None:
            candidates = default_candidates(available_cpus())
        candidates = tuple(int(c) for c in candidates)
        if not candidates or any(c < 1 for c in candidates):
            raise ValueError(f"ThreadCountTrial: candidates must be positive thread counts, got "
                             f"{candidates!r}")
        threadpoolctl = _threadpoolctl('fit(threads="auto")')
        self._controller = threadpoolctl.ThreadpoolController()
        self.candidates = candidates
        self.schedule = [None] * warmup  # the count for each step of the trial; None: untimed
        for r in range(rounds):
            turn = candidates[r % len(candidates):] + candidates[:r % len(candidates)]
            for count in turn:
                self.schedule += [count] * per_turn
        self.times = {c: [] for c in candidates}  # seconds per timed step, by count
        self.choice = None  # the count kept, once the trial is over
        self._step = 0
        self._started = None
        self._limit = None
        self._count = None

    @property
    def done(self):
        return self.choice is not None

    def begin(self):
        """Before a step: set its thread count and start its clock."""
        if self.done:
            return
        count = self.schedule[self._step]
        if count is not None and count != self._count:
            self._set(count)
        self._started = time.perf_counter()

    def end(self):
        """After the step: keep its time; after the last, choose."""
        if self.done or self._started is None:
            return
        elapsed = time.perf_counter() - self._started
        self._started = None
        count = self.schedule[self._step]
        if count is not None:
            self.times[count].append(elapsed)
        self._step += 1
        if self._step == len(self.schedule):
            medians = self.medians()
            best = min(medians.values())
            # the fewest threads within TIE of the fastest: a core that buys less is not worth
            # taking from the machine's other work
            self.choice = min(c for c, m in medians.items() if m <= best * (1 + self.TIE))
            self._set(self.choice)

    def medians(self):
        """Median seconds per step for each count timed so far."""
        return {c: statistics.median(t) for c, t in self.times.items() if t}

    def summary(self):
        """One line for a learner: what was measured and what was kept."""
        parts = ", ".join(f"{c} → {m * 1e3:.3g} ms/step" for c, m in self.medians().items())
        return f"threads: measured {parts}; training on with {self.choice}"

    def close(self):
        """Give NumPy's BLAS back the count it had before the trial."""
        if self._limit is not None:
            self._limit.restore_original_limits()
            self._limit = None

    def _set(self, count):
        limit = self._controller.limit(limits=count, user_api="blas")
        if self._limit is None:
            self._limit = limit  # the first limit remembers the count from before the trial
        self._count = count


def default_candidates(cpus):
    """1, then doubling, up to every CPU the process may use: 1, 2, 4, ..., cpus."""
    counts = [1]
    while counts[-1] * 2 < cpus:
        counts.append(counts[-1] * 2)
    if cpus > 1:
        counts.append(cpus)
    return tuple(counts)
