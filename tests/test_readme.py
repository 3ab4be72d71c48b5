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
    assert "train accuracy" in capsys.readouterr().out


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
