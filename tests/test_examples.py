"""examples/: the ch.6 workflow runs end to end and matches PyTorch's accuracy."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ch6_workflow_on_mnist5k_matches_pytorch_epoch_by_epoch(tmp_path, capsys):
    result = _load("ch6_workflow").main(["--dataset", "mnist5k", "--out", str(tmp_path),
                                         "--epochs", "3", "--compare-torch"])
    assert (tmp_path / "model.safetensors").exists() and (tmp_path / "curves.png").exists()
    assert result["data"].startswith("MNIST 5k")
    assert result["test_accuracy"] > 0.8
    assert abs(result["chainrule_val_accuracy"] - result["torch_val_accuracy"]) <= 0.01
    out = capsys.readouterr().out
    assert "Total params: 16,330" in out  # the chapter's 784·20+20 + 20·20+20 + 20·10+10
    assert "epoch  chainrule    PyTorch" in out


def test_ch6_workflow_falls_back_to_mnist5k_when_mnist_cannot_be_had(tmp_path, monkeypatch,
                                                                     capsys):
    example = _load("ch6_workflow")

    def offline(*args, **kwargs):
        raise example.DownloadError("load_mnist: downloading https://x failed (offline). Put...")

    monkeypatch.setattr(example, "load_mnist", offline)
    result = example.main(["--out", str(tmp_path), "--epochs", "1"])
    assert result["data"].startswith("MNIST 5k")
    assert "MNIST is not available here" in capsys.readouterr().out
