"""`chainrule tune` in one process: the search space, pruning through a fit callback, the kept
best run, the retrain command, the report's findings, and the study's safety checks."""

import time

import numpy as np
import optuna
import pytest
from optuna.trial import TrialState, create_trial

from chainrule import nn, optim
from chainrule.cli import _parser, main
from chainrule.train import fit
from chainrule.train.run import evaluate_run, train_run
from chainrule.tune import SearchSpace, default_space, report, tune
from chainrule.tune import study as shared
from chainrule.tune.pruning import ReportToTrial

TINY = SearchSpace(depth=(0, 1), widths=(8, 16), batch_sizes=(64,), epochs=(2,),
                   optimizers=("adam", "sgd"))


def test_a_point_of_the_space_is_a_set_of_train_settings():
    space = SearchSpace(depth=(2, 2), widths=(32,), activations=("tanh", "relu"))
    settings = space.suggest(optuna.trial.FixedTrial(
        {"activation": "tanh", "optimizer": "adam", "lr": 0.01, "batch_size": 64}))
    assert settings == {"hidden": (32, 32), "activation": "tanh", "optimizer": "adam",
                        "lr": 0.01, "batch_size": 64, "epochs": 20}


def test_each_layer_width_is_its_own_parameter_and_single_choices_are_not_searched():
    study = optuna.create_study()
    trial = study.ask()
    settings = SearchSpace(depth=(3, 3), batch_sizes=(32,)).suggest(trial)
    assert set(trial.params) == {"width_1", "width_2", "width_3", "activation", "optimizer",
                                 "lr"}
    assert settings["batch_size"] == 32 and len(settings["hidden"]) == 3


def test_defaults_depend_on_the_data_set():
    assert max(default_space("moons").widths) < max(default_space("digits").widths)
    assert default_space("moons").epochs[0] > default_space("digits").epochs[0]
    assert max(default_space("mnist").widths) > max(default_space("digits").widths)


@pytest.mark.parametrize("kwargs, named", [
    ({"depth": (3, 1)}, "--depth"), ({"widths": (0, 8)}, "--widths"),
    ({"activations": ("relu", "swish")}, "--activations"), ({"lr": (0.1, 0.01)}, "--lr"),
    ({"optimizers": ()}, "--optimizers"), ({"batch_sizes": (-1,)}, "--batch-sizes")])
def test_a_bad_search_space_names_its_option(kwargs, named):
    with pytest.raises(ValueError, match=named):
        SearchSpace(**kwargs)


def test_the_command_line_rejects_bad_options_by_name(capsys):
    with pytest.raises(SystemExit):
        _parser().parse_args(["tune", "--depth", "one:three"])
    assert "--depth takes LOW:HIGH" in capsys.readouterr().err
    assert main(["tune", "--activations", "relu,swish", "--out", "/nonexistent/x"]) == 1
    assert "--activations: unknown ['swish']" in capsys.readouterr().err


def test_the_pruning_callback_stops_fit_when_the_pruner_says_so():
    # a pruner that judges every value below 2 hopeless: the trial stops after epoch 1
    study = optuna.create_study(direction="maximize",
                                pruner=optuna.pruners.ThresholdPruner(lower=2.0))
    trial = study.ask()
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)).astype(np.float32), rng.integers(0, 2, 40)
    model = nn.Sequential(nn.Linear(3, 2))
    callback = ReportToTrial(trial, "val_accuracy")
    with pytest.raises(optuna.TrialPruned):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y),
            val=0.25, epochs=5, callbacks=[callback], verbose=0)
    assert callback.pruned_at == 1
    assert list(study.trials[0].intermediate_values) == [1]


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    """A small search: 6 trials on the digits, in memory."""
    out = tmp_path_factory.mktemp("tune")
    import io

    lines = io.StringIO()
    study = tune(space=TINY, trials=6, storage="memory", out=str(out), stream=lines)
    return study, out, lines.getvalue()


def test_a_search_runs_the_trials_asked_and_prints_a_line_each(searched):
    study, _, lines = searched
    assert len(study.trials) == 6
    assert all(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in study.trials)
    assert [int(line.split()[1].split("/")[0]) for line in lines.splitlines()] == list(range(6))
    assert "val_accuracy" in lines


def test_each_trial_has_its_own_seed_and_all_share_the_data_split(searched):
    study, _, _ = searched
    seeds = [t.user_attrs["seed"] for t in study.trials]
    assert seeds == [1 + t.number for t in study.trials]


def test_the_best_trial_is_kept_as_an_ordinary_run_directory(searched):
    study, out, _ = searched
    best = study.best_trial
    # chainrule evaluate's own function on it gives the test score the trial recorded
    assert evaluate_run(str(out / "best")) == pytest.approx(best.user_attrs["test"])
    assert not list((out / "trials").iterdir())  # the other trials' runs were deleted


def test_the_printed_command_trains_the_best_settings_again(searched, tmp_path):
    study, _, _ = searched
    best = study.best_trial
    command = report.retrain_command(study, best, TINY)
    args = _parser().parse_args(command.split()[1:] + ["--out", str(tmp_path)])
    again = train_run(dataset=args.dataset, hidden=args.hidden, activation=args.activation,
                      optimizer=args.optimizer, lr=args.lr, epochs=args.epochs,
                      batch_size=args.batch_size, val_split=args.val_split, seed=args.seed,
                      data_seed=args.data_seed, out=args.out, verbose=0, plot=False)
    assert again["test"] == pytest.approx(best.user_attrs["test"], rel=1e-5)


