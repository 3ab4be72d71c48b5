"""Training throughput (samples/s): chainrule vs PyTorch eager vs a hand-fused NumPy loop.

Workloads (all float32, Adam(lr=1e-3), one training step = forward, loss, backward, update):

  W1  784-256-128-10, ReLU, cross-entropy on logits        batch 32, 128, 512
  W2  2-8-8-1, tanh, BCE with logits                        batch 10, 256
  W3  input 64, 20 hidden layers of 64 sigmoid units, a linear output of 1 unit, MSE   batch 64

The three systems start from the same weights and see the same batches (4 random batches,
cycled); before timing, a few steps of each are checked to give the same losses. The NumPy loop
is written here by hand as fast as honest NumPy goes: preallocated buffers, in-place ufuncs,
softmax and cross-entropy gradient fused, all parameters in one flat array so Adam is one
set of in-place ufunc calls.

Usage:  python benchmarks/training_throughput.py [--threads 1 [2 ...]] [--quick] [--phases]
                                                [--only W1:32 W3 ...]

--phases prints µs per step of forward + loss, backward and the Adam update instead.
"""

import argparse
import math
import sys

import numpy as np
import torch
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

import chainrule as cr
import chainrule.nn as crnn
import chainrule.optim as cr_optim

LR, BETAS, EPS = 1e-3, (0.9, 0.999), 1e-8
N_BATCHES = 4


class Workload:
    def __init__(self, name, sizes, activation, loss, batches):
        self.name, self.sizes, self.activation, self.loss = name, sizes, activation, loss
        self.batches = batches

    def initial_weights(self, seed=0):
        """(W (out, in), b) per layer, uniform in ±1/√in as torch's Linear draws them."""
        rng = np.random.default_rng(seed)
        layers = []
        for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:]):
            bound = 1 / math.sqrt(n_in)
            layers.append((rng.uniform(-bound, bound, (n_out, n_in)).astype(np.float32),
                           rng.uniform(-bound, bound, n_out).astype(np.float32)))
        return layers

    def data(self, batch, seed=1):
        """N_BATCHES (x, target) pairs; class indices for cross-entropy, floats otherwise."""
        rng = np.random.default_rng(seed)
        out = []
        for _ in range(N_BATCHES):
            x = rng.standard_normal((batch, self.sizes[0])).astype(np.float32)
            if self.loss == "cross_entropy":
                t = rng.integers(0, self.sizes[-1], batch).astype(np.int64)
            elif self.loss == "bce_logits":
                t = rng.integers(0, 2, (batch, self.sizes[-1])).astype(np.float32)
            else:
                t = rng.standard_normal((batch, self.sizes[-1])).astype(np.float32)
            out.append((x, t))
        return out


WORKLOADS = [
    Workload("W1", (784, 256, 128, 10), "relu", "cross_entropy", (32, 128, 512)),
    Workload("W2", (2, 8, 8, 1), "tanh", "bce_logits", (10, 256)),
    Workload("W3", (64,) * 21 + (1,), "sigmoid", "mse", (64,)),
]


class Phases:
    """One system's training step in its three phases; calling it runs a whole step."""

    def __init__(self, forward_loss, backward, update):
        self.forward_loss, self.backward, self.update = forward_loss, backward, update

    def __call__(self):
        loss = self.forward_loss()
        self.backward(loss)
        self.update()
        return loss


# -- chainrule ---------------------------------------------------------------------------------
def chainrule_model(work, weights):
    """The workload's network in chainrule, from ``weights``, and its loss."""
    activation = {"relu": crnn.ReLU, "tanh": crnn.Tanh, "sigmoid": crnn.Sigmoid}[work.activation]
    layers = []
    for i, (w, b) in enumerate(weights):
        linear = crnn.Linear(w.shape[1], w.shape[0])
        linear.weight.array[...] = w
        linear.bias.array[...] = b
        layers.append(linear)
        if i < len(weights) - 1:
            layers.append(activation())
    criterion = {"cross_entropy": crnn.CrossEntropyLoss, "bce_logits": crnn.BCEWithLogitsLoss,
                 "mse": crnn.MSELoss}[work.loss]()
    return crnn.Sequential(*layers), criterion


def chainrule_trainer(work, weights, batches):
    model, criterion = chainrule_model(work, weights)
    opt = cr_optim.Adam(model.parameters(), lr=LR, foreach=FOREACH)
    data = [(cr.tensor(x), cr.tensor(t)) for x, t in batches]
    counter = [0]

    def forward_loss():
        x, t = data[counter[0] % N_BATCHES]
        counter[0] += 1
        return criterion(model(x), t)

    def backward(loss):
        opt.zero_grad()
        loss.backward()

    return Phases(forward_loss, backward, opt.step)


