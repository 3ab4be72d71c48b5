"""Switching graph recording on and off: ``no_grad`` and ``enable_grad``.

Inside ``no_grad`` an op computes its value and nothing else: no node, no saved inputs. That is
what evaluation and optimizer updates want, and it is cheaper than recording.
"""

import functools


class GradMode:
    """Process-wide switch read by every op (a class attribute: the cheapest lookup we have)."""

    enabled = True


def is_grad_enabled() -> bool:
    return GradMode.enabled


class SetSwitch:
    """A context manager that sets ``switch.enabled`` to ``mode`` and restores it after (for
    ``GradMode`` here, ``AnomalyMode`` in anomaly.py)."""

    switch = None  # the class whose ``enabled`` is set
    mode = True

    def __enter__(self):
        self._previous = self.switch.enabled
        self.switch.enabled = self.mode
        return self

    def __exit__(self, *exc):
        self.switch.enabled = self._previous
        return False


class _SetGradMode(SetSwitch):
    """A context manager and decorator that sets ``GradMode.enabled`` and restores it after."""

    switch = GradMode

    def __new__(cls, fn=None, *args):
        # ``@no_grad`` without parentheses hands us the function itself, as torch allows
        self = super().__new__(cls)
        return self(fn) if callable(fn) else self

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_SetGradMode):  # noqa: N801 - torch's name
    """Build no graph inside this block (``with chainrule.no_grad():``) or decorated function."""

    mode = False


class enable_grad(_SetGradMode):  # noqa: N801 - torch's name
    """Record the graph again, even inside ``no_grad``."""

    mode = True


class set_grad_enabled(_SetGradMode):  # noqa: N801 - torch's name
    """Record the graph or not, as ``mode`` says. As in torch it switches when called, so a plain
    ``set_grad_enabled(False)`` works without ``with``; a block or a decorated function puts the
    previous mode back after."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self._previous = GradMode.enabled
        GradMode.enabled = self.mode

    def __enter__(self):
        GradMode.enabled = self.mode
        return self

    def __call__(self, fn):
        GradMode.enabled = self._previous  # as a decorator it switches only inside ``fn``
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper


class inference_mode(SetSwitch):  # noqa: N801 - torch's name
    """torch's faster ``no_grad`` for evaluation: no graph inside this block or decorated
    function (``inference_mode(False)`` changes nothing). chainrule's ``no_grad`` is already as
    cheap, so the two differ only in name: tensors made inside are ordinary tensors."""

    switch = GradMode

    def __new__(cls, mode=True):
        if callable(mode):  # ``@inference_mode`` without parentheses
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode=True):
        self.inference = bool(mode)

    def __enter__(self):
        self._previous = GradMode.enabled
        if self.inference:
            GradMode.enabled = False
        return self

    def __call__(self, fn):
        inference = self.inference

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(inference):
                return fn(*args, **kwargs)

        return wrapper
