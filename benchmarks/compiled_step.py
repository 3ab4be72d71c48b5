"""The compiled training step side by side with JAX jit, the hand-fused NumPy loop, eager
chainrule and PyTorch eager (issue 16's targets).

Workloads as ``training_throughput.py`` (float32, Adam(lr=1e-3), forward + loss + backward +
update): W1 784-256-128-10 ReLU + cross-entropy at batch 32/128/512, W2 2-8-8-1 tanh + BCE with
logits at 10/256, W3 20 sigmoid layers of 64 + MSE at 64. Every system starts from the same
weights and sees the same batches; before timing, the first 3 losses of each are checked against
torch's. Rows:

  jax jit            the whole step (forward, loss, grad, Adam) in one ``jax.jit`` (XLA)
  numpy (fused)      the hand-written loop of training_throughput.py: flat Adam, no allocation
  chainrule eager    model, loss.backward(), optimizer.step() (foreach=None, as ``fit``)
  compiled (numba)   ``chainrule.compile(..., backend="numba")``: the whole step as one
                     generated numba function (compiled/whole_step.py)
  compiled (numba, op by op)  the same, kept to the op-by-op replay (the compiled step before
                     whole_step.py; the fallback for what one kernel cannot run)
  compiled (numpy)   ``chainrule.compile(..., backend="numpy")``: the replay without numba
  torch eager        torch.nn + torch.optim.Adam

and, for W1 and W3, the matmul-only ceiling: the step's matrix products alone (per layer the
forward, the weight gradient and, but for the first, the input gradient) into preallocated
outputs, with compiled/ceiling in brackets; no step can beat it with this BLAS.

Run NumPy benchmarks with OpenBLAS at its native kernel (``../shared/RECIPES.md``):

  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python benchmarks/compiled_step.py
      [--threads 1 [2]] [--quick] [--only W1:128 W3] [--no-jax]

JAX comes from the ``bench`` extra (``pip install -e ".[bench]"``). No XLA flag holds its CPU
runtime to one thread (on an idle machine it kept 1.84 CPUs busy per wall second with
``--xla_cpu_multi_thread_eigen=false``), so "n threads" pins the whole process to n CPUs.
"""

import argparse
import os
import sys
import time

import numpy as np
from _harness import (
    calibrate,
    describe_environment,
    interleaved,
    load_average,
    median,
    spread,
    table,
    threads,
)
from training_throughput import (
    BETAS,
    EPS,
    LR,
    N_BATCHES,
    WORKLOADS,
    Phases,
    chainrule_model,
    numpy_trainer,
    torch_trainer,
)

import chainrule as cr
import chainrule.optim as cr_optim


# -- chainrule: eager as fit runs it, and compiled ------------------------------------------------
def _chainrule_model(work, weights):
    """The workload's network and loss (as training_throughput builds them) and Adam, foreach
    left to its default as ``fit`` leaves it."""
    model, criterion = chainrule_model(work, weights)
    return model, criterion, cr_optim.Adam(model.parameters(), lr=LR)


def eager_trainer(work, weights, batches):
    model, criterion, opt = _chainrule_model(work, weights)
    data = [(cr.tensor(x), cr.tensor(t)) for x, t in batches]
    counter = [0]

    def step():
        x, t = data[counter[0] % N_BATCHES]
        counter[0] += 1
        opt.zero_grad()
        loss = criterion(model(x), t)
        loss.backward()
        opt.step()  # foreach=None: the batched path where it pays, as in fit
        return loss

    return step


def compiled_trainer(backend, one_kernel=True):
    def make(work, weights, batches):
        model, criterion, opt = _chainrule_model(work, weights)
        step = cr.compile(model, criterion, opt, backend=backend)
        if not one_kernel:  # the step as it was before whole_step.py: the replay, op by op
            step._whole_step = lambda *args: None
        data = [(cr.tensor(x), cr.tensor(t)) for x, t in batches]
        counter = [0]

        def run():
            x, t = data[counter[0] % N_BATCHES]
            counter[0] += 1
            return step(x, t)

        return run

    return make


