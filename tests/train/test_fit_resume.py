"""fit(checkpoint=..., resume=...): a stopped run goes on to the same weights, bit for bit; the
first Ctrl-C finishes the batch and saves, the second stops at once; a NaN keeps finite weights."""

import os
import signal

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.train import Callback, EarlyStopping, fit
from chainrule.train.interrupt import StopNow


def _data(n=120):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 4)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64) + (X[:, 2] > 1)
    return X, y


def _setup(seed=0):
    cr.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.2), nn.Linear(8, 3))
    opt = optim.Adam(model.parameters(), lr=0.02)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    stopper = EarlyStopping(monitor="val_loss", patience=50)
    return model, opt, sched, stopper


def _fit(model, opt, sched, stopper, epochs=6, **kwargs):
    return fit(model, nn.CrossEntropyLoss(), opt, _data(), val=0.25, epochs=epochs,
               batch_size=16, scheduler=sched, callbacks=[stopper, *kwargs.pop("extra", [])],
               seed=7, verbose=0, **kwargs)


class _InterruptAfter(Callback):
    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs):
        if epoch == self.epoch:
            raise KeyboardInterrupt


def _weights(model):
    return {k: v.array.copy() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("stop_after", [1, 3, 5])
def test_a_resumed_run_ends_bit_for_bit_as_an_unbroken_one(tmp_path, stop_after):
    model, opt, sched, stopper = _setup()
    whole = _fit(model, opt, sched, stopper)
    expected = _weights(model)

    path = tmp_path / "ckpt.safetensors"
    model, opt, sched, stopper = _setup()
    first = _fit(model, opt, sched, stopper, checkpoint=path, checkpoint_every=None,
                 extra=[_InterruptAfter(stop_after)])
    assert first.interrupted and len(first) == stop_after
    cr.manual_seed(999)  # the generators' states come from the checkpoint, not from here
    model, opt, sched, stopper = _setup(seed=5)
    second = _fit(model, opt, sched, stopper, checkpoint=path, resume=True,
                  extra=[Callback()])
    for name, array in expected.items():
        np.testing.assert_array_equal(_weights(model)[name], array, err_msg=name)
    assert second.history == whole.history and second.epoch == whole.epoch
    assert opt.param_groups[0]["lr"] == whole["lr"][-1] * 0.5
    assert stopper.best == min(whole["val_loss"])


def test_a_checkpoint_is_written_every_n_epochs(tmp_path):
    from chainrule.train.checkpoint import FORMAT

    model, opt, sched, stopper = _setup()
    path = tmp_path / "c"
    _fit(model, opt, sched, stopper, epochs=5, checkpoint=path, checkpoint_every=2)
    state = cr.load(path)
    assert state["format"] == FORMAT and state["epoch"] == 5  # 2, 4, then the last
    assert len(state["history"]["epoch"]) == 5


def test_resume_needs_the_same_kind_of_training(tmp_path):
    model, opt, sched, stopper = _setup()
    _fit(model, opt, sched, stopper, epochs=1, checkpoint=tmp_path / "c")
    model, opt, _, stopper = _setup()
    with pytest.raises(ValueError, match="with a scheduler, and fit has none"):
        _fit(model, opt, None, stopper, checkpoint=tmp_path / "c", resume=True)


class _SigintLoss(nn.CrossEntropyLoss):
    """Sends itself SIGINT at chosen calls: a real Ctrl-C in the middle of a batch."""

    def __init__(self, at, times=1):
        super().__init__()
        self.at, self.times, self.calls = set(at), times, 0

    def forward(self, out, target):
        self.calls += 1
        if self.calls in self.at:
            for _ in range(self.times):
                os.kill(os.getpid(), signal.SIGINT)
        return super().forward(out, target)


def test_the_first_ctrl_c_finishes_the_batch_and_saves_the_last_epoch(tmp_path, capsys):
    model, opt, _, _ = _setup()
    loss = _SigintLoss(at={10})  # 8 batches an epoch (120 samples / 16): the 2nd of epoch 2
    steps = []
    original = opt.step
    opt.step = lambda *a: (steps.append(1), original(*a))[1]
    history = fit(model, loss, opt, _data(), epochs=5, batch_size=16, seed=7, verbose=1,
                  checkpoint=tmp_path / "c")
    assert history.interrupted and len(history) == 1
    assert len(steps) == 10  # the interrupted batch was finished, its update made
    assert cr.load(tmp_path / "c")["epoch"] == 1
    assert "press Ctrl-C again to stop at once" in capsys.readouterr().out
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_second_ctrl_c_stops_at_once(tmp_path):
    model, opt, _, _ = _setup()
    with pytest.raises(StopNow):
        fit(model, _SigintLoss(at={3}, times=2), opt, _data(), epochs=5, batch_size=16, seed=7,
            verbose=0, checkpoint=tmp_path / "c")
    assert not (tmp_path / "c").exists()  # no epoch was complete: nothing to save
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_a_nan_after_broken_weights_goes_back_to_the_last_finite_epoch():
    model, opt, _, _ = _setup()
    finite = {}
    original, steps = opt.step, []

    def step(*args):
        original(*args)
        steps.append(1)
        if len(steps) == 8:  # the end of epoch 1 (8 batches)
            finite.update(_weights(model))
        if len(steps) == 10:  # an update that breaks the weights, as a diverging run's does
            model[0].weight.array[0, 0] = np.inf

    opt.step = step
    with pytest.warns(RuntimeWarning, match="end of epoch 1"):
        history = fit(model, nn.CrossEntropyLoss(), opt, _data(), epochs=3, batch_size=16,
                      verbose=0)
    assert history.stopped_on_nonfinite_loss and len(history) == 1
    assert history.nonfinite == {"epoch": 2, "batch": 3, "loss": history.nonfinite["loss"],
                                 "weights": "those at the end of epoch 1"}
    for name, array in finite.items():
        np.testing.assert_array_equal(_weights(model)[name], array)


@pytest.mark.parametrize("seconds, saved", [(3600.0, [3]), (0.0, [1, 2, 3])])
def test_auto_checkpoints_when_time_has_passed_and_at_the_end(tmp_path, monkeypatch, seconds,
                                                               saved):
    from chainrule import serialization
    from chainrule.train import trainer

    epochs = []
    real = serialization.save
    monkeypatch.setattr(serialization, "save", lambda obj, path: (
        epochs.append(obj["epoch"]), real(obj, path)))
    monkeypatch.setattr(trainer, "AUTO_CHECKPOINT_SECONDS", seconds)
    model, opt, sched, stopper = _setup()
    _fit(model, opt, sched, stopper, epochs=3, checkpoint=tmp_path / "c", checkpoint_every="auto")
    assert epochs == saved
