"""Reverse-mode automatic differentiation: the graph, the backward pass, and tools around them."""

from .anomaly import detect_anomaly
from .array_function import ArrayFunction
from .engine import BackwardStep, observe_backward, register_backward_observer, sum_to
from .function import Function
from .grad import grad
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckResult, gradcheck
from .graph import describe, leaves, walk

__all__ = [
    "ArrayFunction", "BackwardStep", "Function", "GradcheckResult", "describe", "detect_anomaly",
    "enable_grad", "grad", "gradcheck", "is_grad_enabled", "leaves", "no_grad",
    "observe_backward", "register_backward_observer", "set_grad_enabled", "sum_to", "walk",
]
