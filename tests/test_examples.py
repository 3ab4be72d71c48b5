"""examples/: the ch.6 workflow runs end to end and matches PyTorch's accuracy."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ch6_workflow_on_digits_is_within_one_point_of_pytorch(tmp_path, monkeypatch):
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path / "no-mnist-here"))
    result = _load("ch6_workflow").main(["--out", str(tmp_path), "--compare-torch",
                                         "--data-dir", str(tmp_path / "none")])
    assert (tmp_path / "model.safetensors").exists()
    assert result["chainrule_val_accuracy"] > 0.85
    assert abs(result["chainrule_val_accuracy"] - result["torch_val_accuracy"]) <= 0.01