# -- JAX jit -------------------------------------------------------------------------------------
def jax_trainer(work, weights, batches):
    import jax
    import jax.numpy as jnp

    act = {"relu": jax.nn.relu, "tanh": jnp.tanh, "sigmoid": jax.nn.sigmoid}[work.activation]

    def loss_fn(params, x, t):
        h = x
        for i, (w, b) in enumerate(params):
            h = h @ w.T + b
            if i < len(params) - 1:
                h = act(h)
        if work.loss == "cross_entropy":
            logp = jax.nn.log_softmax(h, axis=1)
            return -jnp.mean(jnp.take_along_axis(logp, t[:, None], axis=1))
        if work.loss == "bce_logits":
            return jnp.mean(jnp.maximum(h, 0) - h * t + jnp.log1p(jnp.exp(-jnp.abs(h))))
        return jnp.mean((h - t) ** 2)

    b1, b2 = BETAS

    def adam_step(state, x, t):
        params, m, v, step = state
        loss, grads = jax.value_and_grad(loss_fn)(params, x, t)
        step = step + 1
        c1 = 1 - b1**step
        c2 = 1 - b2**step
        m = jax.tree_util.tree_map(lambda m, g: b1 * m + (1 - b1) * g, m, grads)
        v = jax.tree_util.tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, v, grads)
        params = jax.tree_util.tree_map(
            lambda p, m, v: p - (LR / c1) * m / (jnp.sqrt(v) / jnp.sqrt(c2) + EPS), params, m, v)
        return (params, m, v, step), loss

    step_fn = jax.jit(adam_step, donate_argnums=(0,))
    params = [(jnp.asarray(w), jnp.asarray(b)) for w, b in weights]
    zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
    box = [(params, zeros, jax.tree_util.tree_map(jnp.zeros_like, params),
            jnp.asarray(0, jnp.float32))]
    data = [(jax.device_put(x), jax.device_put(t)) for x, t in batches]
    counter = [0]

    def run():
        x, t = data[counter[0] % N_BATCHES]
        counter[0] += 1
        box[0], loss = step_fn(box[0], x, t)
        return loss

    def run_blocking():
        loss = run()
        loss.block_until_ready()
        return loss

    run_blocking.unblocked = run  # the timed loop blocks once at its end, as XLA runs async
    return run_blocking


def _whole_step(make):
    def trainer(work, weights, batches):
        made = make(work, weights, batches)
        return made if not isinstance(made, Phases) else made.__call__

    return trainer


TRAINERS = {
    "jax jit": jax_trainer,
    "numpy (fused)": _whole_step(numpy_trainer),
    "chainrule eager": eager_trainer,
    "compiled (numba)": compiled_trainer("numba"),
    "compiled (numba, op by op)": compiled_trainer("numba", one_kernel=False),
    "compiled (numpy)": compiled_trainer("numpy"),
    "torch eager": _whole_step(torch_trainer),
}


def _scalar(loss):
    return float(loss) if not hasattr(loss, "item") else float(loss.item())


def check_same_losses(work, batch, n_steps=3):
    """Every system must follow torch's trajectory, or the timings compare nothing."""
    weights, batches = work.initial_weights(), work.data(batch)
    losses = {}
    for name, make in TRAINERS.items():
        step = make(work, weights, batches)
        losses[name] = [_scalar(step()) for _ in range(n_steps)]
    ref = np.array(losses["torch eager"])
    for name, got in losses.items():
        if not np.allclose(got, ref, rtol=2e-4, atol=1e-6):
            raise AssertionError(f"{work.name} batch {batch}: {name} losses {got} differ from "
                                 f"torch's {losses['torch eager']}")


def matmul_ceiling(work, batch, repeats, target_seconds):
    """samples/s if a step were only its matrix products, each in the form ops/linear.py picks
    (W·xᵀ when the batch is smaller than the layer), without the copy back that form needs."""
    weights, batches = work.initial_weights(), work.data(batch)
    x = batches[0][0]
    ws = [w for w, _ in weights]
    acts = [x]
    outs, outs_t = [], []  # a layer's output, or its transpose where W·xᵀ is the form
    for w in ws:
        if batch < w.shape[0]:
            outs_t.append(np.zeros((w.shape[0], batch), np.float32))
            outs.append(outs_t[-1].T)
        else:
            outs_t.append(None)
            outs.append(np.zeros((batch, w.shape[0]), np.float32))
        acts.append(outs[-1])
    gws = [np.empty_like(w) for w in ws]
    gxs = [np.empty((batch, w.shape[1]), np.float32) for w in ws]

    def products():
        for i, w in enumerate(ws):
            if outs_t[i] is not None:
                np.matmul(w, acts[i].T, out=outs_t[i])
            else:
                np.matmul(acts[i], w.T, out=outs[i])
        for i in range(len(ws) - 1, -1, -1):  # outs[i] stands for the gradient G of its shape
            np.matmul(outs[i].T, acts[i], out=gws[i])
            if i > 0:
                np.matmul(outs[i], ws[i], out=gxs[i])

    n = calibrate(products, target_seconds)

    def run(n=n):
        for _ in range(n):
            products()

    times = interleaved({"ceiling": run}, repeats)["ceiling"]
    return n * batch / median(times)