# -- PyTorch eager -------------------------------------------------------------------------------
def torch_trainer(work, weights, batches):
    activation = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh,
                  "sigmoid": torch.nn.Sigmoid}[work.activation]
    layers = []
    for i, (w, b) in enumerate(weights):
        linear = torch.nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(w))
            linear.bias.copy_(torch.from_numpy(b))
        layers.append(linear)
        if i < len(weights) - 1:
            layers.append(activation())
    model = torch.nn.Sequential(*layers)
    criterion = {"cross_entropy": torch.nn.CrossEntropyLoss,
                 "bce_logits": torch.nn.BCEWithLogitsLoss, "mse": torch.nn.MSELoss}[work.loss]()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    data = [(torch.from_numpy(x), torch.from_numpy(t)) for x, t in batches]
    counter = [0]

    def forward_loss():
        x, t = data[counter[0] % N_BATCHES]
        counter[0] += 1
        return criterion(model(x), t)

    def backward(loss):
        opt.zero_grad()
        loss.backward()

    return Phases(forward_loss, backward, opt.step)


# -- hand-fused NumPy ----------------------------------------------------------------------------
def _views(flat, shapes):
    """Consecutive C-contiguous views into ``flat``, one per shape."""
    views, start = [], 0
    for shape in shapes:
        size = math.prod(shape)
        views.append(flat[start:start + size].reshape(shape))
        start += size
    return views


class FusedNumpyMLP:
    """Forward, loss, backward and Adam for one MLP and one batch size, with no allocation
    beyond a few batch-sized scratch arrays in the loss.

    Every weight and bias is a view into one flat array, and so is every gradient, so Adam runs
    one set of ufunc calls over all parameters at once instead of one per parameter.
    """

    def __init__(self, work, weights, batch):
        self.activation, self.loss_kind = work.activation, work.loss
        shapes = [w.shape for w, _ in weights] + [b.shape for _, b in weights]
        n_params = sum(math.prod(shape) for shape in shapes)
        f32 = np.float32
        self.flat_p = np.concatenate([w.ravel() for w, _ in weights]
                                     + [b.ravel() for _, b in weights]).astype(f32)
        self.flat_g = np.zeros(n_params, f32)
        views, grads = _views(self.flat_p, shapes), _views(self.flat_g, shapes)
        n_layers = len(weights)
        self.W, self.b = views[:n_layers], views[n_layers:]
        self.gW, self.gb = grads[:n_layers], grads[n_layers:]
        self.m, self.v = np.zeros(n_params, f32), np.zeros(n_params, f32)
        self.scratch = np.empty(n_params, f32)
        widths = [w.shape[0] for w in self.W]
        self.h = [np.empty((batch, n), f32) for n in widths]  # post-activation outputs
        # (W·aᵀ)ᵀ is faster than a·Wᵀ in OpenBLAS when the batch is smaller than the layer
        self.h_t = [np.empty((n, batch), f32) if batch < n else None for n in widths]
        self.g = [np.empty((batch, n), f32) for n in widths]  # dL/d(pre-activation)
        self.tmp = [np.empty((batch, n), f32) for n in widths]
        self.mask = [np.empty((batch, n), bool) for n in widths]
        self.rows = np.arange(batch)
        self.ones = np.ones(batch, f32)
        self.col = np.empty((batch, 1), f32)
        self.t = 0

    def _activate(self, z):
        if self.activation == "relu":
            np.maximum(z, 0, out=z)
        elif self.activation == "tanh":
            np.tanh(z, out=z)
        else:  # sigmoid: 1 / (1 + e^−z)
            np.negative(z, out=z)
            np.exp(z, out=z)
            z += 1
            np.reciprocal(z, out=z)

    def _activation_backward(self, g, h, i):
        """g *= h'(z), written with the activation's output h."""
        if self.activation == "relu":
            np.greater(h, 0, out=self.mask[i])
            np.multiply(g, self.mask[i], out=g)
        elif self.activation == "tanh":  # 1 − h²
            tmp = self.tmp[i]
            np.multiply(h, h, out=tmp)
            np.subtract(1, tmp, out=tmp)
            g *= tmp
        else:  # h(1 − h)
            tmp = self.tmp[i]
            np.subtract(1, h, out=tmp)
            tmp *= h
            g *= tmp

    def _loss_and_grad(self, z, t, g):
        """The loss value, and dL/dz written into ``g`` (mean reduction)."""
        n = z.shape[0]
        if self.loss_kind == "cross_entropy":
            # softmax − onehot, from one exp: g = e^(z − max) / Σ, then subtract 1 at the target
            mx, s = self.col, np.empty_like(self.col)
            np.max(z, axis=1, keepdims=True, out=mx)
            np.subtract(z, mx, out=g)
            picked = g[self.rows, t]  # z[c] − max
            np.exp(g, out=g)
            np.sum(g, axis=1, keepdims=True, out=s)
            g /= s
            g[self.rows, t] -= 1
            g *= 1 / n
            return float(np.log(s).sum() - picked.sum()) / n
        if self.loss_kind == "bce_logits":
            # L = max(z, 0) − z·t + log(1 + e^−|z|),  dL/dz = σ(z) − t
            tmp = np.abs(z)
            np.negative(tmp, out=tmp)
            np.exp(tmp, out=tmp)
            np.log1p(tmp, out=tmp)
            loss = float(np.maximum(z, 0).sum() - np.vdot(z, t) + tmp.sum()) / z.size
            np.negative(z, out=g)
            np.exp(g, out=g)
            g += 1
            np.reciprocal(g, out=g)
            g -= t
            g *= 1 / z.size
            return loss
        np.subtract(z, t, out=g)  # MSE: mean((z − t)²), dL/dz = 2(z − t)/N
        loss = float(np.vdot(g, g)) / z.size
        g *= 2 / z.size
        return loss

    def forward_and_loss_grad(self, x, t):
        last = len(self.W) - 1
        a = x
        for i, (w, b) in enumerate(zip(self.W, self.b)):
            z = self.h[i]
            if self.h_t[i] is not None:
                np.matmul(w, a.T, out=self.h_t[i])
                np.copyto(z, self.h_t[i].T)
            else:
                np.matmul(a, w.T, out=z)
            z += b
            if i < last:
                self._activate(z)
            a = z
        return self._loss_and_grad(self.h[last], t, self.g[last])

    def backward(self, x):
        last = len(self.W) - 1
        for i in range(last, -1, -1):
            g = self.g[i]
            a_in = x if i == 0 else self.h[i - 1]
            np.matmul(g.T, a_in, out=self.gW[i])
            np.matmul(self.ones, g, out=self.gb[i])  # Σ over the batch: 1ᵀ·G beats g.sum(0)
            if i > 0:
                np.matmul(g, self.W[i], out=self.g[i - 1])
                self._activation_backward(self.g[i - 1], self.h[i - 1], i - 1)

    def adam(self):
        self.t += 1
        b1, b2 = BETAS
        step_size = LR / (1 - b1 ** self.t)
        inv_sqrt_c2 = 1 / math.sqrt(1 - b2 ** self.t)
        p, g, m, v, tmp = self.flat_p, self.flat_g, self.m, self.v, self.scratch
        m *= b1
        np.multiply(g, 1 - b1, out=tmp)
        m += tmp
        v *= b2
        np.multiply(g, g, out=tmp)
        tmp *= 1 - b2
        v += tmp
        np.sqrt(v, out=tmp)  # denominator √v̂ + ε, as torch writes it
        tmp *= inv_sqrt_c2
        tmp += EPS
        np.divide(m, tmp, out=tmp)
        tmp *= step_size
        p -= tmp


