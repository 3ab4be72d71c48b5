"""The chainrule command: train writes a run directory that evaluate and predict can use."""

import json

import numpy as np
import pytest

from chainrule.cli import main
from chainrule.datasets import load_bundled_digits


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    assert main(["train", "--epochs", "3", "--out", str(out), "--quiet"]) == 0
    return out


def test_train_writes_model_history_summary_and_run_info(digits_run, capsys):
    names = {p.name for p in digits_run.iterdir()}
    assert {"model.safetensors", "history.csv", "summary.txt", "run.json"} <= names
    info = json.loads((digits_run / "run.json").read_text())
    assert info["task"] == "multiclass" and info["loss"] == "CrossEntropyLoss"
    assert len((digits_run / "history.csv").read_text().splitlines()) == 4


def test_train_prints_the_test_accuracy(tmp_path, capsys):
    assert main(["train", "--epochs", "2", "--out", str(tmp_path), "--quiet"]) == 0
    assert "Test accuracy:" in capsys.readouterr().out


def test_train_names_every_file_it_wrote(tmp_path, capsys):
    assert main(["train", "--epochs", "2", "--out", str(tmp_path), "--quiet",
                 "--diagnostics"]) == 0
    line = next(t for t in capsys.readouterr().out.splitlines() if t.startswith("Run written"))
    named = set(line.split("(", 1)[1].rstrip(")").split(", "))
    assert named == {p.name for p in tmp_path.iterdir()}


def test_evaluate_reproduces_the_test_result(digits_run, capsys):
    info = json.loads((digits_run / "run.json").read_text())
    assert main(["evaluate", str(digits_run)]) == 0
    assert f"accuracy: {info['test']['accuracy']:.4f}" in capsys.readouterr().out