def measure(work, batch, repeats, target_seconds, names):
    weights, batches = work.initial_weights(), work.data(batch)
    runs, steps = {}, {}
    for name in names:
        step = TRAINERS[name](work, weights, batches)
        for _ in range(3):  # the first calls compile (jit, numba, capture): not timed
            step()
        steps[name] = calibrate(step, target_seconds)
        fast = getattr(step, "unblocked", None)

        def run(step=step, fast=fast, n=steps[name]):
            if fast is None:
                for _ in range(n):
                    step()
            else:
                for _ in range(n - 1):
                    fast()
                step()  # blocks until XLA has finished all n steps

        runs[name] = run
    times = interleaved(runs, repeats)
    rate = {name: steps[name] * batch / median(t) for name, t in times.items()}
    return rate, max(spread(t) for t in times.values())


def profile(work, batch, backend, repeats=5):
    """µs per step of each part of a compiled step: every op's forward and backward in the
    replay (grouped by op), the optimizer update, and what is left (the replay's own loop, the
    step's checks): where the time goes when a target is missed."""

    model, criterion, opt = _chainrule_model(work, work.initial_weights())
    step = cr.compile(model, criterion, opt, backend=backend)
    x, t = (cr.tensor(a) for a in work.data(batch)[0])
    for _ in range(5):
        step(x, t)
    if step.kernel_steps:
        return profile_one_kernel(work, batch, step, x, t, repeats)
    replay = next(iter(step.programs.values()))
    n = max(20, int(2e5 / (batch * sum(a * b for a, b in zip(work.sizes, work.sizes[1:])) /
                           1e4 + 50)))

    def best(fn):
        return best_of(fn, n, repeats)

    parts = {}
    values = replay.values
    replay.run(x.array, t.array, [p.array for p in step.params])
    upstream = {}
    for s in replay.steps:  # the forward, op by op, on the values of a real step
        args = [values[a] for a in s.args]
        key = f"{s.ctx.name} forward"
        parts[key] = parts.get(key, 0.0) + best(lambda s=s, args=args: s.forward(s.ctx, *args,
                                                                               **s.kwargs))
        upstream[s.out] = np.ones(np.shape(values[s.out]), np.asarray(values[s.out]).dtype)
    for s in replay.backward_steps:
        s.forward(s.ctx, *[values[a] for a in s.args], **s.kwargs)  # what backward reads
        g = upstream[s.out]
        key = f"{s.ctx.name} backward"
        parts[key] = parts.get(key, 0.0) + best(lambda s=s, g=g: s.backward(s.ctx, g))
    layout = step.layout
    parts["optimizer update"] = best(lambda: layout.step(layout.views, step._updates))
    whole = best(lambda: step(x, t))
    parts["the rest (replay loop, checks)"] = whole - sum(parts.values())
    rows = [[name, f"{us:.1f}", f"{us / whole:.0%}"] for name, us in parts.items()]
    rows.append(["whole step", f"{whole:.1f}", "100%"])
    print(f"\n{work.name} batch {batch}, compiled ({backend}): µs per step, best of {repeats}")
    print(table(["part", "µs", "share"], rows))


