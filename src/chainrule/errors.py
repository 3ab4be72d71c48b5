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
