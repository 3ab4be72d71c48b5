"""Crash tests with real processes: `chainrule train` killed with SIGKILL at many points (during
a batch, between batches, while writing a checkpoint, run.json, the history or the final model,
and at random moments), then resumed with `--resume`. After every kill each file in the run
directory must be whole, and every run, however often killed, must end with the same files as
one that never was.

Kill points are placed with the crash-point hook (``chainrule/crashpoints.py``): the process
stops at the named point and waits there to be killed. The default suite kills at 24 points;
``pytest -m long`` at some 150 more, placed at random.
"""

import csv
import json
import os
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule.io.atomic import TEMP_FILE
from chainrule.nn import Module
from chainrule.train.run import STATUSES

EPOCHS = 4
TRAIN = ["--dataset", "moons", "--samples", "200", "--hidden", "8", "--epochs", str(EPOCHS),
         "--batch-size", "32", "--seed", "3", "--scheduler", "step", "--val-split", "0.2",
         "--checkpoint-every", "1"]
# 4 batches an epoch; each epoch writes checkpoint.safetensors; a run writes run.json at its
# start and end, then model.safetensors, history.csv, summary.txt and curves.png.
POINTS = ["mid-batch#1", "batch#2", "mid-batch#6", "write checkpoint.safetensors#1", "epoch#1",
          "batch#5", "write checkpoint.safetensors#2", "mid-batch#3", "write model.safetensors#1",
          "write history.csv#1", "write summary.txt#1", "write curves.png#1",
          "write run.json#1", "write run.json#1",  # a resumed run writes run.json once, last
          "mid-batch#9", "write checkpoint.safetensors#3", "batch#1", "epoch#2", "mid-batch#4",
          "batch#7", "write checkpoint.safetensors#1", "write model.safetensors#1"]
# seconds after the first crash point: wherever training is then (an epoch takes milliseconds)
DELAYS = [0.002, 0.01, 0.03]


def _start(out, stop_at=None):
    env = dict(os.environ, CHAINRULE_CRASHPOINTS="1")
    if stop_at:
        env["CHAINRULE_STOP_AT"] = stop_at
    resume = os.path.isfile(os.path.join(out, "run.json"))
    args = ["--resume", out] if resume else [*TRAIN, "--out", out]
    return subprocess.Popen([sys.executable, "-m", "chainrule", "train", "--quiet", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env=env)


def _run_until(out, stop_at=None, delay=None):
    """Run (or resume) the training in ``out``; kill it at ``stop_at``, or ``delay`` seconds
    after its first crash point. Returns "killed" or "finished"."""
    proc = _start(out, stop_at)
    timer = None
    try:
        lines = []
        for line in proc.stderr:
            lines.append(line)
            if line.startswith("@chainrule stopped"):
                proc.send_signal(signal.SIGKILL)
                break
            if delay is not None and timer is None and line.startswith("@chainrule"):
                timer = threading.Timer(delay, proc.send_signal, (signal.SIGKILL,))
                timer.start()
        code = proc.wait(timeout=120)
        if code == -signal.SIGKILL:
            return "killed"
        messages = [line for line in lines if not line.startswith("@chainrule")]
        assert code == 0, f"exit {code}: {messages[-5:]}"
        return "finished"
    finally:
        if timer is not None:
            timer.cancel()
        proc.stderr.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()


def _assert_whole(out, reference_history):
    """Every file in ``out`` is a whole version of itself (temporary files aside)."""
    if not os.path.isdir(out):
        return  # killed before it made its directory
    for name in os.listdir(out):
        path = os.path.join(out, name)
        if TEMP_FILE.fullmatch(name):
            continue  # an atomic write cut short: never became a file of the run
        if name == "run.json":
            info = json.loads(Path(path).read_text())
            assert info["status"] in STATUSES and "settings" in info
        elif name == "checkpoint.safetensors":
            state = cr.load(path)  # SHA-256 checked: a torn file is refused
            n = state["epoch"]
            # a whole version is one the uninterrupted run also had: same history so far
            assert state["history"]["history"]["loss"] == reference_history["loss"][:n]
        elif name == "model.safetensors":
            assert isinstance(cr.load(path), Module)
        elif name == "history.csv":
            rows = list(csv.reader(Path(path).read_text().splitlines()))
            assert rows[0][0] == "epoch" and all(len(r) == len(rows[0]) for r in rows)
            assert [float(r[1]) for r in rows[1:]] == pytest.approx(
                reference_history["loss"][:len(rows) - 1], rel=1e-5)
        elif name == "summary.txt":
            assert Path(path).read_text().endswith("\n")
        elif name == "curves.png":
            data = Path(path).read_bytes()
            assert data.startswith(b"\x89PNG") and data.endswith(b"IEND\xaeB`\x82")
        else:
            raise AssertionError(f"unexpected file {name} in the run directory")


def _assert_same_run(out, reference):
    got, want = cr.load(os.path.join(out, "model.safetensors")), cr.load(
        os.path.join(reference, "model.safetensors"))
    for (name, a), (_, b) in zip(got.state_dict().items(), want.state_dict().items()):
        np.testing.assert_array_equal(a.array, b.array, err_msg=name)
    for name in ("history.csv", "summary.txt"):
        assert Path(out, name).read_text() == Path(reference, name).read_text()
    info = json.loads(Path(out, "run.json").read_text())
    assert info["status"] == "finished"
    assert info["test"] == json.loads(Path(reference, "run.json").read_text())["test"]
    assert not [n for n in os.listdir(out) if TEMP_FILE.fullmatch(n)]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("reference"))
    assert _run_until(out) == "finished"
    history = cr.load(os.path.join(out, "checkpoint.safetensors"))["history"]["history"]
    return out, history


