"""The learning demos (xor, vanishing, optimizers, schedulers): the numbers behind each picture."""

import math

import numpy as np
import pytest

from chainrule import nn
from chainrule.demos import optimizers, schedulers, vanishing, xor
from chainrule.tensor import tensor

torch = pytest.importorskip("torch")


def _accuracy(model, X, y):
    logits = model(tensor(np.asarray(X, np.float32))).array.reshape(-1)
    return np.mean((logits > 0) == (np.asarray(y).reshape(-1) == 1))


# --- xor --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def gate():
    return xor.learn_gate()


def test_one_layer_cannot_learn_xor_but_a_hidden_layer_can(gate):
    X, y, results = gate
    single, _, reported_single = results["logistic regression"]
    net, _, reported_net = results["MLP 2-4-1 tanh"]
    assert _accuracy(single, X, y) <= 0.75
    assert _accuracy(net, X, y) == 1.0
    assert reported_single == _accuracy(single, X, y) and reported_net == 1.0


def test_logistic_regression_on_xor_ends_at_p_one_half_and_loss_ln2(gate):
    X, _, results = gate
    single, losses, _ = results["logistic regression"]
    p = 1 / (1 + np.exp(-single(tensor(X)).array))
    np.testing.assert_allclose(p, 0.5, atol=1e-3)
    assert losses[-1] == pytest.approx(math.log(2), abs=1e-4)


def test_on_the_noisy_cloud_a_line_gets_at_most_three_quadrants():
    X, y, results = xor.learn_cloud()
    assert _accuracy(results["logistic regression"][0], X, y) <= 0.75
    assert _accuracy(results["MLP 2-8-1 tanh"][0], X, y) >= 0.95


# --- vanishing gradients ----------------------------------------------------------------------

def test_sigmoid_first_layer_gets_at_least_100_times_less_gradient_than_relu():
    sigmoid = vanishing.run("sigmoid", epochs=2)
    relu = vanishing.run("relu", epochs=2)
    assert sigmoid["grad_norms"][0] * 100 <= relu["grad_norms"][0]
    # and within the sigmoid net, the first layer gets far less than the last
    assert sigmoid["grad_norms"][0] < 1e-3 * sigmoid["grad_norms"][-1]


def test_deep_nets_use_xavier_for_sigmoid_and_tanh_he_for_relu_and_zero_biases():
    for activation, std in (("sigmoid", math.sqrt(2 / 64)), ("tanh", math.sqrt(2 / 64)),
                            ("relu", math.sqrt(2 / 32))):
        model = vanishing.deep_net(activation)
        hidden = [m for m in model.modules() if isinstance(m, nn.Linear)][1:-1]
        weights = np.concatenate([m.weight.array.ravel() for m in hidden])
        assert weights.std() == pytest.approx(std, rel=0.05), activation
        assert all(not m.bias.array.any() for m in hidden)


def test_demo_gradient_norms_are_the_weight_gradients_of_one_backward():
    X, t = vanishing.problem()
    model = vanishing.deep_net("tanh", depth=3)
    norms = vanishing.gradient_norms(model, X, t)
    logits = model(tensor(X))
    loss = nn.BCEWithLogitsLoss()(logits, t)
    model.zero_grad()
    loss.backward()
    first = [m for m in model.modules() if isinstance(m, nn.Linear)][0]
    assert norms[0] == pytest.approx(np.linalg.norm(first.weight.grad.array))
    assert len(norms) == 4


# --- optimizers -------------------------------------------------------------------------------

TORCH_OPTIMIZERS = {
    "SGD": lambda p, lr: torch.optim.SGD(p, lr=lr),
    "Momentum": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9),
    "Nesterov": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9, nesterov=True),
    "AdaGrad": lambda p, lr: torch.optim.Adagrad(p, lr=lr),
    "RMSProp": lambda p, lr: torch.optim.RMSprop(p, lr=lr),
    "Adam": lambda p, lr: torch.optim.Adam(p, lr=lr),
}


