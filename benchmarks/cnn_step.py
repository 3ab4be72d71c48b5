"""One training step of PyTorch's classic MNIST CNN example, chainrule against torch eager.

The network of pytorch/examples' mnist/main.py: conv 1→32 (3×3), ReLU, conv 32→64 (3×3), ReLU,
max-pool 2, dropout 0.25, flatten (9,216), linear 128, ReLU, dropout 0.5, linear 10,
log-softmax, NLL; a batch of 64 images of 28×28 (random pixels: the speed does not depend on
them), SGD with momentum. Before any timing the two systems run three steps from the same
weights with dropout off and must give the same losses (float32, rtol 1e-4).

``--phases`` also times the convolution layers alone (forward, and forward + backward), to show
where the time goes.

Usage:  python benchmarks/cnn_step.py [--threads 1] [--batch 64] [--repeats 7] [--phases]
        [--quick]
"""

import argparse
import sys

import numpy as np
import torch
from _harness import describe_environment, interleaved, load_average, median, spread, table
from _harness import threads as thread_limit

import chainrule as cr
import chainrule.nn.functional as F


def make_net(lib, functional):
    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = lib.nn.Conv2d(1, 32, 3, 1)
            self.conv2 = lib.nn.Conv2d(32, 64, 3, 1)
            self.dropout1 = lib.nn.Dropout(0.25)
            self.dropout2 = lib.nn.Dropout(0.5)
            self.fc1 = lib.nn.Linear(9216, 128)
            self.fc2 = lib.nn.Linear(128, 10)

        def forward(self, x):
            x = functional.relu(self.conv1(x))
            x = functional.relu(self.conv2(x))
            x = functional.max_pool2d(x, 2)
            x = self.dropout1(x)
            x = x.flatten(1)
            x = functional.relu(self.fc1(x))
            x = self.dropout2(x)
            return functional.log_softmax(self.fc2(x), dim=1)

    return Net()


def systems(batch):
    rng = np.random.default_rng(0)
    x = rng.random((batch, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, batch)
    torch.manual_seed(0)
    theirs = make_net(torch, torch.nn.functional)
    ours = make_net(cr, F)
    ours.load_state_dict(theirs.state_dict())
    runs = {}
    for name, lib, functional, model in (("chainrule", cr, F, ours),
                                         ("torch", torch, torch.nn.functional, theirs)):
        opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        xb, yb = lib.tensor(x), lib.tensor(y)

        def step(model=model, opt=opt, xb=xb, yb=yb, functional=functional):
            opt.zero_grad()
            loss = functional.nll_loss(model(xb), yb)
            loss.backward()
            opt.step()
            return loss.item()

        runs[name] = (model, step)
    return runs, x


def check_same_losses(runs):
    for model, _ in runs.values():
        model.dropout1.p = model.dropout2.p = 0.0
    losses = {name: [step() for _ in range(3)] for name, (_, step) in runs.items()}
    for model, _ in runs.values():
        model.dropout1.p, model.dropout2.p = 0.25, 0.5
    np.testing.assert_allclose(losses["chainrule"], losses["torch"], rtol=1e-4)
    return losses["torch"]


def conv_phases(batch, repeats):
    """The two convolutions alone: forward, and forward + backward of their sum."""
    rng = np.random.default_rng(1)
    x = rng.random((batch, 1, 28, 28), dtype=np.float32)
    w1 = rng.standard_normal((32, 1, 3, 3), dtype=np.float32) / 3
    w2 = rng.standard_normal((64, 32, 3, 3), dtype=np.float32) / 17
    b1, b2 = np.zeros(32, np.float32), np.zeros(64, np.float32)
    rows = []
    for lib, functional, name in ((cr, F, "chainrule"), (torch, torch.nn.functional, "torch")):
        ts = [lib.tensor(a, requires_grad=True) for a in (w1, b1, w2, b2)]
        xb = lib.tensor(x)

        def forward(ts=ts, xb=xb, functional=functional):
            return functional.conv2d(functional.relu(functional.conv2d(xb, ts[0], ts[1])),
                                     ts[2], ts[3])

        def both(forward=forward):
            forward().sum().backward()

        rows.append((name, forward, both))
    result = []
    for label, k in (("conv1 + relu + conv2, forward", 1), ("the same, forward + backward", 2)):
        times = interleaved({row[0]: row[k] for row in rows}, repeats)
        ours, theirs = median(times["chainrule"]), median(times["torch"])
        result.append((label, f"{ours * 1e3:.1f}", f"{theirs * 1e3:.1f}",
                       f"{theirs / ours:.2f}x"))
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--phases", action="store_true")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    repeats = 2 if args.quick else args.repeats
    with thread_limit(args.threads):
        print(describe_environment(args.threads))
        runs, _ = systems(args.batch)
        first = check_same_losses(runs)
        print(f"same losses for 3 steps from the same weights: {[round(v, 5) for v in first]}")
        times = interleaved({name: step for name, (_, step) in runs.items()}, repeats)
        ours, theirs = median(times["chainrule"]), median(times["torch"])
        print(table(["system", "ms per step", "spread", "images/s"], [
            (name, f"{median(t) * 1e3:.1f}", f"±{spread(t):.0%}",
             f"{args.batch / median(t):,.0f}") for name, t in times.items()]))
        print(f"chainrule runs at {theirs / ours:.2f}x torch's speed (1.0 = as fast)")
        if args.phases:
            print(table(["part", "chainrule ms", "torch ms", "chainrule speed / torch"],
                        conv_phases(args.batch, repeats)))
        print(load_average() + " after")
    return 0


if __name__ == "__main__":
    sys.exit(main())
