"""MultiplicativeLR, ConstantLR, PolynomialLR, CyclicLR, OneCycleLR, CosineAnnealingWarmRestarts,
SequentialLR and ChainedScheduler follow torch.optim.lr_scheduler step by step: the rates, the
cycled momentum (SGD's momentum, Adam's β₁) and the weights after every step, also when resumed
from a state_dict."""

import pytest
import torch
from optim_helpers import Bowl, compare_params, feed, make_params

import chainrule as cr
from chainrule import optim
from chainrule.optim import lr_scheduler

STEPS = 60
LRS = (0.1, 0.03)


def _pair(opt_name, opt_kwargs, foreach=None):
    """Our optimizer and torch's on the same parameters, in two groups of different rates."""
    bowl = Bowl()
    ours, theirs = make_params(bowl)

    def groups(params):
        return [{"params": params[:2], "lr": LRS[0]}, {"params": params[2:], "lr": LRS[1]}]

    opt = getattr(optim, opt_name)(groups(ours), **opt_kwargs, foreach=foreach)
    topt = getattr(torch.optim, opt_name)(groups(theirs), **opt_kwargs)
    return bowl, ours, theirs, opt, topt


def _assert_same(sched, tsched, opt, topt, what):
    for key in ("lr", "momentum", "betas"):
        mine = [g.get(key) for g in opt.param_groups]
        torchs = [g.get(key) for g in topt.param_groups]
        if key == "betas":
            mine = [b and b[0] for b in mine]
            torchs = [b and b[0] for b in torchs]
        # a group without the setting (SGD's betas) holds None on both sides; pytest.approx
        # refuses None in newer releases, so the numbers are compared apart
        assert [m is None for m in mine] == [t is None for t in torchs], f"{what}: {key}"
        mine = [m for m in mine if m is not None]
        torchs = [t for t in torchs if t is not None]
        assert mine == pytest.approx(torchs, rel=1e-12, abs=1e-300), f"{what}: {key}"
    assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-12, abs=1e-300), what


