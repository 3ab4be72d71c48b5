"""The playground's session, driven by pytest alone: data, training, live settings, edits,
divergence, diagnostics, the worksheet and the exports."""

import io
import json
import os
import zipfile

import numpy as np
import pytest

import chainrule as cr
from chainrule.playground.protocol import finite
from chainrule.playground.session import Diverged, Session
from chainrule.playground.settings import ACTIVATIONS, OPTIMIZERS, SCHEDULERS, SettingError

FAST = {"numSamples": 200, "gridSize": 20}


@pytest.mark.parametrize("state", [
    {"dataset": "circle"}, {"dataset": "xor", "features": "x1,x2,x1x2"}, {"dataset": "gauss"},
    {"dataset": "spiral", "loss": "bce", "networkShape": "8,8",
     "features": "x1,x2,sinx1,sinx2", "learningRate": 0.03}, {"dataset": "moons"},
    {"dataset": "checkerboard", "loss": "ce"},
    {"dataset": "spiral3", "loss": "ce", "networkShape": "8,8",
     "features": "x1,x2,sinx1,sinx2", "learningRate": 0.03},
    {"problem": "regression", "dataset": "plane"},
    {"problem": "regression", "dataset": "multigauss", "networkShape": "8"},
])
def test_every_data_set_and_problem_trains_and_lowers_the_loss(state):
    s = Session({**FAST, "optimizer": "adam", "learningRate": 0.01, "seed": 1, **state})
    before = s.metrics()["trainLoss"]
    s.train(epochs=30)
    after = s.metrics()
    assert s.epoch == 30
    assert after["trainLoss"] < 0.9 * before
    if s.mode == "regression":
        assert after["trainAccuracy"] is None and after["confusion"] is None
    else:
        k = s.points.num_classes
        confusion = np.array(after["confusion"])
        assert confusion.shape == (k, k) and confusion.sum() == len(s.x_test)
        assert np.trace(confusion) / confusion.sum() == pytest.approx(after["testAccuracy"])


def test_default_circle_is_learned_as_in_tf_playground():
    s = Session({"seed": 2})
    s.train(epochs=150)
    m = s.metrics()
    assert m["testAccuracy"] > 0.95 and m["trainLoss"] < 0.1


def test_heads_follow_the_loss():
    assert Session({**FAST, "loss": "mse"}).network()["activations"][-1] == "tanh"
    assert Session({**FAST, "loss": "bce"}).network()["activations"][-1] == "sigmoid"
    ce = Session({**FAST, "loss": "ce", "dataset": "spiral3"})
    assert ce.network()["sizes"][-1] == 3 and ce.network()["activations"][-1] == "softmax"
    with pytest.raises(SettingError, match="use loss=ce") as e:
        Session({"dataset": "spiral3"})
    assert e.value.key == "loss"


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_every_optimizer_trains(optimizer):
    s = Session({**FAST, "optimizer": optimizer, "learningRate": 0.01, "seed": 3})
    before = s.metrics()["trainLoss"]
    s.train(epochs=10)
    assert s.metrics()["trainLoss"] < before
    assert type(s.optimizer).__name__.lower() == optimizer.replace("momentum", "momentum")


# plateau's rate follows the losses, and constant's changes once, after its epochs:
# tests/playground/test_session_schedules.py checks both against torch
@pytest.mark.parametrize("scheduler", [x for x in SCHEDULERS
                                       if x not in ("none", "plateau", "constant")])
def test_every_scheduler_changes_the_rate_each_epoch_and_the_frame_says_so(scheduler):
    s = Session({**FAST, "scheduler": scheduler, "learningRate": 0.1})
    rates = []
    for _ in range(120):
        s.train(epochs=1)
        rates.append(s.frame_header()["lr"] if len(rates) % 40 == 0 else s.lr)
    assert rates[0] <= 0.1 and rates[-1] < 0.1
    assert len(set(rates)) > 1


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_activation_builds_and_draws(activation):
    s = Session({**FAST, "activation": activation, "networkShape": "3"})
    s.train(epochs=2)
    grid = s.grid()
    assert grid["output"].shape == (400,) and np.isfinite(grid["output"]).all()