def numpy_trainer(work, weights, batches):
    mlp = FusedNumpyMLP(work, weights, batches[0][0].shape[0])
    counter = [0]

    def forward_loss():
        x, t = batches[counter[0] % N_BATCHES]
        counter[0] += 1
        return mlp.forward_and_loss_grad(x, t)

    def backward(loss):
        mlp.backward(batches[(counter[0] - 1) % N_BATCHES][0])

    return Phases(forward_loss, backward, mlp.adam)


FOREACH = None  # chainrule's optimizer as a user builds it; --foreach: forced batched path
TRAINERS = {"chainrule": chainrule_trainer, "torch": torch_trainer, "numpy": numpy_trainer}


def _scalar(loss):
    return loss if isinstance(loss, float) else loss.item()


def check_same_losses(work, batch, n_steps=3):
    """All three systems must follow the same trajectory, or the timings compare nothing."""
    weights, batches = work.initial_weights(), work.data(batch)
    losses = {}
    for name, make in TRAINERS.items():
        step = make(work, weights, batches)
        losses[name] = [_scalar(step()) for _ in range(n_steps)]
    ref = np.array(losses["torch"])
    for name in ("chainrule", "numpy"):
        if not np.allclose(losses[name], ref, rtol=2e-4, atol=1e-6):
            raise AssertionError(f"{work.name} batch {batch}: {name} losses {losses[name]} "
                                 f"differ from torch's {losses['torch']}")


def measure(work, batch, repeats, target_seconds):
    """samples/s per system: median over interleaved repetitions of a fixed number of steps."""
    weights, batches = work.initial_weights(), work.data(batch)
    runs, steps = {}, {}
    for name, make in TRAINERS.items():
        step = make(work, weights, batches)
        steps[name] = calibrate(step, target_seconds)  # also warms the system up

        def run(step=step, n=steps[name]):
            for _ in range(n):
                step()

        runs[name] = run
    times = interleaved(runs, repeats)
    rate = {name: steps[name] * batch / median(t) for name, t in times.items()}
    noise = max(spread(t) for t in times.values())
    return rate, noise


