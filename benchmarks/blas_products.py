"""Does a second BLAS thread help each matrix product of the training workloads?

A rule that picks the thread count by problem size is only worth writing if some product of a
real training step runs faster on fewer threads. This script times every distinct matrix product
of the W1, W2 and W3 steps of ``training_throughput.py`` (forward x·Wᵀ, backward G·W and Gᵀ·x)
with NumPy at 1 and at 2 threads, interleaved, and prints which is faster for each size.

Two layout questions come first, at 1 thread: which operand order is faster for the forward
product (table 1), and whether the bias gradient, a sum over the batch, is faster as NumPy's
column sum or as the product 1ᵀ·G (table 2).

Usage:  python benchmarks/blas_products.py [--quick]
"""

import argparse
import sys
import time

import numpy as np
from _harness import describe_environment, load_average, median, spread, table
from threadpoolctl import threadpool_limits
from training_throughput import WORKLOADS


def products(work, batch):
    """(kind, batch, n_in, n_out) of each matrix product in one training step."""
    found = set()
    for i, (n_in, n_out) in enumerate(zip(work.sizes[:-1], work.sizes[1:])):
        found.add(("x·Wᵀ", batch, n_in, n_out))  # forward
        found.add(("Gᵀ·x", batch, n_in, n_out))  # weight gradient
        if i > 0:
            found.add(("G·W", batch, n_in, n_out))  # input gradient (not for the first layer)
    return found


def operands(kind, batch, n_in, n_out):
    """The two operands as the Linear op passes them to NumPy (transposes are views)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, n_in)).astype(np.float32)
    w = rng.standard_normal((n_out, n_in)).astype(np.float32)
    g = rng.standard_normal((batch, n_out)).astype(np.float32)
    forward = (w, x.T) if batch < n_out else (x, w.T)  # the order ops/linear.py chooses
    return {"x·Wᵀ": forward, "Gᵀ·x": (g.T, x), "G·W": (g, w)}[kind]


def time_alternatives(runs, repeats, target_seconds):
    """µs per call at 1 thread of each of ``runs`` (name -> function computing the same thing)."""
    first = next(iter(runs.values()))
    t0 = time.perf_counter()
    first()
    calls = max(3, int(target_seconds / max(time.perf_counter() - t0, 1e-7)))
    times = {name: [] for name in runs}
    with threadpool_limits(limits=1, user_api="blas"):
        for r in range(repeats + 1):  # round 0 is warm-up
            for name in (list(runs) if r % 2 else list(runs)[::-1]):
                t0 = time.perf_counter()
                for _ in range(calls):
                    runs[name]()
                if r:
                    times[name].append((time.perf_counter() - t0) / calls * 1e6)
    return times


def time_product(a, b, thread_counts, repeats, target_seconds):
    """µs per product at each thread count: medians of interleaved repetitions."""
    out = np.empty((a.shape[0], b.shape[1]), np.float32)
    t0 = time.perf_counter()
    np.matmul(a, b, out=out)
    calls = max(3, int(target_seconds / max(time.perf_counter() - t0, 1e-7)))
    times = {n_threads: [] for n_threads in thread_counts}
    for r in range(repeats + 1):  # round 0 is warm-up
        order = thread_counts[r % 2:] + thread_counts[:r % 2]
        for n_threads in order:
            with threadpool_limits(limits=n_threads, user_api="blas"):
                np.matmul(a, b, out=out)  # wake the pool before timing
                t0 = time.perf_counter()
                for _ in range(calls):
                    np.matmul(a, b, out=out)
                elapsed = (time.perf_counter() - t0) / calls
            if r:
                times[n_threads].append(elapsed * 1e6)
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    args = parser.parse_args(argv)
    repeats, target = (3, 0.005) if args.quick else (7, 0.05)
    cases = sorted({c for w in WORKLOADS for b in w.batches for c in products(w, b)},
                   key=lambda c: c[1] * c[2] * c[3])
    print(describe_environment("1 (layouts), then 1 and 2 interleaved (threads)"))

    rows = []
    for kind, batch, n_in, n_out in cases:
        if kind != "x·Wᵀ":
            continue
        rng = np.random.default_rng(0)
        x = rng.standard_normal((batch, n_in)).astype(np.float32)
        w = rng.standard_normal((n_out, n_in)).astype(np.float32)
        times = time_alternatives({"x·Wᵀ": lambda x=x, w=w: x @ w.T,
                                   "(W·xᵀ)ᵀ": lambda x=x, w=w: (w @ x.T).T.copy()},
                                  repeats, target)
        plain, swapped = median(times["x·Wᵀ"]), median(times["(W·xᵀ)ᵀ"])
        rows.append([f"{batch}x{n_in} · {n_in}x{n_out}", f"{plain:.1f}", f"{swapped:.1f}",
                     f"{plain / swapped:.2f}x", "(W·xᵀ)ᵀ" if batch < n_out else "x·Wᵀ",
                     f"±{max(spread(t) for t in times.values()):.0%}"])
    print(f"\n1. forward product, 1 thread, median of {repeats} interleaved repetitions; µs\n")
    print(table(["x·Wᵀ", "x·Wᵀ µs", "(W·xᵀ)ᵀ + copy µs", "speed-up", "Linear uses", "spread"],
                rows))

    rows = []
    for batch, n_out in sorted({(c[1], c[3]) for c in cases}, key=lambda c: c[0] * c[1]):
        g = np.random.default_rng(0).standard_normal((batch, n_out)).astype(np.float32)
        ones = np.ones(batch, np.float32)
        times = time_alternatives({"sum": lambda g=g: g.sum(axis=0),
                                   "1ᵀ·G": lambda g=g, ones=ones: ones @ g}, repeats, target)
        plain, product = median(times["sum"]), median(times["1ᵀ·G"])
        rows.append([f"{batch}x{n_out}", f"{plain:.2f}", f"{product:.2f}",
                     f"{plain / product:.2f}x", f"±{max(spread(t) for t in times.values()):.0%}"])
    print(f"\n2. bias gradient (Σ over the batch of G), 1 thread, median of {repeats} interleaved "
          "repetitions; µs\n")
    print(table(["G", "G.sum(axis=0) µs", "1ᵀ·G µs", "speed-up", "spread"], rows))

    rows = []
    for kind, batch, n_in, n_out in cases:
        a, b = operands(kind, batch, n_in, n_out)
        times = time_product(a, b, [1, 2], repeats, target)
        one, two = median(times[1]), median(times[2])
        noise = max(spread(times[1]), spread(times[2]))
        faster = "2 threads" if two < one * 0.95 else "1 thread" if one < two * 0.95 else "same"
        (m, k), n = a.shape, b.shape[1]
        rows.append([kind, f"{m}x{k} · {k}x{n}", f"{2 * m * k * n / 1e6:.2f}", f"{one:.1f}",
                     f"{two:.1f}", f"{one / two:.2f}x", faster, f"±{noise:.0%}"])
    print(f"\n3. float32 np.matmul into a preallocated output, operands laid out as the Linear op "
          f"passes them; median of {repeats} interleaved repetitions; µs per product\n")
    print(table(["op", "product", "MFLOP", "1 thread µs", "2 threads µs", "speed-up",
                 "faster with", "spread"], rows))
    print(f"after these tables: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
