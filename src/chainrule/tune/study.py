"""The shared record of a search: one Optuna study that any number of workers add trials to.

A worker is one ``chainrule tune`` process; many can run the same command, on one machine or
many, against one storage:

- ``None``: SQLite in the output directory (one machine; a stopped search resumes);
- ``memory``: in this process only (nothing to resume);
- ``journal:PATH``: Optuna's journal file (one machine, or a shared file system);
- a database URL, e.g. ``postgresql+psycopg://user@host:5432/db`` (many machines).

Three rules keep the count of trials exact and the study usable when a worker dies:

1. The study is created once, with its trials: whoever creates it queues one WAITING trial per
   requested trial and then marks the study ready; a worker that finds the study waits for that
   mark. Two processes creating Optuna's tables at once crash one of them: a fresh SQLite file
   is set up under a file lock, and a database server's duplicate-key error is retried.
2. A worker takes a trial by switching a WAITING trial to RUNNING, which the storage does for
   one worker only; with none left it stops. No trial is created past the budget, so N queued
   trials are N trials run, whatever the number of workers.
3. A trial left RUNNING by a dead worker is failed and queued again with the same settings
   and seed, so the budget is still met. A dead worker is found two ways: on the same machine,
   its process id no longer runs; on a database, its heartbeat stopped (``GRACE_PERIOD``).
"""

import contextlib
import json
import os
import socket
import threading
import time

HEARTBEAT_INTERVAL = 5   # seconds between a running trial's heartbeats (database storages)
GRACE_PERIOD = 60        # a trial silent this long is taken for dead
CREATE_WAIT = 60        # seconds to wait for another worker to create Optuna's tables
READY_WAIT = 60          # seconds a joining worker waits for the creator to queue the trials
_META = "chainrule"      # the study's user attribute that holds what the search is


def open_storage(storage, out):
    """An Optuna storage from the ``--storage`` value (see the module docstring)."""
    import optuna

    if storage == "memory":
        return optuna.storages.InMemoryStorage()
    if storage is None:
        storage = "sqlite:///" + os.path.abspath(os.path.join(out, "study.db"))
    if storage.startswith("journal:"):
        from optuna.storages.journal import JournalFileBackend

        path = storage[len("journal:"):]
        return optuna.storages.JournalStorage(JournalFileBackend(path))
    if "://" not in storage:
        raise ValueError(f"--storage {storage!r}: give a database URL (sqlite:///path.db, "
                         "postgresql+psycopg://user@host:port/db), journal:PATH or memory")
    sqlite_file = storage.startswith("sqlite:///") and storage != "sqlite:///:memory:"
    engine_kwargs = {}
    if sqlite_file:
        engine_kwargs = {"creator": _sqlite_connector(storage[len("sqlite:///"):])}
    with _create_lock(storage):
        opened = _rdb_storage(storage, engine_kwargs)
    if sqlite_file:
        _begin_immediate(opened.engine)
    return opened


