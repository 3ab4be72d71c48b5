"""The errors chainrule raises, so users can catch them by what went wrong."""


class ShapeError(ValueError):
    """Shapes that an op cannot combine; the message names the op and the shapes."""


class GradcheckError(AssertionError):
    """An analytic gradient disagrees with the finite-difference one."""


class AnomalyError(FloatingPointError):
    """Under ``detect_anomaly``: an op produced NaN or inf; the message names the op."""


class UnsupportedError(NotImplementedError, AttributeError):
    """A torch name chainrule deliberately does not have (``chainrule.bfloat16``): the message
    says so in one line. Also an AttributeError, so ``hasattr`` and ``getattr(…, None)`` probes
    answer "no" as for any missing name."""


def missing_name(where, name):
    """The one-line error for a torch name chainrule does not have (``torch.diag`` ported to
    ``chainrule.diag``): it names the thing and where to read what is covered, instead of
    Python's "has no attribute … Did you mean" guess."""
    return UnsupportedError(
        f"{where}.{name}: chainrule does not have this (a torch name it does not cover); the "
        "README's 'Porting a PyTorch program' lists what it covers and what it does not do")


def module_getattr(module_name):
    """A module ``__getattr__`` that answers a missing public name with ``missing_name``."""
    def __getattr__(name):
        if name.startswith("_"):
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        raise missing_name(module_name, name)
    return __getattr__