def _kill_and_resume(tmp_path, reference, kills):
    """Apply ``kills`` (("point", name) or ("delay", seconds)) one after another, each to the
    run in progress; a run that finishes is compared with the reference and a new one begins."""
    ref_dir, ref_history = reference
    runs, killed, cycle = [], 0, 0
    out = str(tmp_path / "run0")
    for kind, value in kills:
        outcome = _run_until(out, stop_at=value if kind == "point" else None,
                             delay=value if kind == "delay" else None)
        _assert_whole(out, ref_history)
        killed += outcome == "killed"
        if outcome == "finished":
            _assert_same_run(out, ref_dir)
            runs.append(out)
            cycle += 1
            out = str(tmp_path / f"run{cycle}")
    if os.path.isdir(out) and os.listdir(out):
        while _run_until(out) != "finished":
            pass
        _assert_same_run(out, ref_dir)
        runs.append(out)
    return killed, runs


def test_killed_runs_resume_to_the_same_files(tmp_path, reference, capsys):
    kills = [("point", p) for p in POINTS[:8]] + [("delay", d) for d in DELAYS] + [
        ("point", p) for p in POINTS[8:]]
    killed, runs = _kill_and_resume(tmp_path, reference, kills)
    with capsys.disabled():
        print(f"\ncrash test: {killed} SIGKILLs at {len(kills)} kill points, "
              f"{len(runs)} run(s) resumed to the reference's files")
    assert killed >= 20 and runs


@pytest.mark.long
def test_many_random_kills_resume_to_the_same_files(tmp_path, reference, capsys):
    rng = random.Random(13)
    kinds = ["mid-batch", "batch", "epoch", "write checkpoint.safetensors", "write run.json",
             "write model.safetensors", "write history.csv"]
    kills = []
    for _ in range(150):
        if rng.random() < 0.25:
            kills.append(("delay", rng.uniform(0.0, 0.05)))
        else:
            kind = rng.choice(kinds)
            top = {"mid-batch": 16, "batch": 16, "epoch": 4}.get(kind, 2 if "run.json" in kind
                                                                    else 4)
            kills.append(("point", f"{kind}#{rng.randint(1, top)}"))
    killed, runs = _kill_and_resume(tmp_path, reference, kills)
    with capsys.disabled():
        print(f"\ncrash soak: {killed} SIGKILLs at {len(kills)} kill points, "
              f"{len(runs)} run(s) resumed to the reference's files")
    assert killed >= 100