def _sqlite_connector(path):
    """Connections to a SQLite file shared by the processes of one machine.

    Each trial commits a dozen small writes. In SQLite's default mode every commit waits for the
    disk (fsync): on this busy machine a 10-trial search took 38 s, and 13 s in write-ahead-log
    mode with synchronous=NORMAL, where a commit waits only at checkpoints (one run each). The
    file stays consistent; a power cut can lose the last trials' records. A writer's lock is
    waited for (timeout) instead of failing at SQLite's 5 s.
    """
    import sqlite3

    def connect():
        # isolation_level=None: the driver starts no transaction of its own (_begin_immediate)
        connection = sqlite3.connect(path, timeout=120, check_same_thread=False,
                                     isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection

    return connect


def _begin_immediate(engine):
    """Start every transaction on the SQLite file as a writer.

    Optuna reads and then writes in one transaction. Begun as a reader (SQLite's default), such
    a transaction cannot become a writer once another process has written meanwhile: SQLite
    fails it at once with "database is locked", without waiting. A worker died of this mid-trial
    when two shared a file on a busy machine. Taking the write lock at the start makes the
    others wait their turn instead.
    """
    from sqlalchemy import event

    @event.listens_for(engine, "begin")
    def begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _rdb_storage(url, engine_kwargs):
    import inspect

    import optuna

    # Optuna 5 renamed the argument; the callback is the same either way.
    params = inspect.signature(optuna.storages.RDBStorage).parameters
    callback = ("heartbeat_stale_trial_callback" if "heartbeat_stale_trial_callback" in params
                else "failed_trial_callback")
    from sqlalchemy.exc import IntegrityError, ProgrammingError

    deadline = time.monotonic() + CREATE_WAIT
    while True:
        try:
            with _quiet_experimental():
                return optuna.storages.RDBStorage(
                    url, engine_kwargs=engine_kwargs, heartbeat_interval=HEARTBEAT_INTERVAL,
                    grace_period=GRACE_PERIOD, **{callback: queue_again})
        except ImportError:
            raise
        except (IntegrityError, ProgrammingError) as e:
            # Workers that open a fresh PostgreSQL database at once all create Optuna's tables;
            # all but one fail, with a duplicate key (pg_type_typname_nsp_index) or "relation
            # already exists" (both seen). Once the winner has committed, opening finds them.
            racing = any(s in str(e) for s in ("already exists", "duplicate key"))
            if not racing or time.monotonic() > deadline:
                raise ValueError(f"--storage {_hide_password(url)}: cannot create Optuna's "
                                 f"tables: {_first_line(e)}") from None
            time.sleep(0.5)
        except Exception as e:  # SQLAlchemy's errors say much, and first what the driver said
            raise ValueError(f"--storage {_hide_password(url)}: cannot open it: "
                             f"{_first_line(e)}") from None


def _first_line(error):
    return str(error).strip().splitlines()[0]


def _hide_password(url):
    head, sep, tail = url.partition("@")
    if not sep or ":" not in head.split("//", 1)[-1]:
        return url
    scheme, _, user = head.partition("//")
    return f"{scheme}//{user.split(':')[0]}:***@{tail}"


@contextlib.contextmanager
def _quiet_experimental():
    import warnings

    import optuna

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        yield


@contextlib.contextmanager
def _create_lock(url):
    """Hold a lock next to a local SQLite file while its tables are created (rule 1)."""
    path = url.split("///", 1)[1] if url.startswith("sqlite:///") else None
    if not path or path == ":memory:":
        yield
        return
    import fcntl

    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    with open(path + ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def prepare_study(storage, name, meta, n_trials, direction, sampler, pruner):
    """Create the study with its ``n_trials`` queued trials, or join it (rule 1).

    ``meta`` describes the search (data set, objective, space); a worker whose command differs
    from the creator's is told so instead of mixing two searches in one study.
    """
    import optuna

    meta = dict(meta, trials=n_trials)
    with _quiet_experimental():
        try:
            study = optuna.create_study(storage=storage, study_name=name, direction=direction,
                                        sampler=sampler, pruner=pruner)
        except optuna.exceptions.DuplicatedStudyError:
            if sampler is not None:
                # The creator's sampler is seeded (one worker alone repeats its search exactly);
                # a joining worker seeded alike would propose the creator's settings again.
                sampler.reseed_rng()
            study = optuna.load_study(study_name=name, storage=storage, sampler=sampler,
                                      pruner=pruner)
            _check_same_search(study, name, _wait_until_ready(study, name), meta)
            return study
    for _ in range(n_trials or 0):
        study.enqueue_trial({})
    study.set_user_attr(_META, meta)  # last: the mark that the queue is complete
    return study


def _wait_until_ready(study, name):
    deadline = time.monotonic() + READY_WAIT
    while True:
        meta = study.user_attrs.get(_META)
        if meta is not None:
            return meta
        if time.monotonic() > deadline:
            raise ValueError(f"study {name!r} exists but was never set up by chainrule tune "
                             "(its creator stopped early, or another program made it); use "
                             "another --study name")
        time.sleep(0.5)


def _check_same_search(study, name, found, wanted):
    differ = sorted(k for k in set(found) | set(wanted) if found.get(k) != wanted.get(k))
    if differ:
        shown = "; ".join(f"{k}: study has {json.dumps(found.get(k))}, this command "
                          f"{json.dumps(wanted.get(k))}" for k in differ)
        raise ValueError(f"study {name!r} was started with other settings ({shown}); run the "
                         "same command as the other workers, or use another --study name")


def take_trial(study, storage, unlimited):
    """A trial for this worker, or None when the budget is spent (rule 2)."""
    import optuna
    from optuna.trial import TrialState

    study_id = storage.get_study_id_from_name(study.study_name)
    for waiting in study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
        trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, waiting.number)
        try:
            if storage.set_trial_state_values(trial_id, state=TrialState.RUNNING):
                break
        except optuna.exceptions.UpdateFinishedTrialError:
            continue  # another worker took it and finished it meanwhile
    else:
        if not unlimited:
            return None
        return _mark_mine(study.ask())
    return _mark_mine(optuna.Trial(study, trial_id))


def _mark_mine(trial):
    trial.set_user_attr("worker", {"host": socket.gethostname(), "pid": os.getpid()})
    return trial


def recover_dead_trials(study, storage):
    """Fail and queue again the trials whose worker died (rule 3); their numbers."""
    import optuna
    from optuna.trial import TrialState

    before = {t.number for t in study.get_trials(deepcopy=False, states=(TrialState.FAIL,))}
    with _quiet_experimental():
        optuna.storages.fail_stale_trials(study)  # the storage's callback queues them again
    recovered = [t.number for t in study.get_trials(deepcopy=False, states=(TrialState.FAIL,))
                 if t.number not in before]
    study_id = storage.get_study_id_from_name(study.study_name)
    host = socket.gethostname()
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        worker = t.user_attrs.get("worker") or {}
        if worker.get("host") != host or _alive(worker.get("pid")):
            continue
        trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, t.number)
        try:
            failed = storage.set_trial_state_values(trial_id, state=TrialState.FAIL)
        except optuna.exceptions.UpdateFinishedTrialError:
            failed = False  # another worker saw it first
        if failed:
            queue_again(study, t)
            recovered.append(t.number)
    return recovered


