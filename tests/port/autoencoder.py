"""An autoencoder on the 8x8 digits: 64 -> 16 -> 64 with a sigmoid output, Adam and MSE; the
reconstruction error of held-out digits is measured at the end.

PyTorch code with its imports renamed to chainrule; tests/port runs it under both libraries.
"""

import numpy as np
from sklearn.datasets import load_digits

import chainrule as torch
from chainrule import nn
from chainrule.utils.data import DataLoader, TensorDataset, random_split


class AutoEncoder(nn.Module):
    def __init__(self, code=16):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, code))
        self.decoder = nn.Sequential(nn.Linear(code, 32), nn.ReLU(), nn.Linear(32, 64),
                                     nn.Sigmoid())

    def forward(self, x):
        return self.decoder(self.encoder(x))


def main(epochs=3, n=480):
    images = (load_digits().data[:n] / 16.0).astype(np.float32)
    dataset = TensorDataset(torch.from_numpy(images))
    train_part, test_part = random_split(dataset, [0.75, 0.25],
                                         generator=torch.Generator().manual_seed(0))
    # The split's draw differs between libraries; the batches below are fixed by index instead.
    loader = DataLoader(TensorDataset(torch.from_numpy(images[:360])), batch_size=40)
    model = AutoEncoder()
    rng = np.random.default_rng(3)
    for module in model.modules():
        if isinstance(module, nn.Linear):
            fan_in = module.in_features
            module.weight.data.copy_(torch.from_numpy(
                rng.normal(0, fan_in ** -0.5, (module.out_features, fan_in)).astype(np.float32)))
            module.bias.data.zero_()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    criterion = nn.MSELoss()
    losses = []
    for _epoch in range(epochs):
        for (batch,) in loader:
            optimizer.zero_grad()
            loss = criterion(model(batch), batch)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    with torch.no_grad():
        held_out = torch.from_numpy(images[360:])
        test_loss = criterion(model(held_out), held_out).item()
    return {"losses": losses, "test_loss": test_loss,
            "split": [len(train_part), len(test_part)]}


if __name__ == "__main__":
    print(main())
