"""An MLP classifier with a Dataset subclass: three spiral arms, SGD with momentum.

PyTorch code with its imports renamed to chainrule; tests/port runs it under both libraries.
"""

import numpy as np

import chainrule as torch
import chainrule.nn as nn
from chainrule.utils.data import DataLoader, Dataset


class SpiralDataset(Dataset):
    """Three interleaved spiral arms in the plane, one class each."""

    def __init__(self, n_per_class=40, seed=0):
        rng = np.random.default_rng(seed)
        xs, ys = [], []
        for c in range(3):
            r = np.linspace(0.1, 1.0, n_per_class)
            t = np.linspace(c * 4.0, (c + 1) * 4.0, n_per_class) + rng.normal(0, 0.2, n_per_class)
            xs.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
            ys.append(np.full(n_per_class, c))
        self.x = np.concatenate(xs).astype(np.float32)
        self.y = np.concatenate(ys).astype(np.int64)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, idx):
        return torch.from_numpy(self.x[idx]), int(self.y[idx])


class MLP(nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.fc1 = nn.Linear(2, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, 3)
        self.act = nn.ReLU()

    def forward(self, x):
        x = self.act(self.fc1(x))
        x = self.act(self.fc2(x))
        return self.out(x)


def init_weights(model, seed=1):
    """Initial weights from a NumPy generator, so every library starts from the same numbers."""
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(rng.uniform(-0.5, 0.5, tuple(p.shape)).astype(np.float32)))


def main(epochs=4):
    dataset = SpiralDataset()
    order = np.random.default_rng(2).permutation(len(dataset)).tolist()
    loader = DataLoader(dataset, batch_size=16, sampler=order)
    model = MLP()
    init_weights(model)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for _epoch in range(epochs):
        model.train()
        for inputs, labels in loader:
            optimizer.zero_grad()
            loss = criterion(model(inputs), labels)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        logits = model(torch.from_numpy(dataset.x))
        accuracy = (logits.argmax(dim=1) == torch.from_numpy(dataset.y)).float().mean().item()
    return {"losses": losses, "accuracy": accuracy}


if __name__ == "__main__":
    print(main())
