"""A small MLP trained with our Adam ends with the same weights as with torch's (float64)."""

import numpy as np
import torch
from optim_helpers import assert_rel_close

from chainrule import nn, optim
from chainrule.nn import functional as F


def test_mlp_trained_with_adam_for_20_steps_matches_torch():
    rng = np.random.default_rng(0)
    shapes = [(16, 5), (16,), (3, 16), (3,)]  # W1, b1, W2, b2 (out, in) as F.linear wants
    start = [rng.normal(scale=0.5, size=s) for s in shapes]
    batches = [(rng.normal(size=(8, 5)), rng.integers(0, 3, size=8)) for _ in range(20)]

    ours = [nn.Parameter(w.copy()) for w in start]
    theirs = [torch.tensor(w, requires_grad=True) for w in start]
    opt = optim.Adam(ours, lr=0.01, weight_decay=1e-3)
    topt = torch.optim.Adam(theirs, lr=0.01, weight_decay=1e-3)

    for step, (x, y) in enumerate(batches, 1):
        w1, b1, w2, b2 = ours
        opt.zero_grad()
        loss = F.cross_entropy(F.linear(F.relu(F.linear(x, w1, b1)), w2, b2), y)
        loss.backward()
        opt.step()

        tw1, tb1, tw2, tb2 = theirs
        topt.zero_grad()
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)
        tlogits = torch.nn.functional.linear(torch.relu(torch.nn.functional.linear(tx, tw1, tb1)),
                                             tw2, tb2)
        tloss = torch.nn.functional.cross_entropy(tlogits, ty)
        tloss.backward()
        topt.step()

        assert_rel_close(loss.item(), tloss.item(), f"loss at step {step}")
        for i, (p, q) in enumerate(zip(ours, theirs)):
            assert_rel_close(p.array, q.detach().numpy(), f"weight {i} after step {step}")
    assert not np.allclose(ours[0].array, start[0])  # training did move the weights