def test_the_report_writes_the_table_the_figures_and_what_mattered(searched):
    study, out, _ = searched
    text = report.summarize(study, TINY, str(out))
    rows = (out / "trials.csv").read_text().splitlines()
    assert len(rows) == 7 and rows[0].startswith("trial,state,val_accuracy")
    assert rows[1].split(",")[0] == str(study.best_trial.number)  # best first
    assert "chainrule train --dataset digits" in text and "What mattered" in text
    for name in ("history.png", "intermediate.png", "best/curves.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def synthetic_study(score):
    """A finished study whose trial scores follow ``score(params)``."""
    study = optuna.create_study(direction="maximize")
    study.set_user_attr("chainrule", {"objective": "val_accuracy"})
    rng = np.random.default_rng(0)
    dists = {"depth": optuna.distributions.IntDistribution(1, 3),
             "activation": optuna.distributions.CategoricalDistribution(["relu", "sigmoid"]),
             "lr": optuna.distributions.FloatDistribution(1e-4, 0.3, log=True)}
    for i in range(24):
        params = {"depth": int(rng.integers(1, 4)),
                  "activation": ["relu", "sigmoid"][i % 2],
                  "lr": float(np.exp(rng.uniform(np.log(1e-4), np.log(0.3))))}
        study.add_trial(create_trial(params=params, distributions=dists,
                                     value=score(params) + 0.001 * rng.normal()))
    return study


def test_what_mattered_is_read_from_the_trials():
    by_activation = report.what_mattered(
        synthetic_study(lambda p: 0.9 if p["activation"] == "relu" else 0.3), TINY)
    assert "Activation mattered most" in by_activation
    assert ("All of the top 6 trials used activation relu; sigmoid (12 tries) never reached "
            "the top 6") in by_activation
    by_depth = report.what_mattered(synthetic_study(lambda p: 0.3 * p["depth"]), TINY)
    assert "Depth (hidden layers) mattered most" in by_depth
    assert "All of the top 6 trials used depth (hidden layers) 3" in by_depth


def test_a_worker_with_other_settings_cannot_join_the_study():
    storage = optuna.storages.InMemoryStorage()
    meta = {"data": {"dataset": "digits"}, "space": TINY.as_dict()}
    first = shared.prepare_study(storage, "s", meta, 3, "maximize", None, None)
    assert len(first.get_trials(states=(TrialState.WAITING,))) == 3  # the budget, queued
    other = dict(meta, space=SearchSpace().as_dict())
    with pytest.raises(ValueError, match="study 's' was started with other settings.*space"):
        shared.prepare_study(storage, "s", other, 3, "maximize", None, None)
    with pytest.raises(ValueError, match="trials: study has 3, this command 5"):
        shared.prepare_study(storage, "s", meta, 5, "maximize", None, None)


def test_no_trial_is_taken_past_the_budget():
    storage = optuna.storages.InMemoryStorage()
    study = shared.prepare_study(storage, "s", {}, 2, "maximize", None, None)
    taken = [shared.take_trial(study, storage, unlimited=False) for _ in range(3)]
    assert [t.number for t in taken[:2]] == [0, 1] and taken[2] is None
    assert len(study.trials) == 2


def test_a_trial_whose_heartbeat_stopped_is_failed_and_queued_again(tmp_path, monkeypatch):
    # the many-machines case: the worker ran elsewhere, so only its silence tells it died
    monkeypatch.setattr(shared, "HEARTBEAT_INTERVAL", 1)
    monkeypatch.setattr(shared, "GRACE_PERIOD", 1)
    storage = shared.open_storage(f"sqlite:///{tmp_path}/study.db", str(tmp_path))
    study = shared.prepare_study(storage, "s", {}, 1, "maximize", None, None)
    trial = shared.take_trial(study, storage, unlimited=False)
    TINY.suggest(trial)
    trial.set_user_attr("seed", 7)
    trial.set_user_attr("worker", {"host": "another-machine", "pid": 1})
    with shared.Heartbeat(study, storage, trial):
        pass  # one beat, then silence
    assert shared.recover_dead_trials(study, storage) == []  # still within its grace period
    time.sleep(2.5)  # the database's clock counts whole seconds
    assert shared.recover_dead_trials(study, storage) == [trial.number]
    failed, again = study.trials
    assert failed.state == TrialState.FAIL and again.state == TrialState.WAITING
    assert again.params == failed.params and again.user_attrs["seed"] == 7
    assert again.user_attrs["retry_of"] == failed.number


def test_hyperband_prunes_through_the_same_callback(tmp_path):
    import io

    space = SearchSpace(depth=(0, 1), widths=(8,), batch_sizes=(64,), epochs=(6,))
    study = tune(space=space, trials=8, pruner="hyperband", storage="memory", out=str(tmp_path),
                 stream=io.StringIO())
    assert isinstance(study.pruner, optuna.pruners.HyperbandPruner)
    assert len(study.trials) == 8
    # every trial reported its epochs to the pruner; those it stopped ended early
    assert all(t.intermediate_values for t in study.trials)
    assert any(t.state == TrialState.PRUNED for t in study.trials)  # seeded: 6 of 8 here
    for t in study.trials:
        if t.state == TrialState.PRUNED:
            assert max(t.intermediate_values) < 6
