"""``chainrule.set_num_threads`` and ``get_num_threads``: torch's thread controls, for the BLAS."""

import builtins
import time

import numpy as np
import pytest

import chainrule as cr


@pytest.fixture
def restore_threads():
    before = cr.get_num_threads()
    yield
    cr.set_num_threads(before)


def test_the_count_set_is_the_count_read(restore_threads):
    cr.set_num_threads(1)
    assert cr.get_num_threads() == 1
    x = cr.randn(64, 64)
    assert (x @ x).shape == (64, 64)  # products still run


@pytest.mark.parametrize("bad, error", [(0, ValueError), (-2, ValueError), (1.5, TypeError),
                                        ("2", TypeError), (True, TypeError)])
def test_a_bad_count_is_refused_with_its_value(bad, error):
    with pytest.raises(error, match="set_num_threads.*" + repr(bad).strip("'")):
        cr.set_num_threads(bad)


def test_without_threadpoolctl_the_error_names_the_extra(monkeypatch):
    real_import = builtins.__import__

    def no_threadpoolctl(name, *args, **kwargs):
        if name == "threadpoolctl":
            raise ImportError("No module named 'threadpoolctl'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_threadpoolctl)
    with pytest.raises(ImportError, match=r"chainrule\[fast\]"):
        cr.set_num_threads(1)


# -- the thread count as a measured choice: ThreadCountTrial and fit(threads=...) ----------------
from chainrule.threads import ThreadCountTrial, default_candidates  # noqa: E402


def run_trial(trial, seconds_per_step):
    """Drive ``trial`` as fit does, with steps lasting ``seconds_per_step[thread count]``."""
    while not trial.done:
        trial.begin()
        time.sleep(seconds_per_step[cr.get_num_threads()])
        trial.end()


@pytest.mark.parametrize("fast", [1, 2])
def test_the_trial_keeps_the_count_whose_steps_were_fastest(restore_threads, fast):
    cr.set_num_threads(2)
    slow = 3 - fast
    trial = ThreadCountTrial((1, 2), rounds=3, per_turn=2)
    run_trial(trial, {fast: 0.001, slow: 0.006})
    assert trial.choice == fast
    assert cr.get_num_threads() == fast  # training goes on with the choice
    medians = trial.medians()
    assert set(medians) == {1, 2} and medians[fast] < medians[slow]
    assert all(len(t) == 3 * 2 for t in trial.times.values())
    assert f"training on with {fast}" in trial.summary()
    trial.close()
    assert cr.get_num_threads() == 2  # the count from before the trial


def test_the_trial_skips_the_warm_up_and_rotates_the_order_each_round():
    trial = ThreadCountTrial((1, 2, 4), warmup=2, rounds=3, per_turn=1)
    assert trial.schedule == [None, None, 1, 2, 4, 2, 4, 1, 4, 1, 2]


@pytest.mark.parametrize("cpus, counts", [(1, (1,)), (2, (1, 2)), (3, (1, 2, 3)),
                                          (6, (1, 2, 4, 6)), (8, (1, 2, 4, 8))])
def test_the_default_candidates_double_up_to_every_cpu(cpus, counts):
    assert default_candidates(cpus) == counts


@pytest.mark.parametrize("bad", [(), (0, 1)])
def test_bad_candidates_are_refused(bad):
    with pytest.raises(ValueError, match="candidates"):
        ThreadCountTrial(bad)


def _tiny_problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 8)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    model = cr.nn.Sequential(cr.nn.Linear(8, 16), cr.nn.ReLU(), cr.nn.Linear(16, 2))
    return model, cr.optim.SGD(model.parameters(), lr=0.1), (X, y)


class _CountsSeen(cr.train.Callback):
    def __init__(self):
        super().__init__()
        self.counts = []

    def on_epoch_end(self, epoch, logs):
        self.counts.append(cr.get_num_threads())


def test_fit_auto_measures_chooses_reports_and_gives_the_count_back(restore_threads):
    import io

    cr.set_num_threads(2)
    model, opt, data = _tiny_problem()
    seen, out = _CountsSeen(), io.StringIO()
    # 400 samples in batches of 16: 25 steps an epoch; the trial needs 2 + 5 rounds of turns
    history = cr.train.fit(model, cr.nn.CrossEntropyLoss(), opt, data, epochs=3, batch_size=16,
                     threads="auto", callbacks=[seen], stream=out, verbose=1)
    candidates = default_candidates(cr.threads.available_cpus())
    assert history.threads in candidates
    assert set(history.thread_seconds) == set(candidates)
    assert all(s > 0 for s in history.thread_seconds.values())
    assert f"training on with {history.threads}" in out.getvalue()
    assert seen.counts[-1] == history.threads  # trained on with the choice
    assert cr.get_num_threads() == 2  # and gave the count back after fit


def test_fit_shorter_than_the_trial_chooses_nothing_and_restores(restore_threads):
    cr.set_num_threads(2)
    model, opt, data = _tiny_problem()
    history = cr.train.fit(model, cr.nn.CrossEntropyLoss(), opt, data, epochs=1, batch_size=200,
                     threads="auto", verbose=0)
    assert history.threads is None and history.thread_seconds is None
    assert cr.get_num_threads() == 2


def test_fit_with_a_count_trains_with_it_and_gives_the_count_back(restore_threads):
    cr.set_num_threads(2)
    model, opt, data = _tiny_problem()
    seen = _CountsSeen()
    cr.train.fit(model, cr.nn.CrossEntropyLoss(), opt, data, epochs=2, threads=1, callbacks=[seen],
           verbose=0)
    assert seen.counts == [1, 1]
    assert cr.get_num_threads() == 2


@pytest.mark.parametrize("bad", [0, -1, 1.5, "two", True])
def test_fit_refuses_a_bad_thread_count_naming_it(bad):
    model, opt, data = _tiny_problem()
    with pytest.raises(ValueError, match="threads.*" + repr(bad).strip("'")):
        cr.train.fit(model, cr.nn.CrossEntropyLoss(), opt, data, epochs=1, threads=bad, verbose=0)


def test_a_count_no_faster_than_fewer_threads_is_not_taken(restore_threads):
    cr.set_num_threads(2)
    trial = ThreadCountTrial((1, 2), rounds=3, per_turn=2)
    run_trial(trial, {1: 0.01, 2: 0.01})  # the same time: the second thread buys nothing
    assert trial.choice == 1
    trial.close()
