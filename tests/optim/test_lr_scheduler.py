"""Every schedule gives torch's learning rates epoch by epoch (two groups, 60 epochs)."""

import math

import numpy as np
import pytest
import torch
from optim_helpers import Bowl, continue_side_by_side, make_params

from chainrule import nn, optim
from chainrule.optim import lr_scheduler

EPOCHS = 60
LRS = (0.1, 0.03)


def _optimizers():
    ours = optim.SGD([{"params": [nn.Parameter(np.zeros(2))], "lr": lr} for lr in LRS])
    theirs = torch.optim.SGD([{"params": [torch.zeros(2, requires_grad=True)], "lr": lr}
                              for lr in LRS])
    return ours, theirs


def _assert_same_lrs(sched, tsched, opt, topt, what):
    expected = [g["lr"] for g in topt.param_groups]
    assert [g["lr"] for g in opt.param_groups] == pytest.approx(expected, rel=1e-12, abs=0), what
    assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-12, abs=0), what


SCHEDULES = [
    ("LambdaLR", dict(lr_lambda=lambda e: 0.95**e)),
    ("LambdaLR", dict(lr_lambda=[lambda e: 1 / (1 + e), lambda e: 1 + math.sin(e)])),
    ("StepLR", dict(step_size=7)),
    ("StepLR", dict(step_size=3, gamma=0.8)),
    ("MultiStepLR", dict(milestones=[10, 25, 25, 40], gamma=0.5)),
    ("ExponentialLR", dict(gamma=0.93)),
    ("CosineAnnealingLR", dict(T_max=60)),
    ("CosineAnnealingLR", dict(T_max=13, eta_min=0.001)),  # several rises and falls
    ("LinearLR", dict()),
    ("LinearLR", dict(start_factor=1.0, end_factor=0.1, total_iters=30)),
]


@pytest.mark.parametrize("name, kwargs", SCHEDULES, ids=str)
def test_schedule_matches_torch_for_60_epochs(name, kwargs):
    opt, topt = _optimizers()
    sched = getattr(lr_scheduler, name)(opt, **kwargs)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    _assert_same_lrs(sched, tsched, opt, topt, "after construction (epoch 0)")
    for epoch in range(1, EPOCHS + 1):
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
        _assert_same_lrs(sched, tsched, opt, topt, f"epoch {epoch}")


@pytest.mark.parametrize("name, kwargs", SCHEDULES[2:], ids=str)
def test_schedule_resumed_from_state_dict_matches_torch(name, kwargs):
    opt, topt = _optimizers()
    sched = getattr(lr_scheduler, name)(opt, **kwargs)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    for _ in range(20):
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
    saved_opt, saved_sched = opt.state_dict(), sched.state_dict()
    # torch's documented order: build the scheduler, then load the optimizer, then the scheduler
    opt, _ = _optimizers()
    sched = getattr(lr_scheduler, name)(opt, **kwargs)
    opt.load_state_dict(saved_opt)
    sched.load_state_dict(saved_sched)
    for epoch in range(21, EPOCHS + 1):
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
        _assert_same_lrs(sched, tsched, opt, topt, f"epoch {epoch}")


def test_constructing_a_scheduler_records_initial_lr():
    opt, _ = _optimizers()
    lr_scheduler.LinearLR(opt)
    assert [g["initial_lr"] for g in opt.param_groups] == list(LRS)
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([lr / 3 for lr in LRS])


def test_lambda_lr_multiplies_the_initial_rate_by_the_function_of_the_epoch():
    opt, _ = _optimizers()
    sched = lr_scheduler.LambdaLR(opt, lambda e: 1.0 / (e + 1))
    for _ in range(3):
        sched.step()
    assert sched.get_last_lr() == pytest.approx([lr / 4 for lr in LRS])


def test_training_with_a_schedule_follows_torch():
    # optimizer.step() each batch, scheduler.step() each epoch: each epoch steps at its own rate
    bowl = Bowl()
    ours, theirs = make_params(bowl)
    opt = optim.SGD(ours, lr=0.1, momentum=0.9)
    topt = torch.optim.SGD(theirs, lr=0.1, momentum=0.9)
    sched = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    tsched = torch.optim.lr_scheduler.StepLR(topt, step_size=2, gamma=0.5)
    for _ in range(6):
        continue_side_by_side(ours, theirs, opt, topt, bowl, steps=5)
        sched.step()
        tsched.step()


