"""What checkpointing every epoch costs `fit`: the same training with and without it.

Both runs train the MLP `chainrule train` builds on the bundled digits (64 → 64 → 32 → 10,
ReLU, Adam with foreach, batch 32, 10 epochs, 20 % validation), in one process, interleaved
(``_harness.interleaved``), one BLAS thread. "every epoch" writes the whole training state
(model, optimizer, scheduler, generators, history) to a safetensors file in a temporary
directory at each epoch's end, atomically (temp file, fsync, rename, directory fsync); "none"
writes nothing; "auto" (chainrule train's default) writes when 2 s have passed since the last
checkpoint and at the last epoch: here, once. The ratios are the prices of each.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/checkpoint_cost.py
"""

import os
import tempfile

import numpy as np
from _harness import interleaved, median, spread, table, threads

import chainrule as cr
from chainrule import nn
from chainrule.datasets import load_bundled_digits
from chainrule.train import fit
from chainrule.train.recipes import build_mlp, make_optimizer

EPOCHS = 10


def train(checkpoint, every=1):
    X, y = load_bundled_digits()
    X = ((X - X.mean()) / X.std()).astype(np.float32).reshape(len(X), -1)
    cr.manual_seed(0)
    model = build_mlp(64, (64, 32), "relu", 10)
    opt = make_optimizer("adam", model.parameters())
    fit(model, nn.CrossEntropyLoss(), opt, (X, y), val=0.2, epochs=EPOCHS, batch_size=32,
        seed=0, verbose=0, checkpoint=checkpoint, checkpoint_every=every if checkpoint else None)


def main():
    directory = tempfile.mkdtemp(prefix="chainrule-bench-")
    path = os.path.join(directory, "checkpoint.safetensors")
    with threads(1):
        times = interleaved({"none": lambda: train(None), "every epoch": lambda: train(path),
                             "auto": lambda: train(path, "auto")}, repeats=7)
    base = median(times["none"])
    rows = [[name, f"{median(t):.3f}", f"±{spread(t):.0%}", f"{median(t) / base:.3f}"]
            for name, t in times.items()]
    print(f"digits, {EPOCHS} epochs, median of 7 (s per fit):")
    print(table(["checkpoint", "seconds", "spread", "ratio"], rows))
    print(f"checkpoint file: {os.path.getsize(path)} bytes; per epoch: "
          f"{1000 * (median(times['every epoch']) - base) / EPOCHS:.1f} ms")


if __name__ == "__main__":
    main()