# (name, optimizer, its options, build(module, optimizer) -> scheduler, steps)
CASES = [
    ("MultiplicativeLR", "SGD", {},
     lambda m, o: m.MultiplicativeLR(o, lr_lambda=lambda e: 0.97), STEPS),
    ("MultiplicativeLR per group", "SGD", {},
     lambda m, o: m.MultiplicativeLR(o, lr_lambda=[lambda e: 0.9, lambda e: 1 + 0.01 * e]),
     STEPS),
    ("ConstantLR", "SGD", {}, lambda m, o: m.ConstantLR(o), STEPS),
    ("ConstantLR 0.5 for 12", "SGD", {},
     lambda m, o: m.ConstantLR(o, factor=0.5, total_iters=12), STEPS),
    ("PolynomialLR", "SGD", {}, lambda m, o: m.PolynomialLR(o), STEPS),
    ("PolynomialLR power 2 over 40", "SGD", {},
     lambda m, o: m.PolynomialLR(o, total_iters=40, power=2.0), STEPS),
    ("CyclicLR triangular, SGD momentum", "SGD", dict(momentum=0.9),
     lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=7), STEPS),
    ("CyclicLR triangular2 up 5 down 9", "SGD", dict(momentum=0.9),
     lambda m, o: m.CyclicLR(o, base_lr=[0.01, 0.001], max_lr=[0.2, 0.05], step_size_up=5,
                             step_size_down=9, mode="triangular2"), STEPS),
    ("CyclicLR exp_range, Adam beta1", "Adam", {},
     lambda m, o: m.CyclicLR(o, base_lr=0.001, max_lr=0.02, step_size_up=6, mode="exp_range",
                             gamma=0.97, base_momentum=0.85, max_momentum=0.95), STEPS),
    ("CyclicLR custom scale_fn, no momentum", "Adam", {},
     lambda m, o: m.CyclicLR(o, base_lr=0.001, max_lr=0.02, step_size_up=4,
                             scale_fn=lambda x: 0.9**x, scale_mode="iterations",
                             cycle_momentum=False), STEPS),
    ("OneCycleLR cos, SGD momentum", "SGD", dict(momentum=0.9),
     lambda m, o: m.OneCycleLR(o, max_lr=0.1, total_steps=STEPS), STEPS - 1),
    ("OneCycleLR linear three_phase, Adam", "Adam", {},
     lambda m, o: m.OneCycleLR(o, max_lr=[0.05, 0.01], epochs=6, steps_per_epoch=10,
                               pct_start=0.25, anneal_strategy="linear", three_phase=True),
     STEPS - 1),
    ("OneCycleLR no momentum", "Adam", {},
     lambda m, o: m.OneCycleLR(o, max_lr=0.05, total_steps=STEPS, cycle_momentum=False,
                               div_factor=10.0, final_div_factor=100.0), STEPS),
    ("CosineAnnealingWarmRestarts", "SGD", {},
     lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=10), STEPS),
    ("CosineAnnealingWarmRestarts T_mult 2 eta_min", "SGD", {},
     lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001), STEPS),
    ("SequentialLR warm-up then cosine", "SGD", {},
     lambda m, o: m.SequentialLR(o, [m.LinearLR(o, start_factor=0.1, total_iters=5),
                                     m.CosineAnnealingLR(o, T_max=30)], milestones=[5]), STEPS),
    ("SequentialLR three", "SGD", {},
     lambda m, o: m.SequentialLR(o, [m.ConstantLR(o, factor=0.5, total_iters=4),
                                     m.ExponentialLR(o, gamma=0.9),
                                     m.StepLR(o, step_size=5, gamma=0.5)],
                                 milestones=[8, 20]), STEPS),
    ("ChainedScheduler", "SGD", {},
     lambda m, o: m.ChainedScheduler([m.ConstantLR(o, factor=0.2, total_iters=6),
                                      m.ExponentialLR(o, gamma=0.95)]), STEPS),
    ("ChainedScheduler of a SequentialLR", "SGD", {},
     lambda m, o: m.ChainedScheduler(
         [m.SequentialLR(o, [m.LinearLR(o, total_iters=3), m.StepLR(o, step_size=4)],
                         milestones=[3]),
          m.MultiplicativeLR(o, lr_lambda=lambda e: 0.99)], optimizer=o), STEPS),
]
IDS = [case[0] for case in CASES]


def _run(case, resume_at=None, foreach=None, path=None):
    _, opt_name, opt_kwargs, build, steps = case
    bowl, ours, theirs, opt, topt = _pair(opt_name, opt_kwargs, foreach)
    sched, tsched = build(lr_scheduler, opt), build(torch.optim.lr_scheduler, topt)
    _assert_same(sched, tsched, opt, topt, "after construction")
    for step in range(1, steps + 1):
        feed(ours, theirs, bowl.grads([q.detach().numpy() for q in theirs]))
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
        _assert_same(sched, tsched, opt, topt, f"step {step}")
        compare_params(ours, theirs, f"step {step}")
        if step == resume_at:  # torch's order: build the scheduler, load the optimizer, then it
            saved_opt, saved_sched = opt.state_dict(), sched.state_dict()
            if path is not None:  # through a checkpoint file, as a resumed training reads it
                cr.save({"optimizer": saved_opt, "scheduler": saved_sched}, path)
                saved = cr.load(path)
                saved_opt, saved_sched = saved["optimizer"], saved["scheduler"]
            opt = getattr(optim, opt_name)(
                [{"params": ours[:2], "lr": 123.0}, {"params": ours[2:], "lr": 7.0}],
                **opt_kwargs, foreach=foreach)
            sched = build(lr_scheduler, opt)
            opt.load_state_dict(saved_opt)
            sched.load_state_dict(saved_sched)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_matches_torch_step_by_step(case):
    _run(case)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_resumed_from_state_dict_matches_torch(case):
    _run(case, resume_at=23)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_resumed_from_a_checkpoint_file_matches_torch(case, tmp_path):
    _run(case, resume_at=23, path=str(tmp_path / "checkpoint.safetensors"))


