"""Optimizers on a map: the paths SGD, Momentum, Nesterov, AdaGrad, RMSProp and Adam take.

The parameters are one 2-element ``Parameter`` θ = (x, y); each step is the training loop in
miniature: ``zero_grad()``, f(θ).backward(), ``step()`` with the library's own optimizer. Two
surfaces show two lessons:

- a long narrow valley f = 0.05·x² + 5·y² (curvatures 0.1 and 10): a learning rate small
  enough for the steep y direction crawls along the flat x direction. Plain SGD bounces across
  the valley and creeps along it; momentum adds up the consistent x gradients and travels fast.
  AdaGrad, RMSProp and Adam divide each coordinate by its own gradient size, which undoes this
  (axis-aligned) stretching.
- two basins f = (x² − 1)² + 0.3·x + y²: a shallow local minimum near x = +1 and the global
  one near x = −1, a bump between them. From the same start on the right, some optimizers
  settle in the nearer, shallow basin; momentum's velocity carries others over the bump.
"""

import numpy as np

from .. import optim
from ..nn import Parameter
from ._figure import new_figure, save

OPTIMIZERS = {
    "SGD": optim.SGD,
    "Momentum": optim.Momentum,
    "Nesterov": optim.Nesterov,
    "AdaGrad": optim.Adagrad,
    "RMSProp": optim.RMSprop,
    "Adam": optim.Adam,
}
COLOURS = {"SGD": "#d62728", "Momentum": "#1f77b4", "Nesterov": "#17becf",
           "AdaGrad": "#9467bd", "RMSProp": "#ff7f0e", "Adam": "#2ca02c"}


def valley(theta):
    x, y = theta[0], theta[1]
    return 0.05 * x**2 + 5 * y**2


def two_basins(theta):
    x, y = theta[0], theta[1]
    return (x**2 - 1) ** 2 + 0.3 * x + y**2


def two_basins_minima():
    """The two minima of ``two_basins``: (global, local) points, from f'(x) = 4x³ − 4x + 0.3."""
    roots = np.sort(np.roots([4.0, 0.0, -4.0, 0.3]).real)
    return np.array([roots[0], 0.0]), np.array([roots[2], 0.0])  # roots[1] is the bump


# Per surface: the start, the number of steps, and the runs as (label, optimizer, lr). SGD and
# the two momentum methods share one rate so they can be compared; the adaptive methods take
# steps of about lr whatever the gradient's size, so they get rates of their own.
SURFACES = {
    "valley": {
        "f": valley, "start": (-4.5, 1.0), "steps": 80, "minimum": np.array([0.0, 0.0]),
        "runs": [("SGD", "SGD", 0.02), ("SGD, large lr", "SGD", 0.18),
                 ("Momentum", "Momentum", 0.02), ("Nesterov", "Nesterov", 0.02),
                 ("AdaGrad", "AdaGrad", 0.5), ("RMSProp", "RMSProp", 0.05),
                 ("Adam", "Adam", 0.1)],
        "title": "valley f = 0.05·x² + 5·y²", "xlim": (-5, 1.5), "ylim": (-1.3, 1.3),
    },
    "two basins": {
        "f": two_basins, "start": (1.7, 0.8), "steps": 200, "minimum": two_basins_minima()[0],
        "runs": [("SGD", "SGD", 0.03), ("Momentum", "Momentum", 0.03),
                 ("Nesterov", "Nesterov", 0.03), ("AdaGrad", "AdaGrad", 0.3),
                 ("RMSProp", "RMSProp", 0.03), ("Adam", "Adam", 0.1)],
        "title": "two basins f = (x² − 1)² + 0.3·x + y²", "xlim": (-1.9, 2.0),
        "ylim": (-1.3, 1.3),
    },
}
COLOURS["SGD, large lr"] = "#e377c2"
# AdaGrad's path runs along RMSProp's: drawn dashed and on top, the orange shows between dashes
STYLES = {"AdaGrad": {"ls": "--", "lw": 2.0, "zorder": 4}}


