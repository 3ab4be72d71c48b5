"""Before/after a refactor: the same workloads on two chainrule source trees, in one process.

The other tree (e.g. ``git worktree add /work/wt/base <commit>``) is imported as the package
``chainrule_base`` next to this tree's ``chainrule`` (its imports are relative, so both load),
and the two are timed in interleaved repetitions: load on a shared machine hits both alike.

Workloads, each one call of the library as a user makes it:

  add             one add of two 4-element float32 tensors, requires_grad (overhead.py (a))
  chain fwd+bwd   the 100-op chain of overhead.py, forward and backward, per op
  module call     Sequential(Linear(2, 8), Tanh, Linear(8, 1)) on a batch of 10, no_grad
  W1:32, W1:128, W2:10, W3:64   one training step of training_throughput.py's workloads (Adam)
  (with --fused, also W1:512 and W2:256)

Usage:  python benchmarks/compare_trees.py OTHER_TREE/src [--repeats 15] [--quick]
        [--foreach]   (also time this tree's optimizers with foreach=True, and with
                       foreach=False, the per-parameter loop)
        [--fused]     (only the training steps, all six, each next to the hand-fused NumPy loop
                       of training_throughput.py: before and after as throughput ratios to it,
                       issue 16's eager target)
        [--cpu-time]  (count this thread's CPU time instead of wall time)
"""

import argparse
import importlib.util
import operator
import os
import sys
import time
from functools import partial

import numpy as np
from _harness import describe_environment, interleaved, load_average, median, spread, table
from _harness import threads as pinned_threads
from overhead import CHAIN_OPS, chain_tensor, make_inputs
from training_throughput import WORKLOADS, numpy_trainer

import chainrule