def test_warm_restarts_take_fractional_epochs_as_torch():
    for t_mult in (1, 2):
        _, ours, theirs, opt, topt = _pair("SGD", {})
        sched = lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=4, T_mult=t_mult, eta_min=0.01)
        tsched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(topt, T_0=4, T_mult=t_mult,
                                                                      eta_min=0.01)
        iters = 7
        for epoch in range(20):
            for i in range(iters):
                sched.step(epoch + i / iters)
                tsched.step(epoch + i / iters)
                _assert_same(sched, tsched, opt, topt, f"T_mult={t_mult} epoch {epoch} + {i}/7")
        for epoch in (0, 3.5, 4, 11.25, 30, 2):  # jumps, also backwards
            sched.step(epoch)
            tsched.step(epoch)
            _assert_same(sched, tsched, opt, topt, f"T_mult={t_mult} jump to {epoch}")


def test_one_cycle_refuses_to_step_past_total_steps():
    _, _, _, opt, _ = _pair("SGD", dict(momentum=0.9))
    sched = lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=3)
    for _ in range(3):
        sched.step()
    with pytest.raises(ValueError, match="total_steps is 3"):
        sched.step()


def _opt(name="SGD", **kw):
    return _pair(name, kw)[3]


BAD = [
    (lambda o: lr_scheduler.ConstantLR(o, factor=1.5), "factor"),
    (lambda o: lr_scheduler.PolynomialLR(o, total_iters=0), "total_iters"),
    (lambda o: lr_scheduler.MultiplicativeLR(o, lr_lambda=[lambda e: 1.0]), "lr_lambdas"),
    (lambda o: lr_scheduler.CyclicLR(o, 0.01, 0.1, mode="sawtooth"), "mode"),
    (lambda o: lr_scheduler.CyclicLR(o, [0.01], 0.1), "base_lr"),
    (lambda o: lr_scheduler.CyclicLR(o, 0.01, 0.1, step_size_up=0), "step_size_up"),
    (lambda o: lr_scheduler.OneCycleLR(o, 0.1), "total_steps"),
    (lambda o: lr_scheduler.OneCycleLR(o, 0.1, total_steps=-2), "total_steps"),
    (lambda o: lr_scheduler.OneCycleLR(o, 0.1, epochs=2, steps_per_epoch=0), "steps_per_epoch"),
    (lambda o: lr_scheduler.OneCycleLR(o, 0.1, total_steps=10, pct_start=1.5), "pct_start"),
    (lambda o: lr_scheduler.OneCycleLR(o, 0.1, total_steps=10, anneal_strategy="exp"),
     "anneal_strategy"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=0), "T_0"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0), "T_mult"),
    (lambda o: lr_scheduler.SequentialLR(o, [], milestones=[]), "at least one"),
    (lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.ConstantLR(o)], milestones=[3]),
     "milestones"),
    (lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.ReduceLROnPlateau(o)], milestones=[]),
     "ReduceLROnPlateau"),
    (lambda o: lr_scheduler.ChainedScheduler([lr_scheduler.ConstantLR(_opt())], optimizer=o),
     "another optimizer"),
]


@pytest.mark.parametrize("build, word", BAD, ids=[w for _, w in BAD])
def test_bad_arguments_are_named(build, word):
    with pytest.raises(ValueError, match=word):
        build(_opt())


def test_cycling_momentum_needs_an_optimizer_with_momentum():
    opt = _opt("Adagrad")
    with pytest.raises(ValueError, match="cycle_momentum"):
        lr_scheduler.OneCycleLR(opt, 0.1, total_steps=10)
    with pytest.raises(ValueError, match="cycle_momentum"):
        lr_scheduler.CyclicLR(opt, 0.01, 0.1)
    lr_scheduler.CyclicLR(opt, 0.01, 0.1, cycle_momentum=False)  # and without, it works
    assert [g["lr"] for g in opt.param_groups] == [0.01, 0.01]


@pytest.mark.parametrize("case", [c for c in CASES if c[0].startswith(("CyclicLR", "OneCycle"))],
                         ids=lambda c: c[0])
def test_momentum_cycles_reach_the_batched_optimizer_path(case):
    # foreach=True steps a group in one call; the cycled momentum must still reach it every step
    _run(case, resume_at=23, foreach=True)
