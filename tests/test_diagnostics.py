"""Gradient-flow diagnostics: vanishing gradients through sigmoids, dead ReLUs, the callback."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.diagnostics import (
    GradientFlow,
    activation_stats,
    diagnose,
    layer_gradient_norms,
)
from chainrule.train import fit


def _deep(activation, depth=10, width=32):
    """A deep MLP initialised as the notes advise: Xavier for sigmoid, He for ReLU."""
    cr.manual_seed(0)
    layers = []
    for _ in range(depth):
        layer = nn.Linear(width, width)
        if activation is nn.ReLU:
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
        else:
            nn.init.xavier_normal_(layer.weight)
        nn.init.zeros_(layer.bias)
        layers += [layer, activation()]
    return nn.Sequential(*layers, nn.Linear(width, 1))


def _grad_norms(model):
    x = cr.randn(64, 32)
    target = np.random.default_rng(0).standard_normal((64, 1)).astype(np.float32)
    nn.MSELoss()(model(x), target).backward()
    return layer_gradient_norms(model)


def test_sigmoid_gradients_vanish_where_relu_gradients_do_not():
    sigmoid = list(_grad_norms(_deep(nn.Sigmoid)).values())
    relu = list(_grad_norms(_deep(nn.ReLU)).values())
    # each sigmoid layer multiplies the gradient by at most 0.25: ten of them leave ~1e-6
    assert sigmoid[0] / sigmoid[-1] < 1e-3
    assert relu[0] / relu[-1] > 1e-2
    assert sigmoid[0] < 1e-3 * relu[0]
    assert any("vanishing" in p for p in diagnose(_grad_norms(_deep(nn.Sigmoid))))
    assert not any("vanishing" in p for p in diagnose(_grad_norms(_deep(nn.ReLU))))


def test_dead_relus_are_counted_and_reported():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    model[0].bias.array[:6] = -100.0  # six of eight units never fire
    stats = activation_stats(model, np.random.default_rng(0).standard_normal((50, 4)))
    assert stats["1"]["dead"] == pytest.approx(6 / 8)
    assert any("dead" in p for p in diagnose({}, stats))


def test_saturated_sigmoids_are_counted():
    model = nn.Sequential(nn.Linear(2, 4), nn.Sigmoid())
    model[0].weight.array[...] = 100.0
    stats = activation_stats(model, np.ones((10, 2), np.float32))
    assert stats["1"]["saturated"] == 1.0


def test_exploding_and_nonfinite_gradients_are_reported():
    assert any("exploding" in p for p in diagnose({"0": 1e5, "2": 1.0}))
    assert any("non-finite" in p for p in diagnose({"0": float("nan"), "2": 1.0}))


def test_the_callback_records_every_epoch_and_warns():
    model = _deep(nn.Sigmoid, depth=8)
    X = np.random.default_rng(1).standard_normal((64, 32)).astype(np.float32)
    y = np.random.default_rng(2).standard_normal((64, 1)).astype(np.float32)
    flow = GradientFlow(model, probe=X[:16])
    with pytest.warns(RuntimeWarning, match="vanishing"):
        fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.01), (X, y), epochs=3,
            metrics=(), callbacks=[flow], verbose=0)
    assert flow.epochs == [1, 2, 3] and len(flow.grad_norms[0]) == 9
    assert "problems: vanishing" in flow.report()


def test_a_layer_with_zero_gradient_stays_visible_in_the_plot(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from chainrule import plotting
    from chainrule.diagnostics import plot_gradient_norms

    figures = []
    monkeypatch.setattr(plotting, "save_figure", lambda fig, path: figures.append(fig))
    flow = GradientFlow(warn=False)
    flow.epochs = [1, 2]
    flow.grad_norms = [{"0": 0.0, "2": 1.0}, {"0": 0.0, "2": 0.5}]  # layer 0: all ReLUs dead
    plot_gradient_norms(flow, tmp_path / "flow.png")
    (ax,) = figures[0].axes
    low, high = ax.get_ylim()
    for line in ax.get_lines():  # a log axis has no place for 0: the dead layer's line vanished
        y = line.get_ydata()
        assert ((low <= y) & (y <= high)).all(), line.get_label()
        assert ax.get_yscale() != "log" or (y > 0).all(), line.get_label()


def test_the_gradient_flow_plot_marks_whole_epochs_only(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from chainrule import plotting
    from chainrule.diagnostics import plot_gradient_norms

    figures = []
    monkeypatch.setattr(plotting, "save_figure", lambda fig, path: figures.append(fig))
    flow = GradientFlow(warn=False)
    flow.epochs = [1, 2]
    flow.grad_norms = [{"0": 0.1, "2": 1.0}, {"0": 0.2, "2": 0.5}]
    plot_gradient_norms(flow, tmp_path / "flow.png")
    (ax,) = figures[0].axes
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks)  # not epoch 1.2, 1.4, ...


def test_train_command_with_diagnostics_writes_the_gradient_flow(tmp_path):
    from chainrule.cli import main

    assert main(["train", "--epochs", "2", "--diagnostics", "--out", str(tmp_path),
                 "--quiet"]) == 0
    lines = (tmp_path / "gradient_flow.csv").read_text().splitlines()
    assert lines[0] == "epoch,1,3,5" and len(lines) == 3
    assert (tmp_path / "gradient_flow.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_gradient_flow_numbers_linear_layers_from_1_and_keeps_its_legend_off_the_curves():
    pytest.importorskip("matplotlib")
    from chainrule.diagnostics import gradient_norms_figure

    flow = GradientFlow(warn=False)
    flow.epochs = [1, 2, 3]
    flow.grad_norms = [{"0": 0.1, "2": 1.0, "4": 3.0}] * 3  # a Sequential's indices 0, 2, 4
    fig = gradient_norms_figure(flow)
    (ax,) = fig.axes
    # the vanishing demo's scheme: Linear layers 1..n from the input, module path beside
    assert [line.get_label() for line in ax.get_lines()] == [
        "layer 1 (module 0)", "layer 2 (module 2)", "layer 3 (module 4)"]
    fig.canvas.draw()
    legend, box = ax.get_legend().get_window_extent(), ax.get_window_extent()
    assert legend.x0 >= box.x1  # beside the axes, so over no curve
    flow.problems = [[]] * 3
    assert "layer  1 (module 0): 1.000e-01" in flow.report()
