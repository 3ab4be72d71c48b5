"""``fit(..., compile=True)`` and ``chainrule train --compile`` train with the compiled step and
end where eager training ends: the same weights, history and run directory."""

import json
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.cli import main
from chainrule.compiled import fused
from chainrule.train import fit

# With numba, fit's compiled step runs as one generated kernel (compiled/whole_step.py), which
# rounds as float32 does but not in eager's order: weights and history agree to float32
# rounding carried through the run (as tests/compiled/test_compiled_step.py states), else bitwise.
ONE_KERNEL = fused.available()


def assert_same_weights(eager_model, model):
    for p, q in zip(eager_model.parameters(), model.parameters()):
        if ONE_KERNEL:
            np.testing.assert_allclose(q.array, p.array, rtol=1e-4, atol=1e-6)
        else:
            np.testing.assert_array_equal(q.array, p.array)


def assert_same_history(ours, theirs):
    if not ONE_KERNEL:
        assert ours == theirs
        return
    assert ours.keys() == theirs.keys()
    for key, values in theirs.items():
        assert ours[key] == pytest.approx(values, rel=1e-5, abs=1e-6), key


def _blobs(n=150, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    X = rng.standard_normal((n, 2)) * 0.5 + np.array([[0, 0], [3, 0], [0, 3]])[y]
    return X.astype(np.float32), y.astype(np.int64)


def _fit(compile, X, y, **kwargs):
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 3))
    opt = optim.Adam(model.parameters(), lr=0.05)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    history = fit(model, nn.CrossEntropyLoss(), opt, (X, y), val=0.2, epochs=4, batch_size=16,
                  scheduler=sched, verbose=0, seed=1, compile=compile, **kwargs)
    return model, history


def test_fit_with_compile_ends_with_the_eager_weights_and_history():
    X, y = _blobs()  # 120 training rows in batches of 16: a last batch of 8 each epoch
    eager_model, eager_history = _fit(False, X, y)
    model, history = _fit(True, X, y)
    assert_same_weights(eager_model, model)
    assert_same_history(history.history, eager_history.history)
    assert history["accuracy"][-1] > 0.9


def test_fit_with_compile_stops_on_a_nan_loss_before_the_update():
    X, y = _blobs()
    X[50] = np.nan  # batch 4 of the first epoch
    results = []
    for compile in (False, True):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model, history = _fit(compile, X, y)
        assert any("training loss was nan" in str(w.message) for w in caught)
        results.append((model, history))
    (eager_model, eager_history), (model, history) = results
    assert history.stopped_on_nonfinite_loss
    ours, theirs = dict(history.nonfinite), dict(eager_history.nonfinite)
    assert np.isnan(ours.pop("loss")) and np.isnan(theirs.pop("loss"))
    assert ours == theirs
    assert_same_weights(eager_model, model)


def test_train_with_compile_writes_the_same_run(tmp_path, capsys):
    runs = {}
    for flag in ([], ["--compile"]):
        out = tmp_path / ("compiled" if flag else "eager")
        assert main(["train", "--epochs", "2", "--hidden", "16", "--out", str(out),
                     "--quiet"] + flag) == 0
        runs[bool(flag)] = out
    info = json.loads((runs[True] / "run.json").read_text())
    assert info["settings"]["compile"] is True
    eager = cr.load(str(runs[False] / "model.safetensors"))
    compiled = cr.load(str(runs[True] / "model.safetensors"))
    for p, q in zip(eager.parameters(), compiled.parameters()):
        np.testing.assert_array_equal(q.array, p.array)
    assert ((runs[True] / "history.csv").read_text()
            == (runs[False] / "history.csv").read_text())


def test_train_help_names_compile(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    assert "--compile" in capsys.readouterr().out
