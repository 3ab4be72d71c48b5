"""chainrule on a GPU (through CuPy) against torch on the same GPU, in one run.

Workloads, each one training step (forward, loss, backward, optimizer step):
  W1   784-256-128-10, ReLU, cross-entropy on logits, Adam        batch 128 and 1024
  CNN  PyTorch's classic MNIST example (cnn_step.py's network), SGD with momentum, batch 64

Both systems start from the same weights and, before any timing, take three steps on the same
batch that must give the same losses (float32, rtol 1e-3: GPU kernels sum in other orders).
Each step ends with ``loss.item()``, which waits for the GPU in both libraries, so a step's time
is the GPU's work plus each library's Python overhead. The systems' runs are interleaved and the
medians compared; the last column is chainrule's speed as a fraction of torch's.

Needs a machine with an NVIDIA GPU, CuPy (``pip install "chainrule[gpu]"``) and a CUDA build of
torch. Elsewhere it says in one line what is missing and exits with status 2.

Usage:  python benchmarks/gpu.py [--repeats 20] [--quick]
"""

import argparse
import sys

import numpy as np
from _harness import describe_environment, interleaved, load_average, median, spread, table

import chainrule as cr
import chainrule.nn.functional as F


def gpu_or_reason():
    """None when both libraries can use a GPU, else why not (one line)."""
    if not cr.cuda.is_available():
        return cr.cuda.unavailable_reason()
    try:
        import torch
    except ImportError:
        return "torch is not installed"
    if not torch.cuda.is_available():
        return f"torch {torch.__version__} sees no GPU (a CUDA build of torch is needed)"
    return None


def w1(lib, functional):
    return lib.nn.Sequential(lib.nn.Linear(784, 256), lib.nn.ReLU(), lib.nn.Linear(256, 128),
                             lib.nn.ReLU(), lib.nn.Linear(128, 10))


def cnn(lib, functional):
    from cnn_step import make_net

    return make_net(lib, functional)


WORKLOADS = (
    # name, model maker, batch, input shape of one example, optimizer, loss
    ("W1 batch 128", w1, 128, (784,), "adam", "cross_entropy"),
    ("W1 batch 1024", w1, 1024, (784,), "adam", "cross_entropy"),
    ("MNIST CNN batch 64", cnn, 64, (1, 28, 28), "sgd", "nll_loss"),
)


def step_pair(make, batch, shape, optimizer, loss_name):
    """One step function per library, on the GPU, from the same weights and batch."""
    import torch

    rng = np.random.default_rng(0)
    x = rng.random((batch, *shape), dtype=np.float32)
    y = rng.integers(0, 10, batch)
    torch.manual_seed(0)
    theirs = make(torch, torch.nn.functional)
    ours = make(cr, F)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    for module in (ours, theirs):
        for child in module.modules():
            if hasattr(child, "p") and isinstance(child.p, float):
                child.p = 0.0  # dropout off: the same losses on both sides
    steps = {}
    for name, lib, functional, model in (("chainrule", cr, F, ours),
                                         ("torch", torch, torch.nn.functional, theirs)):
        model.to("cuda")
        if optimizer == "adam":
            opt = lib.optim.Adam(model.parameters(), lr=1e-3)
        else:
            opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        xb = lib.tensor(x).to("cuda")
        yb = lib.tensor(y).to("cuda")
        loss_fn = getattr(functional, loss_name)

        def step(model=model, opt=opt, xb=xb, yb=yb, loss_fn=loss_fn):
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            return loss.item()  # waits for the GPU

        steps[name] = step
    return steps


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="3 repeats: to see that it runs")
    args = parser.parse_args(argv)
    reason = gpu_or_reason()
    if reason is not None:
        print(f"benchmarks/gpu.py needs a GPU: {reason}")
        return 2
    import cupy
    import torch

    repeats = 3 if args.quick else args.repeats
    print(describe_environment(1))
    print(f"GPU: {torch.cuda.get_device_name(0)}; cupy {cupy.__version__}; "
          f"torch CUDA {torch.version.cuda}")
    rows = []
    for label, make, batch, shape, optimizer, loss_name in WORKLOADS:
        steps = step_pair(make, batch, shape, optimizer, loss_name)
        first = {name: [step() for _ in range(3)] for name, step in steps.items()}
        np.testing.assert_allclose(first["chainrule"], first["torch"], rtol=1e-3,
                                   err_msg=f"{label}: the two systems' losses differ")
        times = interleaved(steps, repeats, warmup=2)
        ours, theirs = median(times["chainrule"]), median(times["torch"])
        rows.append((label, f"{ours * 1e3:.2f} ±{spread(times['chainrule']):.0%}",
                     f"{theirs * 1e3:.2f} ±{spread(times['torch']):.0%}",
                     f"{theirs / ours:.2f}x"))
    print(table(["workload", "chainrule ms/step", "torch ms/step", "chainrule speed / torch"],
                rows))
    print(load_average() + " after")
    return 0


if __name__ == "__main__":
    sys.exit(main())