METRICS = np.concatenate([np.linspace(1.0, 0.5, 10), np.full(15, 0.5), 0.5 - 1e-5 * np.arange(10),
                          np.linspace(0.49, 0.3, 10), np.full(15, 0.3)])
PLATEAU = [
    dict(),
    dict(patience=2, factor=0.5),
    dict(patience=1, factor=0.5, cooldown=3, min_lr=0.01),
    dict(patience=2, factor=0.5, threshold=1e-3, threshold_mode="abs", min_lr=[0.02, 0.0]),
    dict(mode="max", patience=2, factor=0.3),
    dict(mode="max", patience=3, factor=0.3, threshold_mode="abs", eps=0.05),
]


@pytest.mark.parametrize("kwargs", PLATEAU, ids=str)
def test_reduce_lr_on_plateau_matches_torch_on_the_same_metrics(kwargs):
    opt, topt = _optimizers()
    sched = lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kwargs)
    metrics = METRICS if kwargs.get("mode", "min") == "min" else 2 - METRICS  # an accuracy
    lrs = []
    for epoch, metric in enumerate(metrics[:EPOCHS], 1):
        sched.step(metric)
        tsched.step(metric)
        _assert_same_lrs(sched, tsched, opt, topt, f"epoch {epoch}")
        lrs.append(sched.get_last_lr()[0])
    assert min(lrs) < LRS[0]  # the sequence does reduce the rate at least once


def test_reduce_lr_on_plateau_resumed_from_state_dict_matches_torch():
    opt, topt = _optimizers()
    kwargs = dict(patience=1, factor=0.5, cooldown=2)
    sched = lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kwargs)
    for metric in METRICS[:30]:
        sched.step(metric)
        tsched.step(metric)
    saved_opt, saved_sched = opt.state_dict(), sched.state_dict()
    opt, _ = _optimizers()
    sched = lr_scheduler.ReduceLROnPlateau(opt)
    opt.load_state_dict(saved_opt)
    sched.load_state_dict(saved_sched)
    for epoch, metric in enumerate(METRICS[30:], 31):
        sched.step(metric)
        tsched.step(metric)
        _assert_same_lrs(sched, tsched, opt, topt, f"epoch {epoch}")


def test_schedulers_only_change_lr():
    opt, _ = _optimizers()
    before = [{k: v for k, v in g.items() if k not in ("lr", "params")} for g in opt.param_groups]
    sched = lr_scheduler.StepLR(opt, step_size=1)
    sched.step()
    after = [{k: v for k, v in g.items() if k not in ("lr", "params", "initial_lr")}
             for g in opt.param_groups]
    assert after == before


# -- clear errors ----------------------------------------------------------------------------
def test_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="Optimizer"):
        lr_scheduler.StepLR([nn.Parameter(np.zeros(2))], step_size=2)
    with pytest.raises(TypeError, match="Optimizer"):
        lr_scheduler.ReduceLROnPlateau("sgd")


def test_lambda_lr_needs_one_function_per_group():
    opt, _ = _optimizers()
    with pytest.raises(ValueError, match="expected 2 lr_lambdas"):
        lr_scheduler.LambdaLR(opt, [lambda e: 1.0])


def test_resuming_without_initial_lr_is_an_error():
    opt, _ = _optimizers()
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.ExponentialLR(opt, gamma=0.9, last_epoch=5)


@pytest.mark.parametrize("kwargs, match", [
    (dict(factor=1.0), "factor"),
    (dict(mode="lowest"), "mode"),
    (dict(threshold_mode="relative"), "threshold_mode"),
    (dict(min_lr=[0.1]), "min_lrs"),
], ids=str)
def test_reduce_lr_on_plateau_rejects_bad_arguments(kwargs, match):
    opt, _ = _optimizers()
    with pytest.raises((ValueError, TypeError), match=match):
        lr_scheduler.ReduceLROnPlateau(opt, **kwargs)


def test_reduce_lr_on_plateau_step_needs_the_metric():
    opt, _ = _optimizers()
    with pytest.raises(TypeError, match="metric"):
        lr_scheduler.ReduceLROnPlateau(opt).step(None)


@pytest.mark.parametrize("kwargs", [dict(start_factor=0.0), dict(end_factor=1.5)], ids=str)
def test_linear_lr_rejects_factors_outside_their_range(kwargs):
    opt, _ = _optimizers()
    with pytest.raises(ValueError, match="factor"):
        lr_scheduler.LinearLR(opt, **kwargs)