def test_live_changes_keep_the_weights_and_the_epoch():
    s = Session({**FAST, "seed": 4})
    s.train(epochs=5)
    w = s.linears[0].weight.array.copy()
    for change in ({"learningRate": 0.3}, {"batchSize": 3}, {"optimizer": "adam"},
                   {"scheduler": "cosine"}, {"regularization": "L2", "regularizationRate": 0.01},
                   {"epochsPerFrame": 10}, {"gridSize": 30}):
        assert s.configure(change) == (False, False)
    assert s.epoch == 5 and np.array_equal(s.linears[0].weight.array, w)
    # cosine chosen at epoch 5 gives its rate for epoch 5 (T_max 500 by default)
    assert s.lr == pytest.approx(0.3 * (1 + np.cos(np.pi * 5 / 500)) / 2)
    assert s.settings["batchSize"] == 3
    assert s.grid()["output"].size == 900
    s.train(epochs=1)
    assert s.epoch == 6


def test_reset_settings_rebuild_and_same_seed_gives_same_weights():
    s = Session({**FAST, "seed": 4})
    first = s.linears[0].weight.array.copy()
    s.train(epochs=3)
    assert s.configure({"networkShape": "5"}) == (True, False)
    assert s.epoch == 0 and s.network()["sizes"] == [2, 5, 1]
    assert s.configure({"networkShape": "4,2"}) == (True, False)
    np.testing.assert_array_equal(s.linears[0].weight.array, first)
    assert s.configure({"noise": 30}) == (True, True)
    s.train(epochs=2)
    s.reset()
    assert s.epoch == 0
    np.testing.assert_array_equal(s.linears[0].weight.array, first)


def test_a_refused_configuration_leaves_the_session_as_it_was():
    s = Session(FAST)
    s.train(epochs=2)
    with pytest.raises(SettingError):
        s.configure({"dataset": "spiral3"})  # mse cannot take 3 classes
    with pytest.raises(SettingError, match="upload a CSV"):
        s.configure({"dataset": "csv"})
    assert s.settings["dataset"] == "circle" and s.epoch == 2
    s.train(epochs=1)


def test_regenerate_draws_new_points():
    s = Session(FAST)
    x = s.points.x_train.copy()
    s.regenerate(seed=77)
    assert s.settings["seed"] == 77 and not np.array_equal(s.points.x_train, x)


def test_a_slice_of_training_can_end_inside_an_epoch_and_the_next_call_finishes_it():
    s = Session({"numSamples": 2000, "batchSize": 1, "networkShape": "8,8"})
    assert s.train(epochs=1, seconds=0.0) == 0  # one batch, then the time is up
    assert s.epoch == 0 and s._cursor == 1
    assert s.train(epochs=1) == 1 and s.epoch == 1


def test_grid_layout_row_zero_is_the_top():
    s = Session({**FAST, "gridSize": 10, "features": "x1,x2"})
    grid = s.grid()
    x1 = grid["input:x1"].reshape(10, 10)
    x2 = grid["input:x2"].reshape(10, 10)
    assert x1[0, 0] == pytest.approx(-5.4) and x1[0, -1] == pytest.approx(5.4)  # cell centres
    assert x2[0, 0] == pytest.approx(5.4) and x2[-1, 0] == pytest.approx(-5.4)
    assert {f"node:{l}:{j}" for l, w in ((1, 4), (2, 2)) for j in range(w)} <= set(grid)
    # the output buffer is the network's own output at those points
    points = np.stack([x1.ravel(), x2.ravel()], axis=1)
    np.testing.assert_allclose(grid["output"], s.predict(points)[:, 0], atol=1e-6)  # float32


