"""PyTorch's classic MNIST example (examples/mnist/main.py: two convolutions, max pooling,
dropout, log_softmax + nll_loss, Adadelta and StepLR), on scikit-learn's offline 8x8 digits: the
layer sizes follow from the smaller images (8 -> 6 -> 4 -> 2 after pooling).

PyTorch code with its imports renamed to chainrule; tests/port runs it under both libraries.
"""

import numpy as np
from sklearn.datasets import load_digits

import chainrule as torch
import chainrule.nn as nn
import chainrule.nn.functional as F
import chainrule.optim as optim
from chainrule.optim.lr_scheduler import StepLR
from chainrule.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self, dropout=(0.25, 0.5)):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(dropout[0])
        self.dropout2 = nn.Dropout(dropout[1])
        self.fc1 = nn.Linear(256, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def train(model, device, train_loader, optimizer, losses):
    model.train()
    for data, target in train_loader:
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())


def test(model, device, test_loader):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    return test_loss / len(test_loader.dataset), correct / len(test_loader.dataset)


def digits(rows):
    images, labels = load_digits(return_X_y=True)
    images = ((images / 16.0 - 0.1307) / 0.3081).astype(np.float32).reshape(-1, 1, 8, 8)
    return TensorDataset(torch.from_numpy(images[rows]), torch.from_numpy(labels[rows]))


def main(epochs=3, dropout=(0.25, 0.5), n_train=768):
    use_cuda = torch.cuda.is_available()
    device = torch.device("cuda" if use_cuda else "cpu")
    train_loader = DataLoader(digits(slice(0, n_train)), batch_size=32)
    test_loader = DataLoader(digits(slice(1400, 1797)), batch_size=200)

    model = Net(dropout).to(device)
    rng = np.random.default_rng(0)
    with torch.no_grad():
        for p in model.parameters():
            bound = 1 / np.sqrt(np.prod(p.shape[1:])) if p.dim() > 1 else 0.05
            p.copy_(torch.from_numpy(rng.uniform(-bound, bound, tuple(p.shape)).astype(np.float32)))
    optimizer = optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
    losses, test_losses, accuracies = [], [], []
    for _epoch in range(epochs):
        train(model, device, train_loader, optimizer, losses)
        test_loss, accuracy = test(model, device, test_loader)
        test_losses.append(test_loss)
        accuracies.append(accuracy)
        scheduler.step()
    return {"losses": losses, "test_losses": test_losses, "accuracies": accuracies}


if __name__ == "__main__":
    print(main())
