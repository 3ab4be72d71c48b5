"""`chainrule export RUN --format onnx` on a trained run of every data set that needs no
download: onnxruntime on raw inputs gives what `chainrule predict` computes."""

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from chainrule.cli import main  # noqa: E402
from chainrule.datasets import NAMES, load_problem  # noqa: E402
from chainrule.onnx import load  # noqa: E402
from chainrule.train.run import load_run, predict, predict_run, train_run  # noqa: E402

# mnist and fashion-mnist are the mnist5k network on files that must be downloaded.
OFFLINE = [name for name in NAMES if name not in ("mnist", "fashion-mnist")]


@pytest.mark.parametrize("dataset", OFFLINE)
def test_a_trained_run_exports_and_onnxruntime_matches_chainrule(tmp_path, dataset, capsys):
    run = tmp_path / "run"
    train_run(dataset=dataset, hidden=(16,), epochs=2, samples=200, out=str(run), verbose=0)
    assert main(["export", str(run), "--format", "onnx"]) == 0
    assert "Wrote" in capsys.readouterr().out
    onnx.checker.check_model(onnx.load(str(run / "model.onnx")), full_check=True)

    raw = load_problem(dataset, samples=200).X[:64].astype(np.float32)
    session = ort.InferenceSession(str(run / "model.onnx"), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": raw})[0]
    model, info, scaler = load_run(str(run))
    np.testing.assert_allclose(got, predict(model, scaler.transform(raw)), rtol=1e-4, atol=1e-5)
    if info["task"] == "multiclass":  # the classes `chainrule predict` prints
        np.testing.assert_array_equal(got.argmax(1), predict_run(str(run), raw)["classes"])
    # and back into chainrule: the scaling folded into the first Linear, raw inputs in
    back = load(run / "model.onnx")
    assert [type(m) for m in back] == [type(m) for m in model]
    np.testing.assert_allclose(predict(back, raw), got, rtol=1e-3, atol=1e-3)


def test_export_to_a_chosen_file(tmp_path, capsys):
    run = tmp_path / "run"
    train_run(dataset="xor", hidden=(4,), epochs=1, samples=50, out=str(run), verbose=0)
    assert main(["export", str(run), "--out", str(tmp_path / "xor.onnx")]) == 0
    assert (tmp_path / "xor.onnx").is_file()


def test_export_of_a_directory_that_is_not_a_run_says_so(tmp_path, capsys):
    assert main(["export", str(tmp_path)]) == 1
    assert "not a run directory" in capsys.readouterr().err


def test_a_cnn_trained_on_mnist5k_exports_and_onnxruntime_matches_chainrule(tmp_path):
    import chainrule as cr
    from chainrule import nn, optim
    from chainrule.data import load_mnist5k
    from chainrule.onnx import export
    from chainrule.train import fit

    images, labels = load_mnist5k()
    X = (images[::10, None] / np.float32(255)).astype(np.float32)  # 500 digits, 50 per class
    y = labels[::10]
    cr.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(4),
                          nn.MaxPool2d(2), nn.Conv2d(4, 8, 3), nn.ReLU(), nn.AvgPool2d(2),
                          nn.Flatten(), nn.Dropout(0.2), nn.Linear(8 * 6 * 6, 10))
    history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-2),
                  (X, y), epochs=2, batch_size=50, verbose=0)
    assert history["accuracy"][-1] > 0.5  # it learned something worth exporting
    path = export(model, tmp_path / "cnn.onnx", X[:1])
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": X[:100]})[0]
    np.testing.assert_allclose(got, predict(model, X[:100]), rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(got.argmax(1), predict(model, X[:100]).argmax(1))
