"""A checkpoint saved mid-training and resumed: model, optimizer and scheduler state in one file,
loaded into fresh objects that continue as if nothing had stopped.

PyTorch code with its imports renamed to chainrule; tests/port runs it under both libraries.
"""

import os
import tempfile

import numpy as np

import chainrule as torch
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule import optim


def make_data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


def build(seed=1):
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(rng.normal(0, 0.5, tuple(p.shape)).astype(np.float32)))
    optimizer = optim.AdamW(model.parameters(), lr=0.03, weight_decay=0.01)
    scheduler = optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
    return model, optimizer, scheduler


def run_epochs(model, optimizer, scheduler, x, y, first, last):
    losses = []
    for _epoch in range(first, last):
        for i in range(0, len(x), 16):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x[i:i + 16]), y[i:i + 16])
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        scheduler.step()
    return losses


def main(epochs=6, stop_at=3):
    x, y = make_data()
    model, optimizer, scheduler = build()
    uninterrupted = run_epochs(model, optimizer, scheduler, x, y, 0, epochs)

    model, optimizer, scheduler = build()
    before = run_epochs(model, optimizer, scheduler, x, y, 0, stop_at)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "checkpoint.pt")
        torch.save({"epoch": stop_at, "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                    "losses": before}, path)
        del model, optimizer, scheduler
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    model, optimizer, scheduler = build(seed=99)  # other weights: the checkpoint must replace them
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    after = run_epochs(model, optimizer, scheduler, x, y, checkpoint["epoch"], epochs)
    return {"uninterrupted": uninterrupted, "resumed": checkpoint["losses"] + after,
            "lr": optimizer.param_groups[0]["lr"]}


if __name__ == "__main__":
    print(main())