def legend_label(name, lr):
    """``SGD (lr 0.02)``; a run already named after its rate says it once: ``SGD (large lr
    0.18)``."""
    if name.endswith(", large lr"):
        return f"{name[:-len(', large lr')]} (large lr {lr:g})"
    return f"{name} (lr {lr:g})"


def optimizer_path(f, name, start, steps, lr):
    """The points θ₀, θ₁, … θ_steps that optimizer ``name`` visits on ``f`` (an array)."""
    theta = Parameter(np.array(start, dtype=np.float64))
    optimizer = OPTIMIZERS[name]([theta], lr=lr)
    points = [theta.array.copy()]
    for _ in range(steps):
        optimizer.zero_grad()
        f(theta).backward()
        optimizer.step()
        points.append(theta.array.copy())
    return np.array(points)


def surface_paths(surface):
    """{run label: (lr, path)} for every run on one of ``SURFACES``."""
    s = SURFACES[surface]
    return {label: (lr, optimizer_path(s["f"], name, s["start"], s["steps"], lr))
            for label, name, lr in s["runs"]}


def basin_reached(point):
    """'global' or 'local': which minimum of ``two_basins`` the point ``point`` is nearest."""
    glob, loc = two_basins_minima()
    return "global" if np.linalg.norm(point - glob) < np.linalg.norm(point - loc) else "local"


def _f_on_grid(f, xlim, ylim):
    gx, gy = np.meshgrid(np.linspace(*xlim, 300), np.linspace(*ylim, 240))
    # the surfaces are written with tensor-style indexing, which a stacked array supports too
    return gx, gy, f(np.stack([gx, gy]))


def _draw_paths(ax, surface, paths):
    s = SURFACES[surface]
    gx, gy, fz = _f_on_grid(s["f"], s["xlim"], s["ylim"])
    levels = np.quantile(fz, np.linspace(0, 1, 25) ** 2)  # denser near the minima
    ax.contourf(gx, gy, fz, levels=levels, cmap="Greys_r", alpha=0.35)
    ax.contour(gx, gy, fz, levels=levels, colors="#888888", linewidths=0.5)
    for name, (lr, p) in paths.items():
        style = {"ls": "-", "lw": 1.2, "zorder": 3, **STYLES.get(name, {})}
        ax.plot(p[:, 0], p[:, 1], marker="o", color=COLOURS[name], ms=2.5,
                label=legend_label(name, lr), **style)
        ax.plot(*p[-1], "o", color=COLOURS[name], ms=8, mec="black", zorder=style["zorder"])
    ax.plot(*s["start"], "k*", ms=14, label="start")
    # proxies: the legend explains the two markers drawn without a label
    ax.plot([], [], "o", color="white", ms=8, mec="black", label="end of a path")
    ax.plot([], [], "kx", ms=10, mew=2, label="minimum")
    ax.set_xlim(*s["xlim"])
    ax.set_ylim(*s["ylim"])
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(f"{s['title']}: {s['steps']} steps each", fontsize=10)


