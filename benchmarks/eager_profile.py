"""Where an eager training step's time goes, against the hand-fused NumPy loop (issue 16).

For each workload of ``training_throughput.py`` (float32, Adam, 1 thread) it times, in one
process and interleaved (medians of ``--rounds`` rounds, CPU time of this thread, so that time
the machine's other jobs take is not counted):

  phases        forward + loss, backward (with zero_grad) and the update, eager and fused;
  forward       the model and loss as a user calls them, against the same ops' ``forward``
                bodies called directly on the arrays: the difference is the framework's cost
                (``Module.__call__``, ``Function.apply``, the Tensor and node of each result);
  backward      ``loss.backward()`` against the nodes' ``backward`` bodies on the upstream
                gradients the engine handed them: the difference is the engine's walk (order,
                pending gradients, shape and dtype checks, leaves' ``.grad``), of which the
                topological order is timed alone too;
  update        ``optimizer.step()`` against ``adam_update`` on the flat arrays alone, and the
                flat path's pieces: the layout check, the gradient gather, the state scatter.

Usage:
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python benchmarks/eager_profile.py
      [--only W2:10 W3:64 W1:32] [--rounds 15]
"""

import argparse
import statistics
import sys
import time

from _harness import describe_environment, table, threads
from compiled_step import _chainrule_model
from training_throughput import WORKLOADS, numpy_trainer

import chainrule as cr
from chainrule.autograd import capturing
from chainrule.autograd.engine import observe_backward, topological_order


class _Recorder:
    """Collects (op class, arrays, keyword arguments) of every op of one forward pass."""

    def __init__(self):
        self.calls = []

    def __call__(self, cls, args, kwargs, result):
        arrays = [a.array if isinstance(a, cr.Tensor) else a for a in args]
        self.calls.append((cls, arrays, kwargs))

    def refuse_value_read(self, what):
        pass


class _Ctx:
    """Stands in for a node when an op's ``forward`` body is called alone."""

    def save_for_backward(self, *arrays):
        self._saved = arrays


def _timed(fns, rounds, calls, reset):
    """µs per call of each fn: median over interleaved rounds of ``calls`` calls (thread time);
    ``reset()`` after each run, untimed."""
    for fn in fns.values():
        fn()
        reset()
    times = {name: [] for name in fns}
    names = list(fns)
    for r in range(rounds):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            fn = fns[name]
            t0 = time.thread_time()
            for _ in range(calls):
                fn()
            times[name].append((time.thread_time() - t0) / calls * 1e6)
            reset()
    return {name: statistics.median(t) for name, t in times.items()}