def test_ce_grid_gives_class_and_confidence():
    s = Session({**FAST, "dataset": "spiral3", "loss": "ce"})
    grid = s.grid()
    assert "output" not in grid and set(np.unique(grid["class"])) <= {0.0, 1.0, 2.0}
    assert ((grid["confidence"] >= 1 / 3 - 1e-6) & (grid["confidence"] <= 1)).all()


def test_editing_a_weight_or_bias_changes_the_output():
    s = Session(FAST)
    before = s.grid()["output"].copy()
    s.set_weight(0, 1, 2, 3.5)
    assert s.linears[0].weight.array[2, 1] == 3.5
    assert not np.array_equal(s.grid()["output"], before)
    s.set_bias(2, 0, -0.7)
    assert s.network()["biases"][2] == [-0.7]
    for bad, key in (((5, 0, 0, 1.0), "layer"), ((0, 2, 0, 1.0), "from"),
                     ((0, 0, 4, 1.0), "to"), ((0, 0, 0, float("nan")), "value"),
                     ((0, 0, 0, "1"), "value")):
        with pytest.raises(SettingError) as e:
            s.set_weight(*bad)
        assert e.value.key == key


def test_divergence_pauses_and_restore_brings_back_the_last_good_weights():
    s = Session({"problem": "regression", "dataset": "plane", "activation": "linear",
                 "learningRate": 10, "numSamples": 200, "batchSize": 20, "seed": 1})
    with pytest.raises(Diverged, match="loss became|weight became"):
        s.train(epochs=50)
    assert s.diverged
    assert s.train(epochs=1) == 0  # nothing trains while diverged
    header = s.frame_header()
    json.dumps(finite(header), allow_nan=False)  # frames stay JSON
    s.restore()
    assert s.diverged is None
    assert all(np.isfinite(p.array).all() for p in s.model.parameters())
    assert s.epoch == s._good_epoch


def test_diagnostics_name_dead_relus_and_saturated_tanh():
    s = Session({**FAST, "activation": "relu,tanh"})
    s.train(epochs=1)
    d = s.diagnostics()
    assert len(d["gradNorms"]) == 3 and all(g > 0 for g in d["gradNorms"])
    assert d["dead"][0] is not None and d["saturated"][0] is None
    assert d["saturated"][1] is not None and d["dead"][1] is None
    for m in s.linears[:1]:  # a layer whose every unit is off for every point: all dead
        m.bias.array[:] = -1e3
    assert s.diagnostics()["dead"][0] == 1.0


def test_trace_is_chainrules_worksheet_and_leaves_training_alone():
    s = Session(FAST)
    s.train(epochs=1)
    grads = [p.grad.array.copy() for p in s.model.parameters()]
    t = s.trace(3)
    assert "W1" in t["text"] and "tanh" in t["text"] and t["point"] == s.points.x_train[3].tolist()
    assert t["label"] == int(s.points.y_train[3])
    for p, g in zip(s.model.parameters(), grads):
        np.testing.assert_array_equal(p.grad.array, g)
    with pytest.raises(SettingError, match="index"):
        s.trace(10**6)


def test_exported_model_loads_and_predicts_the_same(tmp_path):
    s = Session({**FAST, "features": "x1,x2,x1sq"})
    s.train(epochs=3)
    name, mime, payload = s.export("model")
    path = tmp_path / name
    path.write_bytes(payload)
    model = cr.load(str(path))
    np.testing.assert_allclose(model(cr.tensor(s.x_test)).array, s.predict(s.x_test))


@pytest.mark.parametrize("loss, dataset", [("mse", "circle"), ("bce", "circle"),
                                           ("ce", "spiral3")])
