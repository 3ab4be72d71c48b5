"""BatchNorm1d and LayerNorm in one network: running statistics in training, used in eval mode,
saved as buffers in the state_dict.

PyTorch code with its imports renamed to chainrule; tests/port runs it under both libraries.
"""

import numpy as np

import chainrule as torch
import chainrule.nn as nn
import chainrule.nn.functional as F


class NormNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 24)
        self.bn = nn.BatchNorm1d(24, momentum=0.2)
        self.fc2 = nn.Linear(24, 24)
        self.ln = nn.LayerNorm(24)
        self.head = nn.Linear(24, 3)

    def forward(self, x):
        x = F.relu(self.bn(self.fc1(x)))
        x = F.gelu(self.ln(self.fc2(x)))
        return self.head(x)


def main(steps=25):
    rng = np.random.default_rng(0)
    x = rng.normal(2.0, 3.0, (96, 6)).astype(np.float32)  # far from zero mean and unit scale
    y = (np.argmax(x[:, :3], axis=1)).astype(np.int64)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    model = NormNet()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("weight") and p.dim() == 2:
                p.copy_(torch.from_numpy(rng.normal(0, 0.3, tuple(p.shape)).astype(np.float32)))
    nn.init.zeros_(model.fc1.bias)
    nn.init.uniform_(model.fc2.bias, -0.0, 0.0)
    model.fc2.bias.data += 0.05
    nn.init.constant_(model.head.bias, 0.1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.5, nesterov=True)
    losses = []
    for step in range(steps):
        model.train()
        batch = slice((step % 3) * 32, (step % 3 + 1) * 32)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x[batch]), y[batch])
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        eval_logits = model(x[:8])
    state = model.state_dict()
    return {"losses": losses, "running_mean": state["bn.running_mean"].numpy(),
            "running_var": state["bn.running_var"].numpy(),
            "batches_tracked": state["bn.num_batches_tracked"].item(),
            "eval_logits": eval_logits.numpy()}


if __name__ == "__main__":
    print(main())
