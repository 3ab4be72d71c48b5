"""The thread count as a measured choice: ``fit(threads="auto")`` against fit with 1 thread and
with every CPU, side by side (issue 16).

Each run trains a fresh model from the same weights for the same epochs (Adam, float32,
eager and with ``compile=True``) on the workloads of ``training_throughput.py``; the modes
take turns, so a change of load hits each alike. Printed: samples/s per mode (median), the
ratio of auto to the better fixed count, and which count each auto run kept.

  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python benchmarks/thread_choice.py
      [--repeats 5] [--only W1:512 W3]
"""

import argparse
import sys
import time

import numpy as np
from _harness import describe_environment, load_average, median, table
from compiled_step import _chainrule_model
from training_throughput import WORKLOADS

import chainrule as cr
from chainrule.threads import available_cpus

STEPS = 200  # per run: the trial takes 22 of them on 2 CPUs


def run_fit(work, batch, threads, compile_):
    weights = work.initial_weights()
    x, t = zip(*work.data(batch))
    X, T = np.concatenate(x), np.concatenate(t)
    model, criterion, opt = _chainrule_model(work, weights)
    epochs = max(1, STEPS * batch // len(X))
    started = time.perf_counter()
    history = cr.train.fit(model, criterion, opt, (X, T), epochs=epochs, batch_size=batch,
                           shuffle=False, metrics=(), verbose=0, threads=threads,
                           compile=compile_)
    seconds = time.perf_counter() - started
    return epochs * len(X) / seconds, history.threads


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", nargs="+", metavar="W[:BATCH]")
    args = parser.parse_args(argv)
    cpus = available_cpus()
    modes = {"1 thread": 1, f"{cpus} threads": cpus, "auto": "auto"}
    print(describe_environment(f"as each mode says, {cpus} CPUs"))
    rows = []
    for work in WORKLOADS:
        for batch in work.batches:
            if args.only and not any(s.split(":")[0] == work.name and (
                    ":" not in s or int(s.split(":")[1]) == batch) for s in args.only):
                continue
            for compile_ in (False, True):
                rates = {m: [] for m in modes}
                chosen = []
                run_fit(work, batch, 1, compile_)  # warm-up: numba, imports
                for r in range(args.repeats):
                    order = list(modes)[r % 3:] + list(modes)[:r % 3]
                    for mode in order:
                        rate, kept = run_fit(work, batch, modes[mode], compile_)
                        rates[mode].append(rate)
                        if mode == "auto":
                            chosen.append(kept)
                med = {m: median(v) for m, v in rates.items()}
                best_fixed = max(med["1 thread"], med[f"{cpus} threads"])
                rows.append([work.name, batch, "compiled" if compile_ else "eager"]
                            + [f"{med[m]:,.0f}" for m in modes]
                            + [f"{med['auto'] / best_fixed:.2f}",
                               " ".join(str(c) for c in chosen)])
    print(f"median of {args.repeats} fits of ~{STEPS} steps each, modes interleaved; samples/s\n")
    print(table(["workload", "batch", "step"] + list(modes) + ["auto / best fixed",
                                                                "auto kept"], rows))
    print(f"after this table: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
