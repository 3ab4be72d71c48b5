"""Weight initialisation through .data and nn.init, gradient clipping by norm and by value, and
an RMSprop training of a small tanh network on a noisy regression.

PyTorch code with its imports renamed to chainrule; tests/port runs it under both libraries.
"""

import numpy as np

import chainrule as torch
import chainrule.nn as nn


def init_(model, rng):
    for m in model.modules():
        if isinstance(m, nn.Linear):
            w = rng.normal(0, 1.0, tuple(m.weight.shape)).astype(np.float32)  # too large on purpose
            m.weight.data = torch.from_numpy(w)
            m.bias.data.fill_(0.01)
    nn.init.ones_(model[-1].weight)


def main(steps=30):
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.uniform(-3, 3, (64, 2)).astype(np.float32))
    y = (x[:, :1] ** 2 - x[:, 1:] + torch.from_numpy(
        rng.normal(0, 0.1, (64, 1)).astype(np.float32)))
    model = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(),
                          nn.Linear(32, 1))
    init_(model, rng)
    optimizer = torch.optim.RMSprop(model.parameters(), lr=0.01, alpha=0.9)
    losses, norms = [], []
    for step in range(steps):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        norms.append(float(nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)))
        nn.utils.clip_grad_value_(model.parameters(), clip_value=1.0)
        optimizer.step()
        losses.append(loss.item())
    flat = nn.utils.parameters_to_vector(model.parameters())
    return {"losses": losses, "norms": norms, "n_params": flat.numel(),
            "weights": flat.detach().numpy()}


if __name__ == "__main__":
    print(main())
