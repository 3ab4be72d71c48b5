"""catch_first_interrupt nests: a Ctrl-C pressed inside an outer block (chainrule tune's search)
before a fit starts is seen by that fit, which stops after its first batch."""

import os
import signal

import numpy as np

from chainrule import nn, optim
from chainrule.train import fit
from chainrule.train.interrupt import catch_first_interrupt, stop_requested


def test_a_ctrl_c_between_runs_stops_the_next_fit_after_one_batch():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(64, 3)), rng.integers(0, 2, size=64)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    before = signal.getsignal(signal.SIGINT)
    with catch_first_interrupt():
        os.kill(os.getpid(), signal.SIGINT)  # "pressed" while no fit runs
        assert stop_requested()
        history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                      (X, y), epochs=5, batch_size=16, verbose=0)
        assert stop_requested()  # the outer block still holds the request
    assert history.interrupted and len(history) == 0
    assert signal.getsignal(signal.SIGINT) is before and not stop_requested()
