"""Figures for the demos: matplotlib without pyplot (no global state, no display needed)."""

import os


def new_figure(width, height):
    """A matplotlib Figure of ``width`` × ``height`` inches."""
    from ..plotting import new_figure as _new

    return _new(width, height)


def save(fig, out_dir, filename):
    """Save ``fig`` as ``out_dir/filename`` (atomically) and return the path."""
    from ..viz import save_figure

    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(os.fspath(out_dir), filename)
    fig.tight_layout()
    save_figure(fig, path)
    return path
