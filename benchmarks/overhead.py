"""Per-op overhead: what chainrule adds around a tiny NumPy computation, next to torch eager.

On 4-element arrays the arithmetic costs almost nothing, so these timings are the price of the
machinery: making a Tensor, checking grad mode, recording a node, and (for backward) walking the
graph. Two measurements:

  (a) one op (add, mul) forward, with requires_grad=True and under no_grad;
  (b) a chain of 100 tiny ops (mul, add, tanh, exp, ..., sum): forward, and forward + backward.
      NumPy does only the forward math; it has no backward.

Usage:  python benchmarks/overhead.py [--threads 1] [--quick]
"""

import argparse
import operator
import sys
from functools import partial

import numpy as np
import torch
from _harness import (
    describe_environment,
    interleaved,
    load_average,
    median,
    spread,
    table,
    threads,
)

import chainrule as cr

N_ELEMENTS = 4
CHAIN_BLOCKS = 24  # 24 × (mul, add, tanh, exp) + mul, add, tanh + sum = 100 ops
CHAIN_OPS = CHAIN_BLOCKS * 4 + 3 + 1


def make_inputs(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(N_ELEMENTS).astype(np.float32)
    a = rng.uniform(0.5, 1.0, N_ELEMENTS).astype(np.float32)
    b = rng.uniform(-0.1, 0.1, N_ELEMENTS).astype(np.float32)
    return x, a, b


# -- the 100-op chain, written once per system --------------------------------------------
def chain_numpy(x, a, b):
    h = x
    for _ in range(CHAIN_BLOCKS):
        h = np.exp(np.tanh(h * a + b))
    return np.tanh(h * a + b).sum()


def chain_tensor(x, a, b, tanh, exp):
    """The same chain for chainrule and torch tensors (their operators and sum agree)."""
    h = x
    for _ in range(CHAIN_BLOCKS):
        h = exp(tanh(h * a + b))
    return tanh(h * a + b).sum()


def repeat(fn, n):
    def run():
        for _ in range(n):
            fn()
    return run


def repeat_no_grad(no_grad, fn, n):
    def run():
        with no_grad():
            for _ in range(n):
                fn()
    return run


def check_same_result(x, a, b):
    """The three systems must compute the same chain (and the two autodiffs the same grads)."""
    ref = chain_numpy(x, a, b)
    ca, cb = cr.tensor(a, requires_grad=True), cr.tensor(b, requires_grad=True)
    cl = chain_tensor(cr.tensor(x), ca, cb, cr.Tensor.tanh, cr.exp)
    cl.backward()
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    tl = chain_tensor(torch.tensor(x), ta, tb, torch.tanh, torch.exp)
    tl.backward()
    np.testing.assert_allclose(cl.item(), ref, rtol=1e-4)
    np.testing.assert_allclose(tl.item(), ref, rtol=1e-4)
    np.testing.assert_allclose(ca.grad.numpy(), ta.grad.numpy(), rtol=1e-3, atol=1e-6)
    np.testing.assert_allclose(cb.grad.numpy(), tb.grad.numpy(), rtol=1e-3, atol=1e-6)


def bench_single_ops(x, a, repeats, calls):
    """(a): one add or mul of two 4-element float32 arrays, µs per op."""
    cx, ca = cr.tensor(x), cr.tensor(a, requires_grad=True)
    tx, ta = torch.tensor(x), torch.tensor(a, requires_grad=True)
    rows = []
    for op_name, op in (("add", operator.add), ("mul", operator.mul)):
        # partial(op, p, q)() is one C-level call: the same small wrapper cost for every system
        runs = {
            "numpy": repeat(partial(op, x, a), calls),
            "cr_grad": repeat(partial(op, cx, ca), calls),
            "cr_nograd": repeat_no_grad(cr.no_grad, partial(op, cx, ca), calls),
            "torch_grad": repeat(partial(op, tx, ta), calls),
            "torch_nograd": repeat_no_grad(torch.no_grad, partial(op, tx, ta), calls),
        }
        times = interleaved(runs, repeats)
        us = {k: median(v) / calls * 1e6 for k, v in times.items()}
        for mode in ("grad", "nograd"):
            c, t = us[f"cr_{mode}"], us[f"torch_{mode}"]
            label = "requires_grad" if mode == "grad" else "no_grad"
            noise = max(spread(times[f"cr_{mode}"]), spread(times[f"torch_{mode}"]))
            rows.append([f"{op_name} fwd, {label}", f"{us['numpy']:.2f}", f"{c:.2f}",
                         f"{t:.2f}", f"{c / us['numpy']:.1f}x", f"{c / t:.2f}x",
                         f"±{noise:.0%}"])
    return rows


def bench_chain(x, a, b, repeats, calls):
    """(b): the 100-op chain, forward and forward + backward, µs per op."""
    cx = cr.tensor(x)
    ca, cb = cr.tensor(a, requires_grad=True), cr.tensor(b, requires_grad=True)
    tx = torch.tensor(x)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    cr_tanh, torch_tanh = cr.Tensor.tanh, torch.tanh

    def cr_fwd():
        return chain_tensor(cx, ca, cb, cr_tanh, cr.exp)

    def torch_fwd():
        return chain_tensor(tx, ta, tb, torch_tanh, torch.exp)

    def cr_fwd_bwd():
        ca.grad = cb.grad = None
        cr_fwd().backward()

    def torch_fwd_bwd():
        ta.grad = tb.grad = None
        torch_fwd().backward()

    runs = {
        "numpy": repeat(lambda: chain_numpy(x, a, b), calls),
        "cr_grad": repeat(cr_fwd, calls),
        "cr_nograd": repeat_no_grad(cr.no_grad, cr_fwd, calls),
        "torch_grad": repeat(torch_fwd, calls),
        "torch_nograd": repeat_no_grad(torch.no_grad, torch_fwd, calls),
        "cr_bwd": repeat(cr_fwd_bwd, calls),
        "torch_bwd": repeat(torch_fwd_bwd, calls),
    }
    times = interleaved(runs, repeats)
    us = {k: median(v) / calls / CHAIN_OPS * 1e6 for k, v in times.items()}
    rows = []
    for key, label in (("grad", "fwd, requires_grad"), ("nograd", "fwd, no_grad"),
                       ("bwd", "fwd+bwd")):
        c, t = us[f"cr_{key}"], us[f"torch_{key}"]
        np_us = us["numpy"]
        noise = max(spread(times[f"cr_{key}"]), spread(times[f"torch_{key}"]))
        rows.append([f"{CHAIN_OPS}-op chain {label}", f"{np_us:.2f}", f"{c:.2f}", f"{t:.2f}",
                     f"{c / np_us:.1f}x", f"{c / t:.2f}x", f"±{noise:.0%}"])
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="a smoke run, well under 20 s")
    args = parser.parse_args(argv)
    repeats, single_calls, chain_calls = (3, 2_000, 20) if args.quick else (9, 20_000, 200)

    x, a, b = make_inputs()
    check_same_result(x, a, b)
    with threads(args.threads):
        print(describe_environment(args.threads))
        print(f"median of {repeats} interleaved repetitions after 1 warm-up; "
              "µs per op (lower is better); spread = half-range of the repetitions\n")
        rows = bench_single_ops(x, a, repeats, single_calls)
        rows += bench_chain(x, a, b, repeats, chain_calls)
    print(table(["case", "numpy µs/op", "chainrule µs/op", "torch µs/op", "chainrule/numpy",
                 "chainrule/torch", "spread"], rows))
    print(f"after the runs: {load_average()}")
    print("\nchainrule/numpy and chainrule/torch are time ratios: above 1x means chainrule is "
          "slower. numpy does only the forward math, so the fwd+bwd row compares chainrule's "
          "forward and backward with numpy's forward alone.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