def import_tree(src, name="chainrule_base"):
    """The chainrule package under ``src`` imported as ``name``."""
    path = os.path.join(src, "chainrule", "__init__.py")
    spec = importlib.util.spec_from_file_location(name, path,
                                                  submodule_search_locations=[os.path.dirname(path)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def repeat(fn, n):
    def run():
        for _ in range(n):
            fn()
    return run


def one_add(cr, calls):
    x, a, _ = make_inputs()
    return repeat(partial(operator.add, cr.tensor(x), cr.tensor(a, requires_grad=True)), calls)


def chain_fwd_bwd(cr, calls):
    x, a, b = make_inputs()
    cx, ca, cb = cr.tensor(x), cr.tensor(a, requires_grad=True), cr.tensor(b, requires_grad=True)

    def step():
        ca.grad = cb.grad = None
        chain_tensor(cx, ca, cb, cr.Tensor.tanh, cr.exp).backward()
    return repeat(step, calls)


def module_call(cr, calls):
    cr.manual_seed(0)
    nn = cr.nn
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    x = cr.tensor(np.ones((10, 2), np.float32))

    def run():
        with cr.no_grad():
            for _ in range(calls):
                model(x)
    return run


def numbers(tensor):
    """A tensor's NumPy array in either tree: ``.array`` now, ``.data`` before issue 12."""
    return tensor.array if hasattr(tensor, "array") else tensor.data


def training_step(cr, work, batch, calls, **opt_options):
    """One Adam step of a training_throughput workload on ``cr``, as its chainrule_trainer;"""
    nn = cr.nn
    act = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}[work.activation]
    weights, batches = work.initial_weights(), work.data(batch)
    layers = []
    for i, (w, b) in enumerate(weights):
        linear = nn.Linear(w.shape[1], w.shape[0])
        numbers(linear.weight)[...] = w
        numbers(linear.bias)[...] = b
        layers += [linear] + ([act()] if i < len(weights) - 1 else [])
    model = nn.Sequential(*layers)
    criterion = {"cross_entropy": nn.CrossEntropyLoss, "bce_logits": nn.BCEWithLogitsLoss,
                 "mse": nn.MSELoss}[work.loss]()
    opt = cr.optim.Adam(model.parameters(), lr=1e-3, **opt_options)
    data = [(cr.tensor(x), cr.tensor(t)) for x, t in batches]

    def run():
        for k in range(calls):
            x, t = data[k % len(data)]
            loss = criterion(model(x), t)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return run


def fused_step(work, batch, calls):
    """training_throughput.py's hand-fused NumPy loop, ``calls`` steps."""
    step = numpy_trainer(work, work.initial_weights(), work.data(batch))
    return repeat(step, calls)


STEPS = (("W1", 32, 100), ("W1", 128, 40), ("W2", 10, 1_000), ("W3", 64, 100))
ALL_STEPS = (("W1", 32, 100), ("W1", 128, 40), ("W1", 512, 12), ("W2", 10, 1_000),
             ("W2", 256, 800), ("W3", 64, 100))


def cases(quick, steps=STEPS, overhead=True):
    scale = 0.1 if quick else 1
    workloads = {w.name: w for w in WORKLOADS}
    if overhead:
        yield "add (µs)", lambda cr, n: one_add(cr, n), int(20_000 * scale), 1
        yield ("chain fwd+bwd (µs/op)", lambda cr, n: chain_fwd_bwd(cr, n), int(100 * scale),
               CHAIN_OPS)
        yield "module call (µs)", lambda cr, n: module_call(cr, n), int(5_000 * scale), 1
    for name, batch, calls in steps:
        yield (f"{name}:{batch} step (µs)",
               partial(lambda cr, n, w, b: training_step(cr, w, b, n), w=workloads[name], b=batch),
               max(2, int(calls * scale)), 1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", help="the other tree's src directory (the 'before')")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    parser.add_argument("--foreach", action="store_true",
                        help="also time this tree's training steps with Adam(foreach=True) and "
                             "Adam(foreach=False)")
    parser.add_argument("--fused", action="store_true",
                        help="the six training steps only, each next to the hand-fused NumPy "
                             "loop (ratios to it)")
    parser.add_argument("--cpu-time", action="store_true",
                        help="time this thread's CPU time (time.thread_time), not wall time")
    args = parser.parse_args(argv)
    base = import_tree(args.other)
    repeats = 3 if args.quick else args.repeats
    clock = time.thread_time if args.cpu_time else time.perf_counter
    if args.fused:
        return compare_with_fused(base, args.other, repeats, args.quick, clock)
    rows = []
    with pinned_threads(1):
        print(describe_environment(1))
        print(f"before: {args.other}; after: {os.path.dirname(chainrule.__file__)}")
        print(f"median of {repeats} interleaved repetitions after 1 warm-up; "
              f"{'CPU' if args.cpu_time else 'wall'} time; "
              "spread = half-range of the repetitions\n")
        for label, make, calls, per in cases(args.quick):
            runs = {"before": make(base, calls), "after": make(chainrule, calls)}
            if args.foreach and "step" in label:
                work = label.split(":")[0]
                batch = int(label.split(":")[1].split()[0])
                w = {x.name: x for x in WORKLOADS}[work]
                runs["after, foreach"] = training_step(chainrule, w, batch, calls, foreach=True)
                runs["after, loop"] = training_step(chainrule, w, batch, calls, foreach=False)
            times = interleaved(runs, repeats, clock=clock)
            us = {k: median(v) / calls / per * 1e6 for k, v in times.items()}
            row = [label, f"{us['before']:.2f}", f"{us['after']:.2f}",
                   f"{us['after'] / us['before']:.3f}",
                   f"±{spread(times['before']):.0%} / ±{spread(times['after']):.0%}"]
            if args.foreach:
                for column, key in ((3, "after, foreach"), (4, "after, loop")):
                    row.insert(column, f"{us[key]:.2f}" if key in us else "")
            rows.append(row)
    headers = ["case", "before", "after"] + (
        ["after, foreach=True", "after, foreach=False"] if args.foreach else []) + [
        "after/before", "spread (before / after)"]
    print(table(headers, rows))
    print(f"after the runs: {load_average()}")
    return 0


def compare_with_fused(base, other, repeats, quick, clock):
    """Before, after and the hand-fused loop on every training step, in one interleaving."""
    workloads = {w.name: w for w in WORKLOADS}
    rows = []
    with pinned_threads(1):
        print(describe_environment(1))
        print(f"before: {other}; after: {os.path.dirname(chainrule.__file__)}")
        print(f"median of {repeats} interleaved repetitions after 1 warm-up; "
              f"{'CPU' if clock is time.thread_time else 'wall'} time; ratios are throughput "
              "ratios to the fused loop (issue 16 asks >= 0.9x)\n")
        for label, make, calls, _ in cases(quick, ALL_STEPS, overhead=False):
            name, batch = label.split()[0].split(":")
            runs = {"before": make(base, calls), "after": make(chainrule, calls),
                    "fused": fused_step(workloads[name], int(batch), calls)}
            times = interleaved(runs, repeats, clock=clock)
            us = {k: median(v) / calls * 1e6 for k, v in times.items()}
            rows.append([label, f"{us['before']:.1f}", f"{us['after']:.1f}",
                         f"{us['fused']:.1f}", f"{us['after'] / us['before']:.3f}",
                         f"{us['fused'] / us['before']:.2f}x", f"{us['fused'] / us['after']:.2f}x",
                         " / ".join(f"±{spread(times[k]):.0%}" for k in runs)])
    print(table(["case", "before", "after", "fused NumPy", "after/before", "before vs fused",
                 "after vs fused", "spread (before / after / fused)"], rows))
    print(f"after the runs: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
