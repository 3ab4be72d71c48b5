"""train/run.py and train/recipes.py: a run uses the library's own pieces and takes callbacks."""

import json

import numpy as np
import pytest

import chainrule as cr
from chainrule.train import Callback, recipes, run


class EpochCounter(Callback):
    def __init__(self):
        self.epochs = 0

    def on_epoch_end(self, epoch, logs):
        self.epochs += 1


def test_train_run_passes_its_callbacks_to_fit(tmp_path):
    counter = EpochCounter()
    run.train_run(epochs=2, hidden=(8,), out=str(tmp_path), verbose=0, callbacks=[counter])
    assert counter.epochs == 2


def test_the_cli_tables_stay_importable_from_run():
    assert run.ACTIVATIONS is recipes.ACTIVATIONS and run.OPTIMIZERS is recipes.OPTIMIZERS
    assert run.SCHEDULERS is recipes.SCHEDULERS and run.LOSSES is recipes.LOSSES


def test_an_unknown_optimizer_names_the_choices():
    with pytest.raises(ValueError, match="unknown optimizer 'adamx'.*adam"):
        recipes.make_optimizer("adamx", [])


def test_make_optimizer_uses_the_optimizers_default_rate_unless_given():
    w = cr.tensor([1.0], requires_grad=True)
    assert recipes.make_optimizer("sgd", [w]).defaults["lr"] == 0.1
    assert recipes.make_optimizer("sgd", [w], lr=0.5).defaults["lr"] == 0.5


def test_the_cli_leaves_the_batched_update_to_fit():
    """foreach=None: fit (which the CLI trains through) chooses the batched path."""
    w = cr.tensor([1.0], requires_grad=True)
    assert all(recipes.make_optimizer(name, [w]).defaults["foreach"] is None
               for name in recipes.OPTIMIZERS)


@pytest.mark.parametrize("task", ["binary", "multiclass"])
def test_predicted_probabilities_are_the_models_sigmoid_or_softmax(tmp_path, task):
    run.train_run(dataset="moons", task=task, epochs=1, hidden=(8,), out=str(tmp_path), verbose=0,
                  samples=200)
    model, info, scaler = run.load_run(str(tmp_path))
    X = np.random.default_rng(0).normal(size=(5, 2)).astype(np.float32)
    result = run.predict_run(str(tmp_path), X)
    z = model(cr.tensor((X - scaler.mean) / scaler.std)).array.astype(np.float64)
    if task == "binary":
        p1 = 1 / (1 + np.exp(-z[:, 0]))
        expected = np.stack([1 - p1, p1], axis=1)
    else:
        e = np.exp(z - z.max(axis=1, keepdims=True))
        expected = e / e.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(result["probabilities"], expected, rtol=1e-5, atol=1e-7)
    assert (result["classes"] == expected.argmax(axis=1)).all()


def test_the_saved_scaler_is_the_training_inputs_mean_and_std(tmp_path):
    run.train_run(epochs=1, hidden=(8,), out=str(tmp_path), verbose=0, val_split=0)
    info = json.loads((tmp_path / "run.json").read_text())
    _, _, scaler = run.load_run(str(tmp_path))
    assert scaler.mean.shape == (8, 8) and len(info["scaler"]["mean"]) == 64
    assert (scaler.std > 0).all()  # constant pixels are only shifted, never divided by 0
    X = np.ones((3, 8, 8), np.float32)
    np.testing.assert_allclose(run.scaled(scaler, X), (X - scaler.mean) / scaler.std, rtol=1e-6)


@pytest.mark.parametrize("name, cls", [("adadelta", "Adadelta"), ("adamax", "Adamax"),
                                       ("nadam", "NAdam"), ("radam", "RAdam"),
                                       ("rprop", "Rprop")])
def test_the_cli_offers_the_newer_optimizers_and_they_train(tmp_path, name, cls):
    w = cr.tensor([1.0], requires_grad=True)
    assert type(recipes.make_optimizer(name, [w])).__name__ == cls
    result = run.train_run(dataset="moons", optimizer=name, epochs=4, hidden=(8,),
                           out=str(tmp_path), verbose=0, samples=200, plot=False)
    losses = result["history"]["loss"]
    assert len(losses) == 4 and losses[-1] < losses[0]


def _torch_lrs(build, epochs):
    torch = pytest.importorskip("torch")
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = build(torch.optim.lr_scheduler, opt)
    lrs = []
    for _ in range(epochs):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return lrs


@pytest.mark.parametrize("name, build", [
    ("constant", lambda s, o: s.ConstantLR(o, factor=0.5, total_iters=2)),
    ("polynomial", lambda s, o: s.PolynomialLR(o, total_iters=8, power=2.0)),
    ("warm_restarts", lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=2)),
])
def test_the_cli_offers_the_newer_schedules_with_torchs_rates(tmp_path, name, build):
    result = run.train_run(dataset="moons", optimizer="sgd", lr=0.1, scheduler=name, epochs=8,
                           hidden=(8,), out=str(tmp_path), verbose=0, samples=200, plot=False)
    assert result["history"]["lr"] == pytest.approx(_torch_lrs(build, 8), rel=1e-12)