def _torch_path(f, name, start, steps, lr):
    theta = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = TORCH_OPTIMIZERS[name]([theta], lr)
    points = [theta.detach().numpy().copy()]
    for _ in range(steps):
        opt.zero_grad()
        f(theta).backward()
        opt.step()
        points.append(theta.detach().numpy().copy())
    return np.array(points)


@pytest.mark.parametrize("surface", sorted(optimizers.SURFACES))
def test_every_drawn_path_matches_torch_optim_step_by_step(surface):
    s = optimizers.SURFACES[surface]
    paths = optimizers.surface_paths(surface)
    for label, name, lr in s["runs"]:
        expected = _torch_path(s["f"], name, s["start"], s["steps"], lr)
        np.testing.assert_allclose(paths[label][1], expected, rtol=1e-6, atol=1e-9,
                                   err_msg=label)


def test_two_basins_minima_are_where_the_gradient_vanishes_and_the_left_one_is_lower():
    glob, loc = optimizers.two_basins_minima()
    for point in (glob, loc):
        x = point[0]
        assert 4 * x**3 - 4 * x + 0.3 == pytest.approx(0, abs=1e-9)
        assert 12 * x**2 - 4 > 0  # a minimum, not the bump
    assert glob[0] < 0 < loc[0]
    assert optimizers.two_basins(glob) < optimizers.two_basins(loc)


def test_from_one_start_momentum_reaches_the_global_minimum_and_sgd_the_local():
    glob, loc = optimizers.two_basins_minima()
    paths = optimizers.surface_paths("two basins")
    ends = {label: p[-1] for label, (_, p) in paths.items()}
    for label in ("Momentum", "Nesterov"):
        assert np.linalg.norm(ends[label] - glob) < 1e-3, label
    for label in ("SGD", "AdaGrad", "RMSProp", "Adam"):
        assert np.linalg.norm(ends[label] - loc) < 1e-3, label
        assert optimizers.basin_reached(ends[label]) == "local"


def test_on_the_valley_momentum_beats_sgd_at_the_same_lr_and_at_nine_times_it():
    paths = optimizers.surface_paths("valley")
    dist = {label: np.linalg.norm(p[-1]) for label, (_, p) in paths.items()}
    lrs = {label: lr for label, (lr, _) in paths.items()}
    assert lrs["Momentum"] == lrs["SGD"] == lrs["Nesterov"]
    assert dist["Momentum"] < dist["SGD"] / 4
    assert dist["Nesterov"] < dist["SGD"] / 4
    assert dist["Momentum"] < dist["SGD, large lr"]
    # SGD at lr 0.02 shrinks x by (1 − 0.02·0.1) per step: after 80 steps x = −4.5·0.998⁸⁰
    assert paths["SGD"][1][-1, 0] == pytest.approx(-4.5 * 0.998**80)


def test_large_lr_sgd_zig_zags_across_the_valley():
    _, p = optimizers.surface_paths("valley")["SGD, large lr"]
    y = p[:12, 1]
    assert np.all(np.sign(y[1:]) == -np.sign(y[:-1]))  # y flips sign every step
    np.testing.assert_allclose(y[1:] / y[:-1], 1 - 0.18 * 10)


# --- schedulers -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def curves():
    return schedulers.schedule_curves()


def _curve(curves, prefix):
    (label,) = [k for k in curves if k.startswith(prefix)]
    return curves[label]


def test_plotted_rates_are_what_get_last_lr_gave_and_what_the_optimizer_used(curves):
    fig = schedulers.schedule_figure(curves)
    for ax, (label, make) in zip(fig.axes, schedulers.SCHEDULES.items()):
        reported, used = schedulers.lr_curve(make)
        np.testing.assert_array_equal(ax.lines[0].get_ydata(), reported, err_msg=label)
        np.testing.assert_array_equal(used, reported, err_msg=label)
        assert ax.get_title() == label


