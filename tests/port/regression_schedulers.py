"""Regression with learning-rate schedulers: a warm-up then cosine decay (SequentialLR) per
epoch, and ReduceLROnPlateau on the validation loss for a second model.

PyTorch code with its imports renamed to chainrule; tests/port runs it under both libraries.
"""

import numpy as np

import chainrule as torch
import chainrule.nn as nn
from chainrule import optim
from chainrule.utils.data import DataLoader, TensorDataset


def make_data(n=96, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, (n, 3)).astype(np.float32)
    y = (np.sin(x[:, :1]) + 0.5 * x[:, 1:2] * x[:, 2:3]).astype(np.float32)
    return torch.from_numpy(x), torch.from_numpy(y)


def init_weights(model, seed=1):
    rng = np.random.default_rng(seed)
    for p in model.parameters():
        p.data = torch.from_numpy(rng.normal(0, 0.4, tuple(p.shape)).astype(np.float32))


def train(model, optimizer, loader, epochs, after_epoch):
    criterion = nn.MSELoss()
    losses, lrs = [], []
    for _epoch in range(epochs):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        lrs.append(optimizer.param_groups[0]["lr"])
        after_epoch()
    return losses, lrs


def main(epochs=8):
    x, y = make_data()
    loader = DataLoader(TensorDataset(x, y), batch_size=32)

    model = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 1))
    init_weights(model)
    optimizer = optim.Adam(model.parameters(), lr=0.05)
    warmup = optim.lr_scheduler.LinearLR(optimizer, start_factor=0.2, total_iters=3)
    cosine = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs - 3, eta_min=1e-3)
    scheduler = optim.lr_scheduler.SequentialLR(optimizer, [warmup, cosine], milestones=[3])
    losses, lrs = train(model, optimizer, loader, epochs, scheduler.step)

    model2 = nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Linear(16, 1))
    init_weights(model2, seed=2)
    optimizer2 = optim.SGD(model2.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    plateau = optim.lr_scheduler.ReduceLROnPlateau(optimizer2, factor=0.5, patience=0)

    def on_plateau():
        with torch.no_grad():
            plateau.step(nn.functional.mse_loss(model2(x), y).item())

    losses2, lrs2 = train(model2, optimizer2, loader, epochs, on_plateau)
    return {"losses": losses, "lrs": lrs, "plateau_losses": losses2, "plateau_lrs": lrs2}


if __name__ == "__main__":
    print(main())