def best_of(fn, n, repeats):
    """µs per call of ``fn``: the best of ``repeats`` runs of ``n`` calls."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        times.append((time.perf_counter() - t0) / n * 1e6)
    return min(times)


def profile_one_kernel(work, batch, step, x, t, repeats):
    """The step as one generated numba function (compiled/whole_step.py): the kernel alone
    against the whole call, whose difference is the Python around it (the step's checks, the
    scalars, p.grad and the step count)."""

    whole = next(w for w in step.wholes.values() if w is not None)
    xa, ta = x.array, t.array
    args = (*whole.arrays, whole.arena, whole.scalars, False)
    n = 200

    def best(fn):
        return best_of(fn, n, repeats)

    kernel = best(lambda: whole.kernel(xa, ta, *args))
    total = best(lambda: step(x, t))
    rows = [["the kernel (forward, loss, backward, update)", f"{kernel:.1f}",
             f"{kernel / total:.0%}"],
            ["the Python around it", f"{total - kernel:.1f}", f"{(total - kernel) / total:.0%}"],
            ["whole step", f"{total:.1f}", "100%"]]
    print(f"\n{work.name} batch {batch}, compiled (numba), one kernel: µs per step, best of "
          f"{repeats}; its numba compile took {whole.compile_seconds:.2f} s (0: compiled before)")
    print(table(["part", "µs", "share"], rows))


def blas_kernels():
    """Which OpenBLAS kernel NumPy runs (this machine's environment may force an older one)."""
    from threadpoolctl import threadpool_info

    return ", ".join(sorted({f"{i['internal_api']} {i.get('version')} {i.get('architecture')}"
                             for i in threadpool_info() if i.get("user_api") == "blas"}))


def _cpu_seconds():
    t = os.times()
    return t.user + t.system


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1])
    parser.add_argument("--quick", action="store_true", help="a smoke run, well under a minute")
    parser.add_argument("--only", nargs="+", metavar="W[:BATCH]",
                        help="measure only these workloads, e.g. --only W1:128 W3")
    parser.add_argument("--no-jax", action="store_true", help="leave JAX out (not installed)")
    parser.add_argument("--profile", nargs="+", metavar="W:BATCH",
                        help="instead: where a compiled step's time goes, op by op")
    args = parser.parse_args(argv)
    if args.profile:
        with threads(args.threads[0]):
            print(describe_environment(args.threads[0]))
            print(f"BLAS kernels: {blas_kernels()}")
            for spec in args.profile:
                name, batch = spec.split(":")
                work = next(w for w in WORKLOADS if w.name == name)
                for backend in ("numba", "numpy"):
                    profile(work, int(batch), backend)
        return 0
    if args.no_jax:
        del TRAINERS["jax jit"]
    else:  # XLA's CPU runtime runs on every CPU it may: _harness.threads pins the process
        import jax

        jax.config.update("jax_platforms", "cpu")
    if args.only:
        wanted = [spec.split(":") for spec in args.only]
        for work in WORKLOADS:
            work.batches = tuple(b for b in work.batches
                                 if any(w[0] == work.name and (len(w) == 1 or int(w[1]) == b)
                                        for w in wanted))
    repeats, target = (3, 0.05) if args.quick else (7, 0.3)
    names = list(TRAINERS)
    for work in WORKLOADS:
        for batch in work.batches:
            check_same_losses(work, batch)
    print(f"same losses as torch for the first 3 steps: checked ({', '.join(names)})\n")

    for n_threads in args.threads:
        rows = []
        wall, cpu = time.perf_counter(), _cpu_seconds()
        with threads(n_threads):
            print(describe_environment(n_threads))
            print(f"BLAS kernels: {blas_kernels()}; OPENBLAS_CORETYPE="
                  f"{os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
            for work in WORKLOADS:
                for batch in work.batches:
                    rate, noise = measure(work, batch, repeats, target, names)
                    ref = rate.get("jax jit", rate["numpy (fused)"])
                    ceiling = ""
                    if work.name in ("W1", "W3"):
                        c = matmul_ceiling(work, batch, repeats, target)
                        ceiling = f"{c:,.0f} (" + ", ".join(
                            f"{n.split()[-1].strip('()')} {rate[n] / c:.2f}" for n in names
                            if n in ("jax jit", "compiled (numba)", "compiled (numpy)")) + ")"
                    rows.append([work.name, batch]
                                + [f"{rate[n]:,.0f} ({rate[n] / ref:.2f}x)" for n in names]
                                + [ceiling, f"±{noise:.0%}"])
        ref_name = "jax jit" if "jax jit" in names else "numpy (fused)"
        print(f"median of {repeats} interleaved repetitions of ~{target} s each, after warm-up; "
              f"samples/s (higher is better), in brackets the ratio to {ref_name}\n")
        print(table(["workload", "batch"] + names + ["matmul-only ceiling", "spread"], rows))
        busy = (_cpu_seconds() - cpu) / (time.perf_counter() - wall)
        print(f"after this table: {load_average()}; this process kept {busy:.2f} CPUs busy per "
              f"wall second (at most {n_threads})\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
