"""chainrule train / predict when things go wrong: resume, Ctrl-C, exit codes, bad rows."""

import json
import os

import numpy as np
import pytest

import chainrule as cr
from chainrule.cli import main
from chainrule.datasets import load_bundled_digits
from chainrule.train import Callback
from chainrule.train.run import train_run

SMALL = dict(dataset="digits", hidden=(16,), epochs=4, batch_size=64, verbose=0,
             scheduler="step", optimizer="adam")


class _InterruptAfter(Callback):
    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs):
        if epoch == self.epoch:
            raise KeyboardInterrupt


def _weights(run):
    return {k: v.array for k, v in cr.load(run / "model.safetensors").state_dict().items()}


@pytest.fixture(scope="module")
def whole_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("whole")
    train_run(out=str(out), **SMALL)
    return out


def test_an_interrupted_run_resumes_to_the_same_files(whole_run, tmp_path, capsys):
    result = train_run(out=str(tmp_path), callbacks=[_InterruptAfter(2)], **SMALL)
    info = json.loads((tmp_path / "run.json").read_text())
    assert result["info"]["status"] == info["status"] == "interrupted"
    # the interruption came inside epoch 2's callbacks: the last complete epoch is 1
    assert cr.load(tmp_path / "checkpoint.safetensors")["epoch"] == 1
    assert not (tmp_path / "model.safetensors").exists()
    assert main(["predict", str(tmp_path), "--input", "x.csv"]) == 1
    assert "unfinished run (interrupted)" in capsys.readouterr().err

    assert main(["train", "--resume", str(tmp_path), "--quiet"]) == 0
    for name, array in _weights(whole_run).items():
        np.testing.assert_array_equal(_weights(tmp_path)[name], array, err_msg=name)
    assert (tmp_path / "history.csv").read_text() == (whole_run / "history.csv").read_text()
    assert json.loads((tmp_path / "run.json").read_text())["status"] == "finished"


def test_a_finished_run_is_not_resumed(whole_run, capsys):
    assert main(["train", "--resume", str(whole_run), "--quiet"]) == 1
    assert "that run is finished; there is nothing to resume" in capsys.readouterr().err


def test_replacing_a_finished_run_says_so(tmp_path, capsys):
    args = ["train", "--epochs", "1", "--hidden", "4", "--out", str(tmp_path), "--quiet"]
    assert main(args) == 0
    capsys.readouterr()
    assert main(args) == 0
    assert f"{tmp_path} holds a finished run; this run replaces it" in capsys.readouterr().err


def test_ctrl_c_in_the_cli_exits_130_and_says_how_to_resume(tmp_path, monkeypatch, capsys):
    from chainrule.train import run as run_module

    real = run_module.train_run
    monkeypatch.setattr(run_module, "train_run", lambda **kw: real(
        **kw, callbacks=[_InterruptAfter(1)]))
    assert main(["train", "--epochs", "3", "--hidden", "4", "--out", str(tmp_path),
                 "--quiet"]) == 130
    assert f"chainrule train --resume {tmp_path}" in capsys.readouterr().err


def test_lr_zero_is_refused_with_why(capsys):
    with pytest.raises(SystemExit) as info:
        main(["train", "--lr", "0"])
    assert info.value.code == 2 and "weights never change" in capsys.readouterr().err


def test_hidden_zero_is_explained(tmp_path, capsys):
    assert main(["train", "--hidden", "0", "--epochs", "1", "--out", str(tmp_path),
                 "--quiet"]) == 0
    assert "no hidden layer: the network is one linear layer" in capsys.readouterr().err


@pytest.mark.parametrize("option", ["--epochs", "--batch-size"])
def test_zero_epochs_or_batch_size_is_refused_by_name(option, capsys):
    with pytest.raises(SystemExit):
        main(["train", option, "0"])
    assert option in capsys.readouterr().err


def test_an_unwritable_out_directory_is_found_before_training(tmp_path, capsys):
    if os.geteuid() == 0:  # root writes anywhere a permission bit would stop others
        out = "/sys/kernel"
        if not os.path.isdir(out):
            pytest.skip("no read-only directory to try as root")
    else:
        out = tmp_path / "ro"
        out.mkdir(mode=0o500)
    assert main(["train", "--dataset", "moons", "--out", str(out), "--quiet"]) == 1
    captured = capsys.readouterr()
    assert "cannot write files there" in captured.err and captured.out == ""


# --- predict: rows checked one by one ----------------------------------------------------------

@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    assert main(["train", "--epochs", "2", "--hidden", "16", "--out", str(out), "--quiet"]) == 0
    return out


def _csv(path, X, header=False, bad_rows=()):
    lines = [",".join(f"p{i}" for i in range(X.shape[1]))] if header else []
    for i, row in enumerate(X):
        text = ",".join(repr(float(v)) for v in row)
        if i in bad_rows:
            text = text.replace("0.0", "nan", 1) if "0.0" in text else "nan," + text[4:]
        lines.append(text)
    path.write_text("\n".join(lines) + "\n")


def test_predict_refuses_a_nan_row_by_its_number(digits_run, tmp_path, capsys):
    X, _ = load_bundled_digits()
    _csv(tmp_path / "x.csv", X[:6].reshape(6, -1), bad_rows={2, 4})
    assert main(["predict", str(digits_run), "--input", str(tmp_path / "x.csv")]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "2 bad row(s)" in err and "row 3: value" in err and "row 5" in err
    assert "--skip-bad-rows" in err


def test_predict_skips_bad_rows_when_asked_and_counts_them(digits_run, tmp_path, capsys):
    X, _ = load_bundled_digits()
    _csv(tmp_path / "x.csv", X[:6].reshape(6, -1), header=True, bad_rows={0})
    assert main(["predict", str(digits_run), "--input", str(tmp_path / "x.csv"),
                 "--skip-bad-rows"]) == 0
    out, err = capsys.readouterr()
    assert len(out.strip().splitlines()) == 5
    assert "skipped 1 bad row(s)" in err and ": 2" in err  # row 2: the first after the header


def test_predict_accepts_a_header_row(digits_run, tmp_path, capsys):
    X, _ = load_bundled_digits()
    _csv(tmp_path / "x.csv", X[:3].reshape(3, -1), header=True)
    assert main(["predict", str(digits_run), "--input", str(tmp_path / "x.csv")]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 3


def test_predict_refuses_inf_in_a_npy_file_by_row(digits_run, tmp_path, capsys):
    X, _ = load_bundled_digits()
    X = X[:4].astype(np.float32)
    X[1, 0, 0] = np.inf
    np.save(tmp_path / "x.npy", X)
    assert main(["predict", str(digits_run), "--input", str(tmp_path / "x.npy")]) == 1
    assert "1 row(s) hold NaN or inf (rows 2," in capsys.readouterr().err
    assert main(["predict", str(digits_run), "--input", str(tmp_path / "x.npy"),
                 "--skip-bad-rows"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 3


def test_a_npy_header_claiming_more_than_the_file_is_refused(digits_run, tmp_path, capsys):
    np.save(tmp_path / "x.npy", np.zeros((2, 64), np.float32))
    data = (tmp_path / "x.npy").read_bytes().replace(b"(2, 64), ", b"(99999999, 64)", 1)
    (tmp_path / "x.npy").write_bytes(data)
    assert main(["predict", str(digits_run), "--input", str(tmp_path / "x.npy")]) == 1
    assert "--input" in capsys.readouterr().err