def measure_phases(work, batch, repeats, target_seconds):
    """µs per step of each phase per system: forward + loss, backward, optimizer update.

    Backward is timed as (forward + loss + backward) minus (forward + loss).
    """
    weights, batches = work.initial_weights(), work.data(batch)
    runs = {}
    for name, make in TRAINERS.items():
        phases = make(work, weights, batches)
        n = calibrate(phases, target_seconds)

        def forward(p=phases, n=n):
            for _ in range(n):
                p.forward_loss()

        def forward_backward(p=phases, n=n):
            for _ in range(n):
                p.backward(p.forward_loss())

        def update(p=phases, n=n):
            for _ in range(n):
                p.update()

        runs.update({(name, "fwd", n): forward, (name, "fwd_bwd", n): forward_backward,
                     (name, "update", n): update})
    times = interleaved(runs, repeats)
    us = {(name, phase): median(t) / n * 1e6 for (name, phase, n), t in times.items()}
    rows = []
    for name in TRAINERS:
        fwd, fwd_bwd, upd = us[name, "fwd"], us[name, "fwd_bwd"], us[name, "update"]
        rows.append([work.name, batch, name, f"{fwd:.1f}", f"{fwd_bwd - fwd:.1f}", f"{upd:.1f}",
                     f"{fwd_bwd + upd:.1f}"])
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1],
                        help="BLAS/torch thread counts to measure at (default: 1)")
    parser.add_argument("--quick", action="store_true", help="a smoke run, well under 20 s")
    parser.add_argument("--phases", action="store_true",
                        help="instead of samples/s, time forward+loss, backward and update")
    parser.add_argument("--only", nargs="+", metavar="W[:BATCH]",
                        help="measure only these workloads, e.g. --only W1:32 W3")
    parser.add_argument("--foreach", action="store_true",
                        help="chainrule's Adam with foreach=True (default: as built by hand, "
                             "foreach=None: batched where it pays)")
    args = parser.parse_args(argv)
    global FOREACH
    FOREACH = True if args.foreach else None
    if args.foreach:
        print("chainrule: Adam(foreach=True)")
    if args.only:
        wanted = [spec.split(":") for spec in args.only]
        for work in WORKLOADS:
            work.batches = tuple(b for b in work.batches
                                 if any(w[0] == work.name and (len(w) == 1 or int(w[1]) == b)
                                        for w in wanted))
    repeats, target = (3, 0.03) if args.quick else (5, 0.3)

    for work in WORKLOADS:
        for batch in work.batches:
            check_same_losses(work, batch)
    print("same losses for the first 3 steps in all three systems: checked\n")
    if args.phases:
        return print_phases(args.threads, repeats, target / 3)

    for n_threads in args.threads:
        rows = []
        with threads(n_threads):
            print(describe_environment(n_threads))
            for work in WORKLOADS:
                for batch in work.batches:
                    rate, noise = measure(work, batch, repeats, target)
                    c, t, n = rate["chainrule"], rate["torch"], rate["numpy"]
                    rows.append([work.name, batch, f"{c:,.0f}", f"{t:,.0f}", f"{n:,.0f}",
                                 f"{c / t:.2f}x", f"{c / n:.2f}x", f"±{noise:.0%}"])
        print(f"median of {repeats} interleaved repetitions of ~{target} s each, after warm-up; "
              "samples/s (higher is better)\n")
        print(table(["workload", "batch", "chainrule", "torch", "numpy (fused)",
                     "chainrule/torch", "chainrule/numpy", "spread"], rows))
        print(f"after this table: {load_average()}")
        noisy = [f"{r[0]} batch {r[1]}" for r in rows if float(r[-1].strip("±%")) > 20]
        if noisy:
            print(f"NOISY (spread > 20%): {', '.join(noisy)}; other processes were probably "
                  "competing for the cores: rerun on an idle machine before quoting these")
        print()
    print("ratios are throughput ratios: above 1x means chainrule trains faster.")
    return 0


def print_phases(thread_counts, repeats, target):
    for n_threads in thread_counts:
        rows = []
        with threads(n_threads):
            print(describe_environment(n_threads))
            for work in WORKLOADS:
                for batch in work.batches:
                    rows += measure_phases(work, batch, repeats, target)
        print(f"median of {repeats} interleaved repetitions after warm-up; µs per step\n")
        print(table(["workload", "batch", "system", "forward+loss", "backward", "Adam update",
                     "total"], rows))
        print(f"after this table: {load_average()}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
