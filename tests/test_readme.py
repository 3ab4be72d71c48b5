"""The README's set-up and quick-start are what CI runs and what the library does."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _setup_commands():
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Set-up", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line and not line.startswith("#")]


def test_ci_runs_the_readme_setup_commands_verbatim():
    commands = _setup_commands()
    assert len(commands) == 2
    ci = (ROOT / ".ci" / "run").read_text()
    for command in commands:
        assert command in ci


def test_the_quick_start_example_prints_what_the_readme_says(capsys):
    readme = (ROOT / "README.md").read_text()
    code = re.search(r"## Backpropagation in five lines.*?```python\n(.*?)```", readme, re.S)
    exec(compile(code.group(1), "README.md", "exec"), {})
    assert capsys.readouterr().out.strip() == "tensor(-4.) tensor(-4.) tensor(3.)"


def test_the_trace_example_prints_the_worksheet_and_adds_to_the_gradients(capsys):
    readme = (ROOT / "README.md").read_text()
    quick = re.search(r"## Backpropagation in five lines.*?```python\n(.*?)```", readme, re.S)
    seeing = re.search(r"## Seeing backpropagation.*?```python\n(.*?)```", readme, re.S)
    namespace = {}
    exec(compile(quick.group(1) + seeing.group(1), "README.md", "exec"), namespace)
    out = capsys.readouterr().out
    assert "df/dx = df/dq · dq/dx = -4 · 1 = -4" in out
    assert namespace["tr"].steps[1].chain_rule(0) == "df/dx = df/dq · dq/dx = -4 · 1 = -4"
    assert namespace["x"].grad.item() == -8.0  # the README says so: the trace ran backward too
    from chainrule import viz

    dot = viz.to_dot(namespace["f"])  # as the README calls it: no names, so a trace's letters
    assert 'label="a\\nvalue -2\\ngrad -8"' in dot and 'label="f\\nvalue -12\\ngrad 1"' in dot


def test_the_training_example_runs_and_learns(tmp_path, monkeypatch, capsys):
    readme = (ROOT / "README.md").read_text()
    code = re.search(r"## Training a network.*?```python\n(.*?)```", readme, re.S)
    monkeypatch.chdir(tmp_path)
    import chainrule as cr

    cr.manual_seed(0)  # 12 seeds gave 83–89 % validation accuracy in the last epoch
    namespace = {}
    exec(compile(code.group(1), "README.md", "exec"), namespace)
    assert "Total params: 1,930" in capsys.readouterr().out
    assert namespace["history"]["val_accuracy"][-1] > 0.8
    assert (tmp_path / "curves.png").exists() and (tmp_path / "model.safetensors").exists()


def test_the_pytorch_style_loop_runs_and_learns(capsys):
    readme = (ROOT / "README.md").read_text()
    training = re.search(r"## Training a network.*?```python\n(.*?)```", readme, re.S).group(1)
    loop = re.search(r"written as a PyTorch loop.*?```python\n(.*?)```", readme, re.S).group(1)
    header = "\n".join(line for line in training.splitlines()
                       if line.startswith(("import", "from", "X, y")))
    import chainrule as cr

    cr.manual_seed(0)  # 12 seeds gave 90.8–93.2 % in the last epoch
    namespace = {}
    exec(compile(header + "\n" + loop, "README.md", "exec"), namespace)
    assert namespace["correct"] / 1797 > 0.85
    lines = capsys.readouterr().out.splitlines()  # one line per epoch, printed in the loop
    assert [line.split(":")[0] for line in lines] == [f"epoch {k}" for k in range(1, 11)]
    assert all("train accuracy" in line for line in lines)


def test_the_readme_names_every_option_of_chainrule_train():
    readme = (ROOT / "README.md").read_text()
    named = re.search(r"`chainrule train --help` lists the command's options \((.*?)\);",
                      readme, re.S).group(1)
    from chainrule.cli import _parser

    train = _parser()._subparsers._group_actions[0].choices["train"]
    options = {s for a in train._actions for s in a.option_strings if s.startswith("--")}
    assert set(re.findall(r"--[a-z-]+", named)) == options - {"--help"}


def test_the_readme_lists_every_demo():
    readme = (ROOT / "README.md").read_text()
    listed = re.search(r"chainrule demo +# lists them: (.*)", readme).group(1).split()
    from chainrule.demos import DEMOS

    assert listed == sorted(DEMOS)


def test_the_onnx_example_exports_and_loads_back_the_same_model(tmp_path, monkeypatch):
    readme = (ROOT / "README.md").read_text()
    code = re.search(r"## Models that leave chainrule.*?```python\n(.*?)```", readme, re.S)
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(code.group(1), "README.md", "exec"), namespace)
    import numpy as np

    x = np.random.default_rng(0).random((3, 28, 28), dtype=np.float32)
    model, same = namespace["model"], namespace["same"]
    assert [type(m) for m in same] == [type(m) for m in model]
    np.testing.assert_array_equal(same(x).array, model(x).array)


def test_the_custom_op_example_works_on_tensors_and_prints_what_the_readme_says(capsys):
    readme = (ROOT / "README.md").read_text()
    code = re.search(r"## Writing your own op.*?```python\n(.*?)```", readme, re.S).group(1)
    import chainrule as cr

    namespace = {"cr": cr}
    seen = []
    exec(compile(code, "README.md", "exec"), namespace)
    assert capsys.readouterr().out.strip() == "tensor([0., 1.])"
    relu = namespace["MyReLU"]
    forward, backward = relu.forward, relu.backward
    relu.forward = staticmethod(lambda ctx, x: seen.append(type(x)) or forward(ctx, x))
    relu.backward = staticmethod(lambda ctx, g: seen.append(type(g)) or backward(ctx, g))
    try:
        relu.apply(cr.tensor(1.0, requires_grad=True)).backward()
    finally:
        relu.forward, relu.backward = staticmethod(forward), staticmethod(backward)
    assert seen == [cr.Tensor, cr.Tensor]  # Tensors, as the README says and torch does


def test_the_deliberate_differences_from_pytorch_are_true():
    import numpy as np
    import pytest
    import torch

    import chainrule as cr

    readme = (ROOT / "README.md").read_text()
    assert "## Deliberate differences from PyTorch" in readme
    # first order only: create_graph is refused by name
    with pytest.raises(NotImplementedError, match="create_graph"):
        (cr.tensor([1.0], requires_grad=True) * 2).sum().backward(create_graph=True)
    # in-place on an intermediate: torch allows it, chainrule refuses
    h = torch.tensor([1.0], requires_grad=True) * 2
    h += 1
    w = cr.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        g = w * 2
        g += 1
    with pytest.raises(ValueError, match="'cpu' and 'cuda'"):
        cr.tensor([1.0]).to("mps")
    assert repr(cr.tensor([0.5, 1.0])) == "tensor([0.5, 1. ])"
    assert repr(torch.tensor([0.5, 1.0])) == "tensor([0.5000, 1.0000])"
    # the warnings still left: + on values past the range
    with pytest.warns(RuntimeWarning, match="overflow"):
        cr.tensor([3e38]) + cr.tensor([3e38])
    x = cr.tensor([1e38, 1e38], requires_grad=True)
    x.prod().backward()
    assert np.isfinite(x.grad.array).all()
    cr.manual_seed(0)
    torch.manual_seed(0)
    assert not np.allclose(cr.nn.Linear(2, 3).weight.array, torch.nn.Linear(2, 3).weight.detach())


def test_save_writes_safetensors_not_a_pickle(tmp_path):
    import json
    import struct

    import chainrule as cr

    cr.save(cr.nn.Sequential(cr.nn.Linear(2, 3)), tmp_path / "m.safetensors")
    raw = (tmp_path / "m.safetensors").read_bytes()
    (size,) = struct.unpack("<Q", raw[:8])  # safetensors: header length, then a JSON header
    assert isinstance(json.loads(raw[8:8 + size]), dict) and not raw.startswith(b"\x80")


def test_the_porting_example_runs_with_torchs_code_and_learns(capsys):
    readme = (ROOT / "README.md").read_text()
    code = re.search(r"## Porting a PyTorch program.*?```python\n(.*?)```", readme, re.S)
    import chainrule as cr

    cr.manual_seed(0)
    exec(compile(code.group(1), "README.md", "exec"), {})
    last = float(capsys.readouterr().out.split()[-1])
    assert last < 0.3  # five epochs of a separable problem; the first loss is about 0.7
    for line in code.group(1).splitlines()[:5]:  # each import names the torch line it replaces
        assert "# from torch" in line or "# import torch" in line


def test_the_gpu_example_runs_on_the_device_there_is(capsys):
    readme = (ROOT / "README.md").read_text()
    code = re.search(r"## On a GPU.*?```python\n(.*?)```", readme, re.S).group(1)
    import chainrule as cr

    exec(compile(code, "README.md", "exec"), {})
    where, loss = capsys.readouterr().out.split()
    assert where == ("cuda:0" if cr.cuda.is_available() else "cpu")
    assert 1.5 < float(loss) < 3.5  # about ln 10 = 2.3 for an untrained 10-class network
