"""PyTorch's classic MNIST CNN (conv, conv, max-pool, dropout, linear, linear, log-softmax,
NLL), with a BatchNorm2d added, trained for a few SGD steps from torch's initial weights on the
bundled 8×8 digits: the losses and the final weights and running statistics match torch's.
Dropout is left out of the comparison (the two libraries draw different masks) but run in
the model to check that it trains."""

import numpy as np
import torch

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import optim
from chainrule.datasets import load_bundled_digits


def make_net(lib, functional, dropout):
    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = lib.nn.Conv2d(1, 8, 3, 1)
            self.bn = lib.nn.BatchNorm2d(8)
            self.conv2 = lib.nn.Conv2d(8, 16, 3, 1, padding=1)
            self.dropout1 = lib.nn.Dropout2d(0.25 if dropout else 0.0)
            self.dropout2 = lib.nn.Dropout(0.5 if dropout else 0.0)
            self.fc1 = lib.nn.Linear(144, 32)
            self.fc2 = lib.nn.Linear(32, 10)

        def forward(self, x):
            x = functional.relu(self.bn(self.conv1(x)))
            x = functional.relu(self.conv2(x))
            x = functional.max_pool2d(x, 2)
            x = self.dropout1(x)
            x = x.flatten(1)
            x = functional.relu(self.fc1(x))
            x = self.dropout2(x)
            return functional.log_softmax(self.fc2(x), dim=1)

    return Net()


def test_mnist_cnn_steps_match_torch():
    X, y = load_bundled_digits()
    X = X[:64].reshape(64, 1, 8, 8).astype(np.float64) / 16
    y = y[:64].astype(np.int64)
    torch.manual_seed(0)
    theirs = make_net(torch, torch.nn.functional, dropout=False).double()
    ours = make_net(cr, F, dropout=False).double()
    ours.load_state_dict(theirs.state_dict())
    opt_t = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    opt_c = optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    for step in range(5):
        xb, yb = X[step * 12:(step + 1) * 12], y[step * 12:(step + 1) * 12]
        opt_t.zero_grad()
        loss_t = torch.nn.functional.nll_loss(theirs(torch.tensor(xb)), torch.tensor(yb))
        loss_t.backward()
        opt_t.step()
        opt_c.zero_grad()
        loss_c = F.nll_loss(ours(cr.tensor(xb)), cr.tensor(yb))
        loss_c.backward()
        opt_c.step()
        np.testing.assert_allclose(loss_c.item(), loss_t.item(), rtol=1e-9, err_msg=f"step {step}")
    for name, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[name].array, value.numpy(), rtol=1e-8,
                                   atol=1e-12, err_msg=name)
    ours.eval()
    theirs.eval()
    np.testing.assert_allclose(ours(cr.tensor(X)).array, theirs(torch.tensor(X)).detach().numpy(),
                               rtol=1e-8, atol=1e-12)


def test_mnist_cnn_with_dropout_learns_in_float32():
    cr.manual_seed(0)
    X, y = load_bundled_digits()
    X = (X[:256].reshape(256, 1, 8, 8) / 16).astype(np.float32)
    y = y[:256].astype(np.int64)
    model = make_net(cr, F, dropout=True)
    opt = optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for epoch in range(8):
        for i in range(0, 256, 32):
            opt.zero_grad()
            loss = F.nll_loss(model(cr.tensor(X[i:i + 32])), cr.tensor(y[i:i + 32]))
            loss.backward()
            opt.step()
            losses.append(loss.item())
    assert loss.dtype == np.float32
    assert np.mean(losses[-8:]) < 0.5 * np.mean(losses[:8])
    model.eval()
    accuracy = (model(cr.tensor(X)).array.argmax(1) == y).mean()
    assert accuracy > 0.8
