"""A custom Module with a custom autograd.Function, a buffer and an embedding: a bag-of-tokens
classifier whose ReLU is written by hand, as in PyTorch's "Defining new autograd functions".

PyTorch code with its imports renamed to chainrule; tests/port runs it under both libraries.
"""

import numpy as np

import chainrule as torch
import chainrule.nn as nn
import chainrule.nn.functional as F


class MyReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


class BagOfTokens(nn.Module):
    """Mean of token embeddings, scaled by a running count kept in a buffer, then a hidden layer."""

    def __init__(self, vocab=20, dim=8, classes=2):
        super().__init__()
        self.embedding = nn.Embedding(vocab, dim)
        self.hidden = nn.Linear(dim, 16)
        self.out = nn.Linear(16, classes)
        self.register_buffer("seen", torch.zeros(1))

    def forward(self, tokens):
        if self.training:
            self.seen += tokens.shape[0]
        h = self.embedding(tokens).mean(dim=1)
        h = MyReLU.apply(self.hidden(h))
        return self.out(h)


def make_data(n=64, length=5, vocab=20, seed=0):
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, vocab, (n, length))
    labels = (tokens < vocab // 2).sum(axis=1) > length // 2  # mostly small tokens: class 1
    return torch.from_numpy(tokens), torch.from_numpy(labels.astype(np.int64))


def main(steps=30):
    tokens, labels = make_data()
    model = BagOfTokens()
    rng = np.random.default_rng(1)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.from_numpy(rng.normal(0, 0.5, tuple(p.shape)).astype(np.float32)))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    losses = []
    for step in range(steps):
        batch = slice((step % 4) * 16, (step % 4 + 1) * 16)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(tokens[batch]), labels[batch])
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        accuracy = (model(tokens).argmax(1) == labels).float().mean().item()
    return {"losses": losses, "accuracy": accuracy, "seen": model.seen.item(),
            "buffers": sorted(model.state_dict().keys()) == sorted(
                ["embedding.weight", "hidden.weight", "hidden.bias", "out.weight", "out.bias",
                 "seen"])}


if __name__ == "__main__":
    print(main())
