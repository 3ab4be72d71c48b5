"""Checkpoints of a training run: everything ``fit`` needs to go on as if it had never stopped.

A checkpoint is taken at the end of an epoch and holds the model's weights, the optimizer's and
the scheduler's state, each callback's state (early stopping's patience count and best value),
the random generators' states (chainrule's own, which dropout and initialisation draw from, and
the data loader's, which draws the shuffling order) and the history so far. Restored into a
model, optimizer and scheduler built the same way, training continues bit for bit as the
uninterrupted run would have. It is saved with ``chainrule.save`` (safetensors + JSON, atomic).
"""

import copy

import numpy as np

from ..random import default_generator
from .history import History

FORMAT = "chainrule.fit-checkpoint/1"


def capture(epoch, model, optimizer, scheduler, callbacks, loader, history):
    """The training state at the end of ``epoch`` (0: before the first), as a nested dict of
    copies: stepping on changes nothing in it."""
    generator = getattr(loader, "generator", None)
    return {
        "format": FORMAT,
        "epoch": epoch,
        "model": {k: t.array.copy() for k, t in model.state_dict().items()},
        "optimizer": copy.deepcopy(optimizer.state_dict()),
        "scheduler": copy.deepcopy(scheduler.state_dict()) if scheduler is not None else None,
        "callbacks": [{"type": type(cb).__name__, "state": copy.deepcopy(cb.state_dict())}
                      for cb in callbacks],
        "rng": {"default": default_generator().bit_generator.state,
                "loader": generator.bit_generator.state if generator is not None else None},
        "history": {"epoch": list(history.epoch),
                    "history": {k: list(v) for k, v in history.history.items()}},
    }


def restore(state, model, optimizer, scheduler, callbacks, loader, where="checkpoint"):
    """Put ``state`` (from ``capture`` or a loaded file) back; returns (epoch, History)."""
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{where} is not a training checkpoint written by fit (no "
                         f"format {FORMAT!r})")
    try:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if (scheduler is None) != (state["scheduler"] is None):
            raise ValueError("the checkpoint was taken " + (
                "with a scheduler, and fit has none" if scheduler is None
                else "without a scheduler, and fit has one"))
        if scheduler is not None:
            scheduler.load_state_dict(state["scheduler"])
        _restore_callbacks(state["callbacks"], callbacks)
        default_generator().bit_generator.state = state["rng"]["default"]
        generator = getattr(loader, "generator", None)
        if generator is not None and state["rng"]["loader"] is not None:
            generator.bit_generator.state = state["rng"]["loader"]
        history = History()
        for i, epoch in enumerate(state["history"]["epoch"]):
            history.append(int(epoch), {k: v[i] for k, v in state["history"]["history"].items()})
        epoch = int(state["epoch"])
    except (KeyError, TypeError, IndexError) as e:
        raise ValueError(f"{where} is incomplete or does not fit this training "
                         f"({type(e).__name__}: {e})") from None
    return epoch, history


def _restore_callbacks(saved, callbacks):
    """Each callback takes the state of the first saved one of its type; a callback that keeps
    nothing (state ``{}``) may come or go between the runs, one that kept something may not."""
    remaining = list(saved)
    for cb in callbacks:
        match = next((s for s in remaining if s["type"] == type(cb).__name__), None)
        if match is not None:
            cb.load_state_dict(match["state"])
            remaining.remove(match)
    lost = [s["type"] for s in remaining if s["state"]]
    if lost:
        raise ValueError(f"the checkpoint holds the state of callback(s) {lost} that this fit "
                         "does not have; pass the same callbacks to resume")


def all_finite(model):
    """True when every weight is a finite number."""
    return all(np.isfinite(t.array).all() for t in model.state_dict().values())