def demo(out_dir):
    valley_paths = surface_paths("valley")
    basin_paths = surface_paths("two basins")
    glob, loc = two_basins_minima()
    fig = new_figure(15, 10)
    ax = fig.add_subplot(2, 2, 1)
    _draw_paths(ax, "valley", valley_paths)
    ax.plot(0, 0, "kx", ms=10, mew=2, zorder=5)  # above the end circles
    ax.legend(fontsize=8, loc="lower right")
    ax = fig.add_subplot(2, 2, 2)
    for name, (_, p) in valley_paths.items():
        style = {k: v for k, v in STYLES.get(name, {}).items() if k in ("ls", "zorder")}
        ax.plot(np.linalg.norm(p, axis=1), color=COLOURS[name], label=name, **style)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("distance to the minimum (0, 0)")
    ax.set_title("valley: how close each optimizer gets", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax = fig.add_subplot(2, 2, 3)
    _draw_paths(ax, "two basins", basin_paths)
    for point, label in ((glob, "global minimum"), (loc, "local minimum")):
        ax.plot(*point, "kx", ms=10, mew=2, zorder=5)
        ax.annotate(f"{label}\nf = {two_basins(point):.3f}", point, xytext=(0, -34),
                    textcoords="offset points", ha="center", fontsize=8)
    ax.legend(fontsize=8, loc="upper left")
    ax = fig.add_subplot(2, 2, 4)
    for name, (_, p) in basin_paths.items():
        style = {k: v for k, v in STYLES.get(name, {}).items() if k in ("ls", "zorder")}
        ax.plot(two_basins(p.T), color=COLOURS[name], label=name, **style)
    for point, label in ((glob, "global minimum"), (loc, "local minimum")):
        ax.axhline(two_basins(point), color="black", ls=":", lw=1)
        ax.text(SURFACES["two basins"]["steps"], two_basins(point), label, ha="right",
                va="bottom", fontsize=8)
    ax.set_xlabel("step")
    ax.set_ylabel("f(x, y)")
    start_f = two_basins(np.array(SURFACES["two basins"]["start"]))
    ax.set_ylim(-0.6, 2.0)  # the first steps fall from f = start_f, off the top
    ax.set_title(f"two basins: the value of f along each path (from f = {start_f:.2f} at the "
                 "start)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    path = save(fig, out_dir, "optimizers.png")

    s = SURFACES["valley"]
    lines = [f"{path}: the paths of six optimizers, each stepping a 2-element Parameter with "
             "gradients from backward.", "",
             f"{s['title']}, start {s['start']}, {s['steps']} steps, minimum at (0, 0):"]
    for name, (lr, p) in valley_paths.items():
        lines.append(f"  {name:14s} lr {lr:<5g} ends at ({p[-1, 0]:+.4f}, {p[-1, 1]:+.4f}), "
                     f"distance {np.linalg.norm(p[-1]):.2e}")
    dist = {name: np.linalg.norm(p[-1]) for name, (_, p) in valley_paths.items()}
    small, large = valley_paths["SGD"][0], valley_paths["SGD, large lr"][0]
    lines += [f"  SGD moves x by lr·0.1·x per step: {0.1 * small:.3f}·x at lr {small:g}, so it "
              f"crawls. Its lr cannot pass 0.2: y would grow (|1 − 10·lr| > 1);",
              f"  at lr {large:g} it bounces across the valley (y flips sign every step) and "
              f"still ends {dist['SGD, large lr']:.2f} away.",
              f"  Momentum with SGD's small lr {small:g} ends {dist['SGD'] / dist['Momentum']:.1f}"
              " times closer than SGD: its velocity sums the small, same-signed x steps",
              "  (up to 1/(1 − 0.9) = 10 times one step). Across the valley it swings, and the "
              "swings die out slowly; Nesterov's look-ahead step damps them sooner.",
              "  AdaGrad, RMSProp and Adam divide each coordinate by its own gradient size, "
              "which undoes this valley's (axis-aligned) stretch.", ""]
    s = SURFACES["two basins"]
    lines.append(f"{s['title']}, start {s['start']}, {s['steps']} steps; global minimum "
                 f"({glob[0]:.4f}, 0) with f = {two_basins(glob):.4f}, local ({loc[0]:.4f}, 0) "
                 f"with f = {two_basins(loc):.4f}:")
    reached = {}
    for name, (lr, p) in basin_paths.items():
        reached[name] = basin_reached(p[-1])
        lines.append(f"  {name:9s} lr {lr:<5g} ends at ({p[-1, 0]:+.4f}, {p[-1, 1]:+.4f}), "
                     f"f = {two_basins(p[-1]):.4f}: the {reached[name]} minimum")
    over = [n for n, where in reached.items() if where == "global"]
    stuck = [n for n, where in reached.items() if where == "local"]
    lines += [f"  {', '.join(over) or 'none'} crossed the bump to the global minimum; "
              f"{', '.join(stuck) or 'none'} stayed in the nearer, shallower basin.",
              "  Gradient descent only sees the slope where it stands. A velocity can carry "
              "momentum over the bump; Adam averages gradients too (β₁ = 0.9),",
              "  but divides by their size, so its steps stay near lr and it cannot build up "
              "speed."]
    return "\n".join(lines)