def _alive(pid):
    if not pid or pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    try:  # a killed child its parent has not reaped yet is a zombie: dead all the same
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def queue_again(study, trial):
    """Queue a dead worker's trial again: the same settings and seed, a new trial number."""
    import optuna
    from optuna.trial import TrialState

    attrs = {k: v for k, v in trial.user_attrs.items() if k != "worker"}
    attrs["retry_of"] = trial.user_attrs.get("retry_of", trial.number)
    study.add_trial(optuna.trial.create_trial(
        state=TrialState.WAITING, params=trial.params, distributions=trial.distributions,
        user_attrs=attrs))


class Heartbeat:
    """Tell a database storage every few seconds that this trial is still being worked on."""

    def __init__(self, study, storage, trial):
        self._beat = None
        if getattr(storage, "get_heartbeat_interval", lambda: None)():
            study_id = storage.get_study_id_from_name(study.study_name)
            trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, trial.number)
            self._beat = lambda: storage.record_heartbeat(trial_id)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            with contextlib.suppress(Exception):  # a missed beat is retried; the trial goes on
                self._beat()
            self._stop.wait(HEARTBEAT_INTERVAL)

    def __enter__(self):
        if self._beat is not None:
            self._thread.start()
        return self

    def __exit__(self, *exc):
        if self._beat is not None:
            self._stop.set()
            self._thread.join()