def profile(work, batch, rounds):
    model, criterion, opt = _chainrule_model(work, work.initial_weights())
    x, t = (cr.tensor(a) for a in work.data(batch)[0])
    params = list(model.parameters())
    for _ in range(3):  # the optimizer's state and flat layout exist from here on
        opt.zero_grad()
        criterion(model(x), t).backward()
        opt.step()
    recorder = _Recorder()
    capturing.recorders.append(recorder)
    try:
        loss = criterion(model(x), t)
    finally:
        capturing.recorders.pop()
    with observe_backward() as steps:
        loss.backward(retain_graph=True)
    upstream = [(s.node, s.grad_output) for s in steps]
    ctx = _Ctx()
    group = opt.param_groups[0]
    options = opt.update_options(group)
    flat = opt._flat.get(id(group))
    fused = numpy_trainer(work, work.initial_weights(), work.data(batch))

    def eager_forward():
        criterion(model(x), t)

    def forward_bodies():
        for cls, arrays, kwargs in recorder.calls:
            cls.forward(ctx, *arrays, **kwargs)

    def eager_forward_backward():
        opt.zero_grad()
        criterion(model(x), t).backward()

    def engine_pass():
        for p in params:
            p.grad = None
        loss.backward(retain_graph=True)

    def backward_bodies():
        for node, g in upstream:
            node.backward(node, g)

    def fused_forward_backward():
        fused.backward(fused.forward_loss())

    fns = {
        "eager forward+loss": eager_forward, "op forward bodies": forward_bodies,
        "eager forward+loss+backward": eager_forward_backward, "engine pass": engine_pass,
        "node backward bodies": backward_bodies,
        "topological order": lambda: topological_order(loss.grad_fn),
        "eager update": opt.step,
        "fused forward+loss": fused.forward_loss, "fused forward+loss+backward":
            fused_forward_backward, "fused update": fused.update,
    }
    if flat is not None:
        fns["update on the flat arrays"] = lambda: opt.update(flat.param, flat.grad, flat.state,
                                                              **options)
        fns["layout check"] = lambda: flat.ready(flat.params, opt.state)
        fns["gradient gather"] = flat.gather
        fns["state scatter"] = flat.scatter
    weights = [p.array.copy() for p in params]

    def reset():
        """The weights back where they were: the update is timed again and again on the same
        gradients, and the graph kept for the backward timings is the first step's, so left to
        drift they would blow up (W3's sigmoids) instead of training."""
        for p, w in zip(params, weights):
            p.array[...] = w

    us = _timed(fns, rounds, max(5, 2000 // batch), reset)
    n_ops, n_nodes = len(recorder.calls), len(upstream)
    n_leaves = sum(1 for node, _ in upstream for i in node.inputs
                   if i is not None and i.requires_grad and i.grad_fn is None)
    eager_bwd = us["eager forward+loss+backward"] - us["eager forward+loss"]
    fused_bwd = us["fused forward+loss+backward"] - us["fused forward+loss"]
    eager = us["eager forward+loss+backward"] + us["eager update"]
    fused_total = us["fused forward+loss+backward"] + us["fused update"]
    recording = us["eager forward+loss"] - us["op forward bodies"]
    walk = us["engine pass"] - us["node backward bodies"]
    rows = [
        ["forward + loss", f"{us['eager forward+loss']:.1f}", f"{us['fused forward+loss']:.1f}",
         f"op bodies {us['op forward bodies']:.1f}; module call + apply {recording:.1f} "
         f"({recording / n_ops:.2f} per op, {n_ops} ops)"],
        ["backward (with zero_grad)", f"{eager_bwd:.1f}", f"{fused_bwd:.1f}",
         f"node bodies {us['node backward bodies']:.1f}; engine {walk:.1f} "
         f"({walk / n_nodes:.2f} per node, {n_nodes} nodes, {n_leaves} leaves), of which "
         f"topological order {us['topological order']:.1f}"],
    ]
    detail = ""
    if flat is not None:
        parts = us["layout check"] + us["gradient gather"] + us["state scatter"]
        detail = (f"update on the flat arrays {us['update on the flat arrays']:.1f} "
                  f"({flat.param.size:,} of {sum(p.array.size for p in params):,} numbers); "
                  f"layout check {us['layout check']:.1f}, gather {us['gradient gather']:.1f}, "
                  f"scatter {us['state scatter']:.1f} ({parts / len(flat.params):.2f} per "
                  f"batched parameter)")
    rows.append(["update", f"{us['eager update']:.1f}", f"{us['fused update']:.1f}", detail])
    rows.append(["whole step", f"{eager:.1f}", f"{fused_total:.1f}",
                 f"fused/eager {fused_total / eager:.2f}"])
    print(f"\n{work.name} batch {batch}: µs per step (thread CPU time, median of {rounds} "
          "interleaved rounds)\n")
    print(table(["phase", "eager", "fused NumPy", "where the eager time goes"], rows))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="W:BATCH",
                        default=["W1:32", "W1:128", "W1:512", "W2:10", "W2:256", "W3:64"])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    with threads(1):
        print(describe_environment(1))
        for spec in args.only:
            name, batch = spec.split(":")
            work = next(w for w in WORKLOADS if w.name == name)
            profile(work, int(batch), args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