def test_step_lr_halves_at_each_boundary(curves):
    lrs = _curve(curves, "StepLR")
    t = np.arange(len(lrs))
    np.testing.assert_allclose(lrs, 0.1 * 0.5 ** (t // 10))
    assert lrs[10] == pytest.approx(lrs[9] / 2) and lrs[20] == pytest.approx(lrs[19] / 2)


def test_multistep_exponential_cosine_linear_and_lambda_follow_their_formulas(curves):
    t = np.arange(schedulers.EPOCHS)
    np.testing.assert_allclose(_curve(curves, "MultiStepLR"),
                               0.1 * 0.3 ** ((t >= 15).astype(int) + (t >= 25) + (t >= 35)))
    np.testing.assert_allclose(_curve(curves, "ExponentialLR"), 0.1 * 0.9**t)
    np.testing.assert_allclose(_curve(curves, "CosineAnnealingLR"),
                               0.001 + (0.1 - 0.001) * (1 + np.cos(np.pi * t / 40)) / 2)
    np.testing.assert_allclose(_curve(curves, "LinearLR"),
                               0.1 * (0.1 + 0.9 * np.minimum(t, 8) / 8))
    np.testing.assert_allclose(_curve(curves, "LambdaLR"), 0.1 / (1 + 0.2 * t))


def test_reduce_on_plateau_holds_while_improving_then_halves_every_patience_plus_one(curves):
    lrs = _curve(curves, "ReduceLROnPlateau")
    losses = [schedulers.plateauing_loss(t) for t in range(schedulers.EPOCHS)]
    best_epoch = int(np.argmin(losses))
    assert best_epoch == schedulers.PLATEAU_FROM - 1
    # the metric of epoch e is fed after epoch e; the 5th bad one (> patience 4) cuts the rate
    first_cut = best_epoch + schedulers.PATIENCE + 2
    expected = [0.1 * 0.5 ** max(0, (t - first_cut) // (schedulers.PATIENCE + 1) + 1)
                for t in range(schedulers.EPOCHS)]
    np.testing.assert_allclose(lrs, expected)


def test_plateau_label_sits_left_of_every_dashed_cut(curves):
    fig = schedulers.schedule_figure(curves)
    ax = fig.axes[-1]
    cuts = [line.get_xdata()[0] for line in ax.get_lines() if line.get_linestyle() == "--"]
    (label,) = [t for t in ax.texts if t.get_text().startswith("best")]
    assert cuts and label.get_position()[0] < min(cuts) - 5 and label.get_ha() == "left"


def test_optimizer_paths_show_adagrad_over_rmsprop_and_a_legend_for_every_marker():
    pytest.importorskip("matplotlib")
    from chainrule.plotting import new_figure

    ax = new_figure(6, 4).add_subplot()
    optimizers._draw_paths(ax, "valley", optimizers.surface_paths("valley"))
    lines = {line.get_label(): line for line in ax.get_lines()}
    adagrad, rmsprop = lines["AdaGrad (lr 0.5)"], lines["RMSProp (lr 0.05)"]
    assert adagrad.get_linestyle() == "--" and adagrad.get_zorder() > rmsprop.get_zorder()
    assert {"start", "end of a path", "minimum"} <= set(lines)
    assert "SGD (large lr 0.18)" in lines
    assert all(label.count("lr") <= 1 for label in lines)


def test_xor_maps_label_both_axes():
    pytest.importorskip("matplotlib")
    from chainrule.plotting import new_figure

    ax = new_figure(4, 4).add_subplot()
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    xor._probability_map(ax, xor.mlp(), X, np.array([0, 1, 1, 0]), 1.5, "untrained")
    assert ax.get_xlabel().startswith("x₁") and ax.get_ylabel().startswith("x₂")