def test_predict_reads_a_npy_file_and_prints_classes(digits_run, tmp_path, capsys):
    X, y = load_bundled_digits()
    np.save(tmp_path / "x.npy", X[:20])
    assert main(["predict", str(digits_run), "--input", str(tmp_path / "x.npy")]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    predicted = np.array([int(line.split()[0]) for line in lines])
    assert len(predicted) == 20 and (predicted == y[:20]).mean() >= 0.7


@pytest.mark.parametrize("columns", [32, 8])
def test_predict_rejects_rows_with_the_wrong_number_of_values(digits_run, tmp_path, capsys,
                                                              columns):
    X, _ = load_bundled_digits()
    # 64 values per digit: 4 rows of 32 hold exactly two digits' worth of numbers
    np.savetxt(tmp_path / "x.csv", X[:2].reshape(-1, columns), delimiter=",")
    assert main(["predict", str(digits_run), "--input", str(tmp_path / "x.csv")]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "--input" in captured.err and f"{columns} values" in captured.err
    assert "takes 64" in captured.err


def test_predict_of_an_empty_file_says_it_is_empty(digits_run, tmp_path, capsys):
    (tmp_path / "x.csv").write_text("")
    assert main(["predict", str(digits_run), "--input", str(tmp_path / "x.csv")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--input" in err and "no samples" in err


@pytest.mark.parametrize("name, content", [("x.npy", b"\x93NUMPY\x01\x00v\x00{'descr'"),
                                           ("x.csv", b"1,2\n3\n"),
                                           ("x.csv", b"a,b\n")])
def test_an_unreadable_input_file_is_named_with_its_option(digits_run, tmp_path, capsys, name,
                                                          content):
    (tmp_path / name).write_bytes(content)
    assert main(["predict", str(digits_run), "--input", str(tmp_path / name)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"--input {tmp_path / name}: " in err


def test_a_reader_that_stops_early_is_not_an_error_message(digits_run, tmp_path, monkeypatch,
                                                           capsys):
    class ClosedPipe:  # stdout piped into `head -1`, which has exited
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            pass

    X, _ = load_bundled_digits()
    np.save(tmp_path / "x.npy", X[:5])
    monkeypatch.setattr("sys.stdout", ClosedPipe())
    assert main(["predict", str(digits_run), "--input", str(tmp_path / "x.npy")]) == 1
    assert capsys.readouterr().err == ""


def test_two_classes_get_one_sigmoid_unit_and_binary_cross_entropy(tmp_path):
    assert main(["train", "--dataset", "circle", "--hidden", "8", "--epochs", "2",
                 "--out", str(tmp_path), "--quiet"]) == 0
    info = json.loads((tmp_path / "run.json").read_text())
    assert info["task"] == "binary" and info["loss"] == "BCEWithLogitsLoss"
    assert "(None, 1)" in (tmp_path / "summary.txt").read_text()


def test_numbers_get_an_identity_output_and_mse(tmp_path):
    assert main(["train", "--dataset", "plane", "--epochs", "2", "--out", str(tmp_path),
                 "--quiet"]) == 0
    info = json.loads((tmp_path / "run.json").read_text())
    assert info["task"] == "regression" and info["loss"] == "MSELoss"
    assert "mae" in info["test"]


def test_the_loss_can_be_overridden(tmp_path):
    assert main(["train", "--dataset", "xor", "--loss", "mse", "--epochs", "2",
                 "--out", str(tmp_path), "--quiet"]) == 0
    info = json.loads((tmp_path / "run.json").read_text())
    assert info["loss"] == "MSELoss" and info["output"] == "probabilities"


def test_classes_trained_with_mse_report_accuracy_against_the_one_hot_targets(tmp_path, capsys):
    assert main(["train", "--dataset", "iris", "--loss", "mse", "--epochs", "3",
                 "--out", str(tmp_path), "--quiet"]) == 0
    info = json.loads((tmp_path / "run.json").read_text())
    assert info["loss"] == "MSELoss" and 0.0 <= info["test"]["accuracy"] <= 1.0
    assert main(["evaluate", str(tmp_path)]) == 0
    assert f"accuracy: {info['test']['accuracy']:.4f}" in capsys.readouterr().out


def test_classes_can_be_learned_as_numbers_with_task_regression(tmp_path, capsys):
    assert main(["train", "--dataset", "iris", "--task", "regression", "--epochs", "2",
                 "--out", str(tmp_path), "--quiet"]) == 0
    info = json.loads((tmp_path / "run.json").read_text())
    assert info["task"] == "regression" and "mae" in info["test"]
    assert main(["evaluate", str(tmp_path)]) == 0
    assert f"mae: {info['test']['mae']:.4f}" in capsys.readouterr().out


@pytest.mark.parametrize("dataset, task, problem", [("iris", "binary", "3 classes"),
                                                    ("plane", "binary", "numbers"),
                                                    ("plane", "multiclass", "numbers")])
def test_a_task_that_does_not_fit_the_data_set_is_an_error(tmp_path, capsys, dataset, task,
                                                           problem):
    assert main(["train", "--dataset", dataset, "--task", task, "--epochs", "1",
                 "--out", str(tmp_path), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "--task" in err and problem in err and "Traceback" not in err


def test_an_out_path_that_is_a_file_is_an_error_before_training(tmp_path, capsys, monkeypatch):
    import chainrule.train.run as run

    def no_training(*args, **kwargs):
        raise AssertionError("trained although the run directory cannot be written")

    monkeypatch.setattr(run, "fit", no_training)
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["train", "--out", str(tmp_path / "notes.txt"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "--out" in err and "notes.txt" in err and "Traceback" not in err
    assert (tmp_path / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("epochs", [1, 2, 3])
def test_multistep_starts_at_the_given_lr_and_decays_once_per_milestone(tmp_path, epochs):
    assert main(["train", "--scheduler", "multistep", "--epochs", str(epochs), "--hidden", "8",
                 "--out", str(tmp_path), "--quiet"]) == 0
    rows = (tmp_path / "history.csv").read_text().splitlines()
    lrs = [float(row.split(",")[-1]) for row in rows[1:]]
    assert rows[0].endswith(",lr") and lrs[0] == pytest.approx(1e-3)
    assert all(later >= 0.1 * earlier * (1 - 1e-6) for earlier, later in zip(lrs, lrs[1:]))


def test_an_infinite_noise_is_refused_not_blamed_on_the_learning_rate(tmp_path, capsys):
    assert main(["train", "--dataset", "moons", "--noise", "inf", "--epochs", "1",
                 "--out", str(tmp_path), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "noise" in err and "inf" in err


def test_a_loss_that_does_not_fit_the_problem_is_an_error(tmp_path, capsys):
    assert main(["train", "--dataset", "plane", "--loss", "bce", "--out", str(tmp_path),
                 "--quiet"]) == 1
    assert "does not fit a regression problem" in capsys.readouterr().err


def test_bad_hidden_sizes_are_rejected(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--hidden", "64,x"])
    assert "--hidden" in capsys.readouterr().err


@pytest.mark.parametrize("threads, expected", [("1", 1), ("auto", "auto")])
def test_threads_reaches_fit_and_the_count_is_given_back(tmp_path, capsys, monkeypatch, threads,
                                                         expected):
    import chainrule as cr
    from chainrule.train import trainer

    asked = []
    real = trainer._thread_setting
    monkeypatch.setattr(trainer, "_thread_setting", lambda n: asked.append(n) or real(n))
    before = cr.get_num_threads()
    assert main(["train", "--epochs", "1", "--threads", threads, "--out", str(tmp_path),
                 "--quiet"]) == 0
    assert asked == [expected]
    assert cr.get_num_threads() == before


@pytest.mark.parametrize("bad", ["-1", "x"])
def test_a_bad_seed_is_rejected_naming_the_option(capsys, bad):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--seed", bad])
    assert exit_info.value.code == 2 and "--seed" in capsys.readouterr().err


@pytest.mark.parametrize("bad", ["0", "two", "Auto"])
def test_a_bad_thread_count_is_rejected(capsys, bad):
    with pytest.raises(SystemExit):
        main(["train", "--threads", bad])
    assert "--threads" in capsys.readouterr().err


@pytest.mark.filterwarnings("always:.*training loss was:RuntimeWarning")  # the CLI prints it
def test_a_diverging_run_stops_early_writes_the_run_and_exits_3(tmp_path, capsys):
    assert main(["train", "--optimizer", "sgd", "--lr", "1e6", "--epochs", "3",
                 "--diagnostics", "--out", str(tmp_path), "--quiet"]) == 3
    err = capsys.readouterr().err
    assert "chainrule train: warning: fit: the training loss was" in err
    assert "chainrule train: error: the training loss became" in err
    info = json.loads((tmp_path / "run.json").read_text())
    assert info["stopped_on_nonfinite_loss"] is True and info["status"] == "diverged"
    kept = (tmp_path / "model.safetensors").exists()
    assert ("model.safetensors holds the weights" in err) == kept


@pytest.mark.filterwarnings("ignore:.*training loss was:RuntimeWarning")
def test_a_new_run_leaves_no_figures_of_the_previous_run_in_its_directory(tmp_path):
    assert main(["train", "--epochs", "2", "--diagnostics", "--out", str(tmp_path),
                 "--quiet"]) == 0
    assert main(["train", "--optimizer", "sgd", "--lr", "1e9", "--epochs", "2",
                 "--out", str(tmp_path), "--quiet"]) == 3
    names = {p.name for p in tmp_path.iterdir()}
    assert not names & {"curves.png", "gradient_flow.csv", "gradient_flow.png"}


def test_ctrl_c_outside_training_ends_with_one_line_and_code_130(monkeypatch, capsys):
    from chainrule import demos

    def interrupted(out):
        raise KeyboardInterrupt

    monkeypatch.setitem(demos.DEMOS, "losses", interrupted)
    assert main(["demo", "losses"]) == 130
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "interrupted" in err


def test_a_demo_out_path_that_is_a_file_is_an_error_before_the_demo_runs(tmp_path, capsys,
                                                                         monkeypatch):
    from chainrule import demos

    def must_not_run(out):
        raise AssertionError("the demo ran although its figure cannot be written")

    monkeypatch.setitem(demos.DEMOS, "vanishing", must_not_run)
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["demo", "vanishing", "--out", str(tmp_path / "notes.txt")]) == 1
    err = capsys.readouterr().err
    assert "--out" in err and "notes.txt" in err
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_evaluate_of_a_directory_without_a_run_says_so(tmp_path, capsys):
    assert main(["evaluate", str(tmp_path)]) == 1
    assert "not a run directory" in capsys.readouterr().err


@pytest.mark.parametrize("content", ["{", "{}", "[1, 2]"])
def test_a_damaged_run_json_is_named_in_one_line(digits_run, tmp_path, capsys, content):
    run = tmp_path / "run"
    run.mkdir()
    (run / "model.safetensors").write_bytes((digits_run / "model.safetensors").read_bytes())
    (run / "run.json").write_text(content)
    assert main(["evaluate", str(run)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "run.json" in err and "damaged" in err


@pytest.mark.parametrize("command", [["evaluate"], ["predict", "--input"]])
def test_a_model_file_without_an_architecture_is_named_in_one_line(digits_run, tmp_path, capsys,
                                                                    command):
    from chainrule.io.safetensors import save_tensors

    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text((digits_run / "run.json").read_text())
    save_tensors(run / "model.safetensors", {"weight": np.zeros((10, 64), np.float32)})
    X, _ = load_bundled_digits()
    np.save(tmp_path / "x.npy", X[:2])
    args = [command[0], str(run)] + ([command[1], str(tmp_path / "x.npy")] if len(command) > 1
                                     else [])
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "model.safetensors" in err


def test_mnist_without_files_or_network_says_where_to_put_them(tmp_path, capsys, monkeypatch):
    import urllib.request

    def offline(*args, **kwargs):
        raise OSError("no network")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    assert main(["train", "--dataset", "mnist", "--data-dir", str(tmp_path), "--quiet"]) == 1
    assert "mnist.npz" in capsys.readouterr().err


def test_options_before_a_command_are_an_error_that_shows_where_they_go(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--epochs", "3"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert "chainrule train --epochs 3" in err and "invalid choice" not in err


def test_no_command_is_a_usage_error_not_a_training_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 2 and "command" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


@pytest.mark.filterwarnings("always:epoch [0-9]+:RuntimeWarning")  # the CLI prints it
def test_a_warning_during_training_is_one_line_without_a_source_path(tmp_path, capsys):
    assert main(["train", "--quiet", "--epochs", "1", "--diagnostics", "--activation", "sigmoid",
                 "--hidden", "32,32,32,32,32,32", "--out", str(tmp_path)]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("chainrule train: warning: epoch 1: vanishing gradients: ")
    assert not any(".py:" in line or "on_epoch_end" in line for line in lines)


@pytest.mark.parametrize("bad", ["0", "1", "x"])
def test_a_bad_sample_count_is_rejected_naming_the_option(capsys, bad):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--dataset", "xor", "--samples", bad])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "--samples" in err and "n_samples" not in err


@pytest.mark.parametrize("dataset, samples", [("plane", "2"), ("xor", "3")])
def test_too_few_samples_to_split_is_one_line_naming_the_option(tmp_path, capsys, dataset,
                                                                samples):
    assert main(["train", "--dataset", dataset, "--samples", samples, "--out", str(tmp_path),
                 "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"chainrule train: error: --samples {samples} ")
    assert err.count("\n") == 1 and "train_test_split" not in err and "test_size" not in err


def test_a_val_split_that_leaves_no_training_data_is_one_line_naming_the_option(tmp_path,
                                                                               capsys):
    assert main(["train", "--val-split", "0.9999", "--out", str(tmp_path), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("chainrule train: error: --val-split 0.9999 ")
    assert err.count("\n") == 1 and "train_test_split" not in err


@pytest.fixture(scope="module")
def xor_model(tmp_path_factory):
    """A model that takes 2 inputs: wrong for the 8×8 digits run."""
    out = tmp_path_factory.mktemp("xor_run")
    assert main(["train", "--dataset", "xor", "--samples", "100", "--epochs", "1", "--out",
                 str(out), "--quiet"]) == 0
    return out / "model.safetensors"


@pytest.mark.parametrize("command", [["evaluate"], ["predict", "--input"]])
def test_a_model_file_from_another_run_is_named_in_one_line(digits_run, xor_model, tmp_path,
                                                            capsys, command):
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text((digits_run / "run.json").read_text())
    (run / "model.safetensors").write_bytes(xor_model.read_bytes())
    X, _ = load_bundled_digits()
    np.save(tmp_path / "x.npy", X[:2])
    args = [command[0], str(run)] + ([command[1], str(tmp_path / "x.npy")] if len(command) > 1
                                     else [])
    capsys.readouterr()
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "model.safetensors" in err and "linear" not in err.lower()


@pytest.mark.parametrize("command", [["evaluate"], ["predict", "--input"]])
def test_a_model_file_with_the_wrong_number_of_outputs_is_named_in_one_line(xor_model, tmp_path,
                                                                          capsys, command):
    run = tmp_path / "run"  # moons read as two classes with a softmax: the model needs 2 outputs
    assert main(["train", "--dataset", "moons", "--task", "multiclass", "--samples", "100",
                 "--epochs", "1", "--out", str(run), "--quiet"]) == 0
    (run / "model.safetensors").write_bytes(xor_model.read_bytes())  # 1 output, a logit
    np.save(tmp_path / "x.npy", np.zeros((2, 2), np.float32))
    args = [command[0], str(run)] + ([command[1], str(tmp_path / "x.npy")] if len(command) > 1
                                     else [])
    capsys.readouterr()
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "model.safetensors" in err and "2 classes" in err


# -- help texts -----------------------------------------------------------------------------------
def _help(capsys, *argv):
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--help"])
    assert exit_info.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", [(), ("train",), ("evaluate",), ("predict",), ("demo",)])
def test_help_is_plain_text_without_rest_markup(capsys, command):
    text = _help(capsys, *command)
    assert "``" not in text and ":func:" not in text and "usage: chainrule" in text


def test_train_help_shows_every_default(capsys):
    # argparse wraps lines: compare with the whitespace folded
    text = " ".join(_help(capsys, "train").split())
    for option, default in [("--epochs EPOCHS", "20"), ("--batch-size BATCH_SIZE", "32"),
                            ("--val-split VAL_SPLIT", "0.2"), ("--seed SEED", "0"),
                            ("--out OUT", "runs/latest"), ("--samples SAMPLES", "1000"),
                            ("--noise NOISE", "0.0")]:
        assert f"{option} " in text and f"(default: {default})" in text.split(f"{option} ")[1]
    for option, default in [("--activation", "relu"), ("--optimizer", "adam"),
                            ("--scheduler", "none"), ("--hidden HIDDEN", "64,32")]:
        assert f"(default: {default})" in text.split(f"{option} ")[-1].split(" --")[0]
    from chainrule.train.run import OPTIMIZERS

    for name, (_, lr) in OPTIMIZERS.items():  # --lr's default depends on the optimizer
        assert f"{name} {lr:g}" in text.split("--lr LR ")[1].split(" --")[0]


def test_demo_without_a_name_lists_each_demo_with_a_line_on_what_it_shows(capsys):
    from chainrule.demos import DEMOS

    assert main(["demo"]) == 0
    lines = capsys.readouterr().out.splitlines()
    listed = {line.split()[0]: line.split(None, 1)[1] for line in lines[1:]}
    assert set(listed) == set(DEMOS)
    assert listed["vanishing"].startswith("Vanishing gradients: the same deep network")
    assert all(len(text) > 20 and "``" not in text for text in listed.values())