def test_exported_run_is_read_by_chainrule_predict(tmp_path, loss, dataset):
    from chainrule.train.run import predict_run

    s = Session({**FAST, "loss": loss, "dataset": dataset, "features": "x1,x2,x1x2"})
    s.train(epochs=5)
    _, mime, payload = s.export("run")
    zipfile.ZipFile(io.BytesIO(payload)).extractall(tmp_path)
    result = predict_run(os.path.join(tmp_path, "playground-run"), s.x_test)
    if loss == "mse":
        np.testing.assert_allclose(result["values"], s.predict(s.x_test), rtol=1e-5)
    else:
        np.testing.assert_array_equal(result["classes"], s.classify(s.predict(s.x_test)))


@pytest.mark.parametrize("state", [
    {"seed": 9, "optimizer": "momentum", "learningRate": 0.01},
    {"dataset": "moons", "loss": "bce", "optimizer": "adam", "learningRate": 0.01,
     "scheduler": "step", "regularization": "L1", "regularizationRate": 0.01,
     "features": "x1,x2,x1sq,sinx2", "activation": "relu,elu", "noise": 20},
    {"dataset": "spiral3", "loss": "ce", "regularization": "L2", "regularizationRate": 0.01,
     "scheduler": "cosine", "batchSize": 7},
    {"problem": "regression", "dataset": "multigauss", "networkShape": "5",
     "activation": "leakyrelu"},
    {"dataset": "csv"},
    {"dataset": "xor", "scheduler": "multistep", "lrMilestones": "2,3", "lrGamma": 0.3},
    {"scheduler": "exponential", "lrStepSize": 3, "optimizer": "rmsprop"},
    {"scheduler": "linear", "lrEpochs": 3, "lrStartFactor": 0.2},
    {"scheduler": "plateau", "lrPatience": 0, "learningRate": 1.0},
])
def test_exported_code_trains_the_same_network(tmp_path, state):
    csv = state.get("dataset") == "csv"
    s = Session({**FAST, **{k: v for k, v in state.items() if k != "dataset" or not csv}})
    if csv:
        s.upload_csv("x.csv", "\n".join(f"{i % 9 - 4},{i % 7 - 3},{'no' if i % 3 else 'yes'}"
                                         for i in range(60)))
        (tmp_path / "playground-data.csv").write_bytes(s.export("data")[2])
    s.train(epochs=4)
    _, _, code = s.export("code")
    namespace = {"__name__": "__main__"}
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        exec(compile(code.decode(), "playground_train.py", "exec"), namespace)
    finally:
        os.chdir(cwd)
    trained = cr.load(str(tmp_path / "playground-model.safetensors"))
    np.testing.assert_allclose(trained(cr.tensor(s.x_test)).array, s.predict(s.x_test),
                               rtol=1e-10, atol=1e-12)
    assert "import chainrule" in code.decode() and "playground.session" not in code.decode()


def test_exported_data_is_csv_of_both_splits():
    s = Session(FAST)
    _, mime, payload = s.export("data")
    lines = payload.decode().splitlines()
    assert mime == "text/csv" and lines[0] == "x1,x2,label,split"
    assert len(lines) == 1 + 200
    with pytest.raises(SettingError, match="what"):
        s.export("weights")


def test_uploaded_csv_becomes_the_data():
    s = Session(FAST)
    rng = np.random.default_rng(0)
    pts = rng.uniform(-5, 5, size=(100, 2))
    text = "\n".join(f"{a},{b},{'in' if a * a + b * b < 9 else 'out'}" for a, b in pts)
    s.upload_csv("mine.csv", text)
    assert s.settings["dataset"] == "csv" and s.points.classes == ["in", "out"]
    assert s.epoch == 0 and len(s.x_train) == 50
    s.configure({"percTrainData": 80})  # a reset setting re-reads the same CSV
    assert len(s.x_train) == 80
    with pytest.raises(SettingError):
        s.upload_csv("bad.csv", "1,2\n")
    assert s.settings["dataset"] == "csv" and len(s.x_train) == 80
