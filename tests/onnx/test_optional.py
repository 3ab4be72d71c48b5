"""The onnx package stays optional: not imported until export or load is called, and a clear
error when it is missing."""

import subprocess
import sys

import numpy as np
import pytest

from chainrule import nn
from chainrule.onnx import export, load


def test_importing_chainrule_onnx_does_not_import_onnx():
    code = ("import sys, chainrule, chainrule.onnx, chainrule.cli; "
            "print('onnx' in sys.modules, 'onnxruntime' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


@pytest.mark.parametrize("call", [
    lambda p: export(nn.Sequential(nn.ReLU()), p, np.zeros((1, 2), np.float32)),
    lambda p: load(p),
], ids=["export", "load"])
def test_without_onnx_the_error_says_how_to_install_it(tmp_path, monkeypatch, call):
    monkeypatch.setitem(sys.modules, "onnx", None)  # imports fail as if it were absent
    with pytest.raises(ImportError, match=r"pip install 'chainrule\[onnx\]'"):
        call(tmp_path / "m.onnx")
    assert list(tmp_path.iterdir()) == []
