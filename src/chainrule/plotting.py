"""Training curves: one panel per metric, training against validation, epoch by epoch.

matplotlib is optional (``pip install chainrule[viz]``) and imported only when a plot is made.
Figures are drawn with the Agg renderer through matplotlib's object interface, not pyplot, so
plotting never switches the backend of a notebook or GUI session that imported chainrule.
"""

import math
import numbers
import os

from .io.atomic import atomic_write


def plot_history(history, path, title=None, dpi=100):
    """Save the curves of ``history`` (``{'loss': [...], 'val_loss': [...], ...}`` or a
    ``History``) as a PNG at ``path``, written atomically. Returns ``path``."""
    return save_figure(history_figure(history, title=title), path, dpi=dpi)


def new_figure(width, height, **kwargs):
    """A matplotlib ``Figure`` of ``width`` × ``height`` inches on the Agg canvas (no pyplot)."""
    Figure, FigureCanvasAgg, _ = _matplotlib()
    figure = Figure(figsize=(width, height), **kwargs)
    FigureCanvasAgg(figure)
    return figure


def save_figure(figure, path, dpi=100):
    """Write ``figure`` to ``path`` atomically; the format comes from the suffix (PNG default)."""
    fmt = os.path.splitext(os.fspath(path))[1].lstrip(".").lower() or "png"
    with atomic_write(path, "wb") as f:
        figure.savefig(f, format=fmt, dpi=dpi)
    return path


def history_figure(history, title=None):
    """The matplotlib ``Figure`` that ``plot_history`` saves, for showing or restyling."""
    panels = _panels(_as_dict(history))
    Figure, FigureCanvasAgg, MaxNLocator = _matplotlib()

    cols = min(len(panels), 3)
    rows = math.ceil(len(panels) / cols)
    figure = Figure(figsize=(4.8 * cols, 3.4 * rows + (0.4 if title else 0)),
                    layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(rows, cols, squeeze=False).ravel()
    for ax, (name, lines) in zip(axes, panels.items()):
        for label, values in lines:
            # Markers make a short run (even a single epoch) visible; on long runs they clutter.
            ax.plot(range(1, len(values) + 1), values, label=label, color=_COLOURS[label],
                    marker="o" if len(values) <= 30 else None, markersize=3)
        ax.set_title(name)
        ax.set_xlabel("epoch")
        if max(len(values) for _, values in lines) == 1:
            ax.set_xticks([1])  # the integer locator still draws 0.95..1.05 around one point
        else:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        if _spans_decades([v for _, values in lines for v in values]):
            ax.set_yscale("log")  # a learning-rate schedule or a loss falling 100x
        if [label for label, _ in lines] != ["training"]:
            ax.legend()  # a lone validation curve must say so too
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    if title:
        figure.suptitle(title)
    return figure


# Fixed per role, so validation is the same colour in every panel, even when it is alone.
_COLOURS = {"training": "C0", "validation": "C1"}


def _matplotlib():
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator
    except ImportError as e:
        raise ImportError("plotting needs matplotlib, which is not installed: "
                          "pip install chainrule[viz]") from e
    return Figure, FigureCanvasAgg, MaxNLocator


def _as_dict(history):
    history = getattr(history, "history", history)  # a History object or its dict
    if not isinstance(history, dict):
        raise TypeError(f"plot_history: history must be a dict of metric name -> list of "
                        f"values (or a History), got {type(history).__name__}")
    for key, values in history.items():
        if not isinstance(key, str):
            raise TypeError(f"plot_history: metric names must be strings, got {key!r}")
        if isinstance(values, (str, bytes)) or not hasattr(values, "__len__") or not all(
                isinstance(v, numbers.Real) for v in values):
            raise ValueError(f"plot_history: history[{key!r}] must be a list of numbers, "
                             f"got {values!r:.80}")
    return history


def _panels(history):
    """``{metric: [(label, values), ...]}``: ``x`` and ``val_x`` share the panel named ``x``."""
    panels = {}
    for key, values in history.items():
        if not len(values):
            continue
        is_val = key.startswith("val_")
        name = key[4:] if is_val else key
        panels.setdefault(name, []).append(("validation" if is_val else "training",
                                            [float(v) for v in values]))
    if not panels:
        raise ValueError("plot_history: the history is empty; nothing to plot")
    for lines in panels.values():
        lines.sort(key=lambda line: line[0] != "training")  # legend order: training first
    return panels


def _spans_decades(values):
    finite = [v for v in values if math.isfinite(v)]
    return bool(finite) and min(finite) > 0 and max(finite) / min(finite) >= 100
