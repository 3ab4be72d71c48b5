"""The playground's learning-rate schedules against torch.optim's, and live changes of the rate,
the schedule and the optimizer while training (docs/playground-protocol.md, "live")."""

import numpy as np
import pytest
import torch

from chainrule.playground.schedules import SCHEDULES
from chainrule.playground.session import Session
from chainrule.playground.settings import SCHEDULERS, SettingError

FAST = {"numSamples": 100, "gridSize": 10, "seed": 3}
# short schedules, so each changes the rate within the epochs run here
PARAMS = {"lrStepSize": 7, "lrGamma": 0.6, "lrMilestones": "5,12,12", "lrEpochs": 15,
          "lrStartFactor": 0.2, "lrPatience": 1}


def torch_schedule(name, lr):
    """torch.optim's scheduler for these settings, on one dummy parameter."""
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    p = {"step_size": 7, "gamma": 0.6}
    build = {
        "step": lambda: torch.optim.lr_scheduler.StepLR(opt, step_size=7, gamma=0.6),
        "multistep": lambda: torch.optim.lr_scheduler.MultiStepLR(opt, [5, 12, 12], gamma=0.6),
        "exponential": lambda: torch.optim.lr_scheduler.ExponentialLR(
            opt, gamma=p["gamma"] ** (1 / p["step_size"])),
        "cosine": lambda: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=15),
        "linear": lambda: torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.2,
                                                            end_factor=1.0, total_iters=15),
        "constant": lambda: torch.optim.lr_scheduler.ConstantLR(opt, factor=0.2, total_iters=15),
        "polynomial": lambda: torch.optim.lr_scheduler.PolynomialLR(opt, total_iters=15,
                                                                    power=1.0),
        "warmrestarts": lambda: torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=7),
        "plateau": lambda: torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.6,
                                                                      patience=1),
    }
    sched = build[name]()
    opt.step()  # torch warns about a schedule stepped before its optimizer (no grad: no change)
    return opt, sched


def lr_of(opt):
    return opt.param_groups[0]["lr"]


def test_the_schedule_table_offers_every_scheduler_the_settings_accept():
    assert set(SCHEDULERS) == set(SCHEDULES) | {"none"}


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_each_schedules_rate_in_the_frames_equals_torch_optims(name):
    s = Session({**FAST, **PARAMS, "scheduler": name, "learningRate": 0.5})
    opt, sched = torch_schedule(name, 0.5)
    rates, expected = [s.frame_header()["lr"]], [lr_of(opt)]
    for _ in range(30):
        s.train(epochs=1)
        rates.append(s.frame_header()["lr"])
        if name == "plateau":  # it steps on the test loss after each epoch
            sched.step(s.metrics()["testLoss"])
        else:
            sched.step()
        expected.append(lr_of(opt))
    np.testing.assert_allclose(rates, expected, rtol=1e-12)
    assert len(set(np.round(rates, 12))) > 1  # the schedule did change the rate here


def test_plateau_watches_the_test_loss_not_the_training_loss():
    s = Session({**FAST, "scheduler": "plateau", "lrPatience": 0, "lrGamma": 0.6,
                 "learningRate": 0.5})
    opt, sched = torch_schedule("plateau", 0.5)
    sched.patience = 0
    wrong_opt, wrong = torch_schedule("plateau", 0.5)
    wrong.patience = 0
    rates, by_test, by_train = [], [], []
    for _ in range(40):
        s.train(epochs=1)
        m = s.metrics()
        sched.step(m["testLoss"])
        wrong.step(m["trainLoss"])
        rates.append(s.lr)
        by_test.append(lr_of(opt))
        by_train.append(lr_of(wrong_opt))
    assert rates == pytest.approx(by_test, rel=1e-12)
    assert by_test != pytest.approx(by_train, rel=1e-12)  # the two choices differ on this run


@pytest.mark.parametrize(("key", "bad"), [
    ("lrStepSize", 0), ("lrStepSize", 2.5), ("lrGamma", 0), ("lrGamma", 1.0), ("lrGamma", "x"),
    ("lrEpochs", 0), ("lrEpochs", 100001), ("lrStartFactor", 0), ("lrStartFactor", 1.5),
    ("lrPatience", -1), ("lrMilestones", "0"), ("lrMilestones", "5,x"), ("lrMilestones", ""),
    ("lrMilestones", ",".join(["5"] * 11)), ("scheduler", "lambda"),
])
def test_schedule_parameters_out_of_range_are_refused_by_name(key, bad):
    s = Session(FAST)
    with pytest.raises(SettingError) as err:
        s.configure({key: bad})
    assert err.value.key == key and key in str(err.value)


