"""Demos: each one computes something with the engine, draws it, and explains it in numbers.

``DEMOS[name](out_dir)`` writes a PNG into ``out_dir`` and returns the text to print (what the
figure shows, with the real numbers). ``chainrule demo NAME`` on the command line runs one.
Matplotlib is imported only when a demo runs.
"""

import sys
from collections.abc import Callable

from . import activations, graph, losses, optimizers, rules, schedulers, vanishing, xor

DEMOS: dict[str, Callable[[str], str]] = {
    "graph": graph.demo,
    "activations": activations.demo,
    "losses": losses.demo,
    "rules": rules.demo,
    "xor": xor.demo,
    "vanishing": vanishing.demo,
    "optimizers": optimizers.demo,
    "schedulers": schedulers.demo,
}


def describe(name: str) -> str:
    """One line on what demo ``name`` shows: the first line of its module's docstring."""
    module = sys.modules.get(getattr(DEMOS[name], "__module__", ""))
    doc = (module.__doc__ or "") if module is not None else ""
    return doc.strip().split("\n")[0].replace("``", "")


def run(name: str, out_dir: str) -> str:
    """Run the demo called ``name``, writing its figure into ``out_dir``; returns its text."""
    if name not in DEMOS:
        raise KeyError(f"no demo called {name!r}; the demos are: {', '.join(sorted(DEMOS))}")
    return DEMOS[name](out_dir)
