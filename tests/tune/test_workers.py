"""Several `chainrule tune` worker processes share one study: on a real PostgreSQL server (the
many-machines case) and on one SQLite file (one machine). Together they run exactly the trials
asked for; a worker killed mid-trial (SIGKILL) costs nothing but a rerun of its trial."""

import os
import re
import signal
import subprocess
import sys
import time

import optuna
import pytest
from optuna.trial import TrialState
from postgres_server import postgres_url  # noqa: F401  (the session's server)

# tiny trials: digits, at most one hidden layer of 8 or 16, two epochs; learning rates and
# optimizers that never diverge, so that every trial finishes (a joining worker's sampler is
# not seeded, so its settings differ from run to run)
TINY = ["--dataset", "digits", "--depth", "0:1", "--widths", "8,16", "--batch-sizes", "64",
        "--epochs", "2", "--pruner", "none", "--optimizers", "sgd,adam", "--lr", "1e-3:0.05"]


def start_worker(out, trials, *extra):
    cmd = [sys.executable, "-m", "chainrule", "tune", *TINY, "--trials", str(trials),
           "--out", str(out), *extra]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)


def finish(proc, timeout=120):
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"worker failed ({proc.returncode}):\n{out}\n{err}"
    return out


def trials_run_by(output):
    """Trial numbers a worker's progress lines say it ran."""
    return [int(n) for n in re.findall(r"^trial (\d+)/\d+ ", output, re.M)]


def study_at(storage, name="chainrule-digits"):
    return optuna.load_study(study_name=name, storage=_storage(storage))


_STORAGES = {}  # one storage (one SQLAlchemy engine) per URL, however often a test polls


def _storage(url):
    if url not in _STORAGES:
        _STORAGES[url] = optuna.storages.RDBStorage(url)  # may fail while tables are created
    return _STORAGES[url]


@pytest.fixture(autouse=True, scope="module")
def _close_connections():
    """The engines' pooled connections closed here, not left to the collector (a
    ResourceWarning, an error under this suite's warnings filter, in whichever test ran then)."""
    yield
    for storage in _STORAGES.values():
        storage.engine.dispose()
    _STORAGES.clear()


def assert_shared_exactly(outputs, study, n):
    runs = [trials_run_by(o) for o in outputs]
    every = sorted(t for r in runs for t in r)
    assert every == list(range(n)), f"trials run, by worker: {runs}"  # none twice, none lost
    assert all(runs), f"a worker ran no trial: {runs}"  # the work was shared
    trials = study.get_trials()
    assert len(trials) == n  # no trial created past the budget
    assert all(t.state == TrialState.COMPLETE for t in trials)


def test_two_workers_share_one_postgres_study_and_run_exactly_the_trials_asked(
        tmp_path, postgres_url):  # noqa: F811
    # two machines: each its own output directory, one database; started together, so both
    # also race to create the study
    workers = [start_worker(tmp_path / name, 8, "--storage", postgres_url, "--study", "pg-share")
               for name in ("machine-a", "machine-b")]
    outputs = [finish(w) for w in workers]
    assert_shared_exactly(outputs, study_at(postgres_url, "pg-share"), 8)


def test_two_workers_on_one_machine_share_the_default_sqlite_study(tmp_path):
    out = tmp_path / "tune"  # the same --out: the default storage is OUT/study.db
    # trials long enough (about 0.5 s each) that the second worker, a second or two later to
    # start on a busy machine, finds work left: 2-epoch trials took 0.05 s and one worker ran all
    workers = [start_worker(out, 8, "--epochs", "60") for _ in range(2)]
    outputs = [finish(w) for w in workers]
    study = study_at(f"sqlite:///{out}/study.db")
    assert_shared_exactly(outputs, study, 8)
    # the kept best run is the study's best trial, whichever worker trained it
    import json

    with open(out / "best" / "trial.json") as f:
        assert json.load(f)["trial"] == study.best_trial.number
    assert not list((out / "trials").iterdir())  # the others were deleted