@pytest.mark.parametrize("name", ["step", "cosine", "exponential", "linear", "multistep"])
def test_a_new_base_rate_rescales_the_schedule_in_place(name):
    s = Session({**FAST, **PARAMS, "scheduler": name, "learningRate": 0.5})
    opt, sched = torch_schedule(name, 0.5)
    for _ in range(9):
        s.train(epochs=1)
        sched.step()
    w = s.linears[0].weight.array.copy()
    assert s.configure({"learningRate": 0.2}) == (False, False)
    assert s.epoch == 9 and np.array_equal(s.linears[0].weight.array, w)
    # torch's schedule with the new base rate from the start: the rate now and every one after
    new_opt, new_sched = torch_schedule(name, 0.2)
    for _ in range(9):
        new_sched.step()
    assert s.lr == pytest.approx(lr_of(new_opt), rel=1e-12)
    assert s.lr == pytest.approx(lr_of(opt) * 0.4, rel=1e-12)
    for _ in range(12):
        s.train(epochs=1)
        new_sched.step()
        assert s.lr == pytest.approx(lr_of(new_opt), rel=1e-12)


def test_a_new_optimizer_keeps_the_weights_the_epoch_and_the_schedule_with_fresh_state():
    s = Session({**FAST, **PARAMS, "scheduler": "step", "optimizer": "adam",
                 "learningRate": 0.05})
    opt, sched = torch_schedule("step", 0.05)
    for _ in range(9):
        s.train(epochs=1)
        sched.step()
    assert s.optimizer.state  # Adam's moments
    weights = [p.array.copy() for p in s.model.parameters()]
    assert s.configure({"optimizer": "momentum"}) == (False, False)
    assert s.epoch == 9 and type(s.optimizer).__name__ == "Momentum"
    assert all(np.array_equal(p.array, w) for p, w in zip(s.model.parameters(), weights))
    assert not s.optimizer.state  # fresh: no velocity yet
    assert s.lr == pytest.approx(lr_of(opt), rel=1e-12)
    for _ in range(10):
        s.train(epochs=1)
        sched.step()
        assert s.lr == pytest.approx(lr_of(opt), rel=1e-12)


def test_a_new_optimizer_trains_on_from_the_same_weights_as_a_fresh_one_would():
    s = Session({**FAST, "optimizer": "adam", "learningRate": 0.05})
    s.train(epochs=5)
    twin = Session({**FAST, "optimizer": "rmsprop", "learningRate": 0.05})
    for p, q in zip(twin.model.parameters(), s.model.parameters()):
        p.array[...] = q.array
    twin.epoch = s.epoch
    s.configure({"optimizer": "rmsprop"})
    s.train(epochs=2)
    twin.train(epochs=2)
    for p, q in zip(s.model.parameters(), twin.model.parameters()):
        np.testing.assert_array_equal(p.array, q.array)


@pytest.mark.parametrize("name", ["step", "cosine", "multistep"])
def test_a_schedule_chosen_while_training_gives_its_rate_for_the_current_epoch(name):
    s = Session({**FAST, **PARAMS, "learningRate": 0.5})
    s.train(epochs=13)
    s.configure({"scheduler": name})
    opt, sched = torch_schedule(name, 0.5)
    for _ in range(13):
        sched.step()
    assert s.epoch == 13 and s.lr == pytest.approx(lr_of(opt), rel=1e-12)
    s.configure({"lrGamma": 0.3})  # a parameter changed: the schedule again, at this epoch
    assert s.lr < lr_of(opt) or name == "cosine"
    s.configure({"scheduler": "none"})
    assert s.lr == 0.5


def test_plateau_chosen_while_training_starts_from_the_base_rate():
    s = Session({**FAST, "learningRate": 0.5, "scheduler": "step", "lrStepSize": 2})
    s.train(epochs=6)
    assert s.lr < 0.5
    s.configure({"scheduler": "plateau"})
    assert s.lr == 0.5 and s.epoch == 6
