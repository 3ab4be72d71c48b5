"""fit / evaluate / predict, callbacks, schedulers in the loop, and parity with a torch loop."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn, optim
from chainrule.data import DataLoader, TensorDataset, logic_gate
from chainrule.train import Callback, EarlyStopping, ModelCheckpoint, evaluate, fit, predict


def _blobs(n=200, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    X = (rng.standard_normal((n, 2)) * 0.5 + np.array([[0, 0], [3, 0], [0, 3]])[y])
    return X.astype(np.float32), y.astype(np.int64)


def _mlp(n_in=2, n_out=3):
    cr.manual_seed(0)
    return nn.Sequential(nn.Linear(n_in, 16), nn.ReLU(), nn.Linear(16, n_out))


def test_fit_records_one_row_per_epoch_with_validation():
    X, y = _blobs()
    model = _mlp()
    history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.05),
                  (X, y), val=0.25, epochs=5, batch_size=16, verbose=0)
    assert history.epoch == [1, 2, 3, 4, 5]
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert history["loss"][-1] < history["loss"][0]
    assert history["val_accuracy"][-1] > 0.9


def test_evaluate_and_predict_agree_with_the_model():
    X, y = _blobs()
    model = _mlp()
    fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.05), (X, y),
        epochs=3, verbose=0)
    out = predict(model, X, batch_size=7)
    assert out.shape == (200, 3)
    logs = evaluate(model, nn.CrossEntropyLoss(), (X, y))
    assert logs["accuracy"] == pytest.approx((out.argmax(1) == y).mean())
    expected = nn.CrossEntropyLoss()(cr.tensor(out), y).item()
    assert logs["loss"] == pytest.approx(expected, rel=1e-5)


def test_accuracy_reads_one_hot_and_probability_targets_by_their_top_class():
    X, y = _blobs()
    model = _mlp()
    one_hot = np.eye(3, dtype=np.float32)[y]
    history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.05),
                  (X, one_hot), epochs=2, verbose=0)  # cross_entropy takes class probabilities
    assert len(history["accuracy"]) == 2
    by_index = evaluate(model, nn.CrossEntropyLoss(), (X, y))["accuracy"]
    assert evaluate(model, nn.CrossEntropyLoss(), (X, one_hot))["accuracy"] == by_index
    smoothed = one_hot * 0.8 + 0.2 / 3
    assert evaluate(model, nn.CrossEntropyLoss(), (X, smoothed))["accuracy"] == by_index


@pytest.mark.parametrize("loss_fn, threshold", [(nn.BCEWithLogitsLoss(), 0.0),
                                                 (nn.BCELoss(), 0.5)])
def test_accuracy_of_a_multi_label_output_counts_every_yes_no_answer(loss_fn, threshold):
    X, _ = _blobs()
    labels = (np.random.default_rng(2).random((200, 3)) > 0.5).astype(np.float32)
    model = _mlp()
    if isinstance(loss_fn, nn.BCELoss):
        model.append(nn.Sigmoid())
    fit(model, loss_fn, optim.Adam(model.parameters(), lr=0.05), (X, labels), epochs=2,
        verbose=0)
    expected = ((predict(model, X) > threshold) == (labels > 0.5)).mean()
    assert evaluate(model, loss_fn, (X, labels))["accuracy"] == pytest.approx(expected)


def test_a_single_layer_cannot_learn_xor_but_a_2_4_1_mlp_can():
    X, y = logic_gate("xor")
    t = y.astype(np.float32).reshape(-1, 1)
    cr.manual_seed(0)
    single = nn.Sequential(nn.Linear(2, 1))
    fit(single, nn.BCEWithLogitsLoss(), optim.Adam(single.parameters(), lr=0.1), (X, t),
        epochs=300, batch_size=4, verbose=0)
    single_acc = evaluate(single, nn.BCEWithLogitsLoss(), (X, t))["accuracy"]
    cr.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    fit(mlp, nn.BCEWithLogitsLoss(), optim.Adam(mlp.parameters(), lr=0.1), (X, t),
        epochs=300, batch_size=4, verbose=0)
    mlp_acc = evaluate(mlp, nn.BCEWithLogitsLoss(), (X, t))["accuracy"]
    assert single_acc <= 0.75  # a line cannot separate XOR: at most 3 of 4 points
    assert mlp_acc == 1.0


def test_regression_reports_mae():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((100, 2)).astype(np.float32)
    y = (X @ np.array([[1.5], [-2.0]], np.float32) + 0.5).astype(np.float32)
    model = nn.Sequential(nn.Linear(2, 1))
    history = fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), (X, y),
                  epochs=30, batch_size=10, metrics=("mae",), verbose=0)
    assert history["mae"][-1] < 0.05


def test_a_single_metric_may_be_given_as_a_string():
    X, y = _blobs(40)
    model = _mlp()
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y),
                  epochs=1, metrics="accuracy", verbose=0)
    assert set(history.history) == {"loss", "accuracy", "lr"}
    logs = evaluate(model, nn.CrossEntropyLoss(), (X, y), metrics="acc")
    assert set(logs) == {"loss", "accuracy"}


def test_a_numpy_float_validation_fraction_holds_out_the_last_rows():
    X, y = _blobs(40)
    model = _mlp()
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.0), (X, y),
                  val=np.float32(0.25), epochs=1, verbose=0)
    expected = evaluate(model, nn.CrossEntropyLoss(), (X[30:], y[30:]))["loss"]
    assert history["val_loss"] == [pytest.approx(expected)]


@pytest.mark.parametrize("n, fraction, n_val", [(10, 0.25, 3), (50, 0.25, 13), (40, 0.3, 12)])
def test_a_validation_fraction_holds_out_as_many_rows_as_keras(n, fraction, n_val):
    # Keras: split_at = floor(n · (1 − validation_split)); the rows after it validate
    X, y = _blobs(n)
    model = _mlp()
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.0), (X, y),
                  val=fraction, epochs=1, verbose=0)
    expected = evaluate(model, nn.CrossEntropyLoss(), (X[n - n_val:], y[n - n_val:]))["loss"]
    assert history["val_loss"] == [pytest.approx(expected)]


@pytest.mark.parametrize("loss_fn, scale", [(nn.SSELoss(), 0.5),  # ½Σ(y − t)²
                                            (nn.MSELoss(reduction="sum"), 1.0),
                                            (nn.MSELoss(), 1.0)])
def test_the_epoch_loss_is_a_mean_per_sample_whatever_the_batch_size(loss_fn, scale):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((60, 2)).astype(np.float32)
    t = rng.standard_normal((60, 1)).astype(np.float32)
    model = nn.Sequential(nn.Linear(2, 1))
    losses = [evaluate(model, loss_fn, (X, t), metrics=(), batch_size=b)["loss"]
              for b in (7, 60, 256)]
    per_sample = scale * ((predict(model, X) - t) ** 2).mean()
    assert losses == pytest.approx([per_sample] * 3, rel=1e-5)


def test_a_loss_that_does_not_reduce_to_one_number_is_named():
    X, y = _blobs(20)
    model = _mlp()
    loss_fn = nn.CrossEntropyLoss(reduction="none")
    with pytest.raises(ValueError, match=r"shape \(16,\), not one number.*reduction='mean'"):
        fit(model, loss_fn, optim.SGD(model.parameters(), lr=0.1), (X, y), batch_size=16,
            verbose=0)
    with pytest.raises(ValueError, match="not one number"):
        evaluate(model, loss_fn, (X, y))


def test_data_without_targets_is_named():
    X, _ = _blobs(20)
    model = _mlp()
    with pytest.raises(ValueError, match=r"\(inputs, targets\) samples.*gives 1 field"):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
            TensorDataset(X), verbose=0)


def test_early_stopping_stops_and_restores_the_best_weights():
    X, y = _blobs()
    model = _mlp()
    stopper = EarlyStopping(monitor="val_loss", patience=1, restore_best_weights=True)
    # a learning rate this large makes the validation loss stop improving quickly
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=5.0), (X, y),
                  val=0.3, epochs=40, callbacks=[stopper], verbose=0)
    assert len(history) < 40 and stopper.stopped_epoch == len(history)
    best = min(history["val_loss"])
    X_val, y_val = X[140:], y[140:]
    assert evaluate(model, nn.CrossEntropyLoss(), (X_val, y_val))["loss"] == pytest.approx(
        best, rel=1e-5)


class _ValLosses(Callback):
    """Reports the given validation losses, one per epoch, to the callbacks after it."""

    def __init__(self, losses):
        self.losses = losses

    def on_epoch_end(self, epoch, logs):
        logs["val_loss"] = self.losses[epoch - 1]


@pytest.mark.parametrize("patience", [0, 1, 3])
def test_early_stopping_stops_after_patience_epochs_without_improvement(patience):
    X, y = _blobs(20)
    model = _mlp()
    stopper = EarlyStopping(patience=patience)
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y),
                  epochs=10, callbacks=[_ValLosses([1.0] + [2.0] * 9), stopper], verbose=0)
    # epoch 1 is the best; as in Keras, `patience` epochs without improvement end training
    assert len(history) == stopper.stopped_epoch == 1 + max(patience, 1)


def test_an_early_stopping_callback_starts_afresh_in_each_fit():
    X, y = _blobs(20)
    model = _mlp()
    stopper = EarlyStopping(patience=2)
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y),
        epochs=10, callbacks=[_ValLosses([0.5] + [2.0] * 9), stopper], verbose=0)
    assert stopper.stop_training
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y),
                  epochs=10, callbacks=[_ValLosses([1.0] + [2.0] * 9), stopper], verbose=0)
    # not stopped at epoch 1 by the last run, and its best (0.5) is forgotten: 1.0 is the best
    assert len(history) == stopper.stopped_epoch == 3
    assert stopper.best == 1.0


def test_a_single_callback_need_not_be_in_a_list():
    X, y = _blobs(20)
    model = _mlp()
    stopper = EarlyStopping(monitor="loss", patience=0, min_delta=1e-3)
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.0), (X, y),
        epochs=5, callbacks=stopper, verbose=0)
    assert stopper.stopped_epoch == 2  # a learning rate of 0: epoch 2 does not improve


def test_early_stopping_names_a_missing_metric():
    X, y = _blobs()
    model = _mlp()
    with pytest.raises(KeyError, match="val_loss"):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y),
            epochs=2, callbacks=[EarlyStopping()], verbose=0)


class _InterruptAt(Callback):
    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs):
        if epoch == self.epoch:
            raise KeyboardInterrupt


def test_keyboard_interrupt_stops_cleanly_and_keeps_the_best_checkpoint(tmp_path):
    X, y = _blobs()
    model = _mlp()
    path = tmp_path / "best.safetensors"
    checkpoint = ModelCheckpoint(path, monitor="val_accuracy")
    history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.05), (X, y),
                  val=0.3, epochs=50, callbacks=[checkpoint, _InterruptAt(4)], verbose=0)
    assert history.interrupted and len(history) == 4
    assert checkpoint.saved_epochs  # the best epoch so far is on disk
    best = cr.load(path)
    X_val, y_val = X[140:], y[140:]
    acc = evaluate(best, nn.CrossEntropyLoss(), (X_val, y_val))["accuracy"]
    assert acc == pytest.approx(max(history["val_accuracy"][:4]))


def test_model_checkpoint_creates_its_directory_as_keras_does(tmp_path):
    X, y = _blobs(20)
    model = _mlp()
    path = tmp_path / "runs" / "exp1" / "best.safetensors"
    checkpoint = ModelCheckpoint(path, monitor="loss", save_best_only=False)
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=1,
        callbacks=[checkpoint], verbose=0)
    assert checkpoint.saved_epochs == [1]
    np.testing.assert_array_equal(cr.load(path)[0].weight.array, model[0].weight.array)


def test_reduce_lr_on_plateau_is_fed_the_validation_loss():
    X, y = _blobs()
    model = _mlp()
    # the optimizer holds a weight outside the model: the model never moves, the loss plateaus
    opt = optim.SGD([nn.Parameter(np.zeros(1, np.float32))], lr=0.1)
    sched = optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1)
    history = fit(model, nn.CrossEntropyLoss(), opt, (X, y), val=0.3, epochs=6,
                  scheduler=sched, verbose=0)
    # epoch 1 sets the best; epochs 2-3 do not improve (patience 1): cut at the end of epoch 3
    assert history["lr"] == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.05, 0.025])


def test_an_epoch_scheduler_is_stepped_once_per_epoch():
    X, y = _blobs()
    model = _mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    history = fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=5, scheduler=sched,
                  verbose=0)
    assert history["lr"] == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])


def test_history_csv_has_a_row_per_epoch(tmp_path):
    X, y = _blobs()
    model = _mlp()
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y),
                  epochs=3, verbose=0)
    history.to_csv(tmp_path / "h.csv")
    lines = (tmp_path / "h.csv").read_text().splitlines()
    assert lines[0] == "epoch,loss,accuracy,lr" and len(lines) == 4


def test_bad_training_data_is_named():
    model = _mlp()
    with pytest.raises(TypeError, match="DataLoader, a Dataset or an"):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), "data",
            verbose=0)
    with pytest.raises(ValueError, match="epochs"):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
            _blobs(), epochs=0, verbose=0)


def test_predict_reads_the_inputs_of_a_dataset_or_data_loader():
    X, y = _blobs(50)
    model = _mlp()
    expected = predict(model, X)
    assert predict(model, TensorDataset(X, y), batch_size=16).shape == (50, 3)
    np.testing.assert_allclose(predict(model, TensorDataset(X, y), batch_size=16), expected,
                               rtol=1e-6)
    np.testing.assert_allclose(predict(model, TensorDataset(X)), expected, rtol=1e-6)
    np.testing.assert_allclose(predict(model, DataLoader(TensorDataset(X, y), batch_size=8)),
                               expected, rtol=1e-6)


@pytest.mark.parametrize("batch_size", [0, -1, 2.0, "8", True])
def test_predict_names_a_bad_batch_size(batch_size):
    X, _ = _blobs(10)
    with pytest.raises(ValueError, match="predict: batch_size must be a positive integer"):
        predict(_mlp(), X, batch_size=batch_size)


def test_fit_names_a_missing_optimizer_or_loss_before_any_epoch():
    X, y = _blobs(20)
    model = _mlp()
    with pytest.raises(TypeError, match="fit: optimizer must be a chainrule Optimizer"):
        fit(model, nn.CrossEntropyLoss(), None, (X, y), verbose=0)
    with pytest.raises(TypeError, match="fit: loss_fn must be callable"):
        fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), (X, y), verbose=0)


def test_a_scheduler_built_for_another_optimizer_is_refused():
    X, y = _blobs(20)
    model = _mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    other = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="scheduler was built for another optimizer"):
        fit(model, nn.CrossEntropyLoss(), opt, (X, y), verbose=0,
            scheduler=optim.lr_scheduler.StepLR(other, step_size=1, gamma=0.5))


def test_training_an_mlp_with_adam_ends_with_torchs_weights():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((64, 4))
    y = rng.integers(0, 3, 64)
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 8),
                                 torch.nn.ReLU(), torch.nn.Linear(8, 3)).double()
    ours = nn.Sequential(nn.Linear(4, 8, dtype=np.float64), nn.Tanh(),
                         nn.Linear(8, 8, dtype=np.float64), nn.ReLU(),
                         nn.Linear(8, 3, dtype=np.float64))
    ours.load_state_dict(theirs.state_dict())  # torch-exported weights
    opt_t = torch.optim.Adam(theirs.parameters(), lr=0.01, weight_decay=1e-3)
    for _ in range(5):
        for i in range(0, 64, 16):
            opt_t.zero_grad()
            torch.nn.functional.cross_entropy(
                theirs(torch.from_numpy(X[i:i + 16])), torch.from_numpy(y[i:i + 16])).backward()
            opt_t.step()
    loader = DataLoader(TensorDataset(X, y), batch_size=16, shuffle=False)
    fit(ours, nn.CrossEntropyLoss(), optim.Adam(ours.parameters(), lr=0.01, weight_decay=1e-3),
        loader, epochs=5, verbose=0)
    for name, value in theirs.state_dict().items():
        expected = value.numpy()
        got = ours.state_dict()[name].array
        assert np.abs(got - expected).max() <= 1e-8 * np.abs(expected).max(), name


def test_float64_data_trains_a_float32_model_in_float32():
    X, y = _blobs()
    model = _mlp()
    seen = []

    class Spy(nn.Module):
        def forward(self, x):
            seen.append(x.dtype)
            return x

    model.append(Spy())
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
        (X.astype(np.float64), y), val=(X[:20].astype(np.float64), y[:20]), epochs=1,
        verbose=0)
    assert set(seen) == {np.dtype(np.float32)}
    assert predict(model, X.astype(np.float64)).dtype == np.float32


def _regression_model(seed=0):
    cr.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))


def test_a_nan_in_the_data_stops_fit_before_it_reaches_the_weights():
    model = _regression_model()
    before = [p.array.copy() for p in model.parameters()]
    X = np.ones((8, 2), np.float32)
    X[5, 1] = np.nan  # in the second batch of 4
    y = np.zeros((8, 1), np.float32)
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.warns(RuntimeWarning, match="training loss was nan at epoch 1, batch 2"):
        history = fit(model, nn.MSELoss(), opt, (X, y), epochs=3, batch_size=4, shuffle=False,
                      metrics=(), verbose=0)
    assert history.stopped_on_nonfinite_loss and len(history) == 0
    after = [p.array for p in model.parameters()]
    assert all(np.isfinite(a).all() for a in after)
    assert any(not np.array_equal(a, b) for a, b in zip(after, before))  # batch 1 did update


def test_a_diverging_run_stops_with_finite_weights():
    model = _regression_model()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 2)).astype(np.float32) * 100
    y = rng.normal(size=(64, 1)).astype(np.float32) * 100
    opt = optim.SGD(model.parameters(), lr=1e6)
    with pytest.warns(RuntimeWarning, match="lower the learning rate"):
        history = fit(model, nn.MSELoss(), opt, (X, y), epochs=50, metrics=(), verbose=0)
    assert history.stopped_on_nonfinite_loss
    assert all(np.isfinite(p.array).all() for p in model.parameters())


@pytest.mark.parametrize("epochs", [2.5, "3", True])
def test_epochs_must_be_an_integer(epochs):
    model = _regression_model()
    with pytest.raises(TypeError, match="epochs must be an integer"):
        fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1),
            (np.ones((4, 2), np.float32), np.ones((4, 1), np.float32)), epochs=epochs, verbose=0)