def wait_for(condition, what, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def running_trial_of(study, proc):
    """A trial ``proc`` is training (its settings chosen), or None."""
    for t in study.get_trials(states=(TrialState.RUNNING,)):
        if (t.user_attrs.get("worker") or {}).get("pid") == proc.pid and t.params:
            return t
    return None


def test_a_worker_killed_mid_trial_leaves_the_study_usable(tmp_path, postgres_url):  # noqa: F811
    name, n = "pg-kill", 12
    a = start_worker(tmp_path / "a", n, "--storage", postgres_url, "--study", name)
    b = start_worker(tmp_path / "b", n, "--storage", postgres_url, "--study", name)
    try:
        study = wait_for(lambda: _loaded(postgres_url, name), "the study")
        killed_a = wait_for(lambda: running_trial_of(study, a), "a trial of worker a")
        a.send_signal(signal.SIGKILL)
        a.wait()
        killed_at = time.time()
        # Optuna itself would leave that trial RUNNING for ever; the other worker goes on
        wait_for(lambda: [t for t in study.get_trials(states=(TrialState.COMPLETE,))
                          if (t.user_attrs.get("worker") or {}).get("pid") == b.pid
                          and t.datetime_start.timestamp() > killed_at], "b to finish a trial")
        killed_b = wait_for(lambda: running_trial_of(study, b), "a trial of worker b")
        b.send_signal(signal.SIGKILL)  # now nobody works on the study
        b.wait()
        # a restarted worker continues the same study: it fails the dead workers' trials,
        # runs them again and finishes the budget
        restarted = finish(start_worker(tmp_path / "a", n, "--storage", postgres_url,
                                        "--study", name))
    finally:
        for p in (a, b):
            if p.poll() is None:
                p.kill()
                p.wait()
            p.stdout.close()
            p.stderr.close()
    assert "its worker is gone" in restarted
    trials = study.get_trials()
    done = [t for t in trials if t.state == TrialState.COMPLETE]
    failed = [t for t in trials if t.state == TrialState.FAIL]
    assert len(done) == n  # the budget is met
    assert {t.number for t in failed} >= {killed_a.number, killed_b.number}
    assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    for killed in (killed_a, killed_b):
        # a failed trial's settings and seed ran again, as a new trial
        rerun = [t for t in done if t.user_attrs.get("retry_of") == killed.number]
        assert len(rerun) == 1
        # (it may have died before choosing all its settings: the rerun chooses the rest)
        assert study.trials[killed.number].params.items() <= rerun[0].params.items()
        assert rerun[0].user_attrs["seed"] == study.trials[killed.number].user_attrs["seed"]
    assert len(failed) + len(done) == len(trials)


def _loaded(storage, name):
    from sqlalchemy.exc import SQLAlchemyError

    try:
        study = study_at(storage, name)
    except (KeyError, SQLAlchemyError):  # not there yet, or its tables are being created
        return None
    return study if "chainrule" in study.user_attrs else None


# a digits trial of 30 epochs takes 0.3 s now, shorter than a signal's way on a busy machine
EPOCHS_TO_INTERRUPT = "250"


def _not_last(trial, n):
    return trial if trial is not None and trial.number < n - 1 else None


def test_a_search_stopped_with_ctrl_c_resumes_where_it_stopped(tmp_path):
    out, n = tmp_path / "tune", 4
    storage = f"sqlite:///{out}/study.db"
    worker = start_worker(out, n, "--epochs", EPOCHS_TO_INTERRUPT)
    try:
        study = wait_for(lambda: _loaded(storage, "chainrule-digits"), "the study")
        # not the last trial: on a loaded machine the signal may land a while after the check,
        # and a search that finished by then would rightly exit 0
        stopped = wait_for(lambda: _not_last(running_trial_of(study, worker), n),
                           "an early trial to start")
        worker.send_signal(signal.SIGINT)
        worker_output = worker.communicate(timeout=120)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == 130, worker_output  # "interrupted", as a shell reports Ctrl-C
    again = finish(start_worker(out, n, "--epochs", EPOCHS_TO_INTERRUPT))
    assert f"(rerun of trial {stopped.number})" in again
    trials = study_at(storage).get_trials()
    assert trials[stopped.number].state == TrialState.FAIL
    assert sum(t.state == TrialState.COMPLETE for t in trials) == n
    assert len(trials) == n + 1
