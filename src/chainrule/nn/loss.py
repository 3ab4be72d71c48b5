"""Loss layers: ``criterion = CrossEntropyLoss(); loss = criterion(output, target)``.

Each wraps the matching function in ``nn.functional`` (the formulas live in ``ops/loss.py``).
The notes' pairings: identity output + squared error (``MSELoss``/``SSELoss``) for numbers,
softmax + cross-entropy (``CrossEntropyLoss`` on logits) for classes, sigmoid + binary
cross-entropy (``BCEWithLogitsLoss`` on logits, or ``BCELoss`` on probabilities) for yes/no.
"""

import numpy as np

from ..ops.loss import check_reduction
from . import functional as F
from .module import Module


class _Loss(Module):
    def __init__(self, reduction="mean"):
        super().__init__()
        check_reduction(reduction)
        self.reduction = reduction

    def extra_repr(self):
        return f"reduction={self.reduction!r}"

    def config(self):
        return {"reduction": self.reduction}


class SSELoss(Module):
    """½·Σ(y − t)², the notes' sum of squares for error."""

    def forward(self, input, target):  # noqa: A002
        return F.sse(input, target)

    def config(self):
        return {}


class MSELoss(_Loss):
    """mean((y − t)²)."""

    def forward(self, input, target):  # noqa: A002
        return F.mse_loss(input, target, self.reduction)


class CrossEntropyLoss(_Loss):
    """Softmax + cross-entropy on logits, with class indices or class probabilities as target."""

    def forward(self, input, target):  # noqa: A002
        return F.cross_entropy(input, target, self.reduction)


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities (after ``LogSoftmax``)."""

    def forward(self, input, target):  # noqa: A002
        return F.nll_loss(input, target, self.reduction)


class BCELoss(_Loss):
    """Binary cross-entropy on probabilities (after ``Sigmoid``)."""

    def forward(self, input, target):  # noqa: A002
        return F.binary_cross_entropy(input, target, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross-entropy on logits, as one stable node."""

    def __init__(self, reduction="mean", pos_weight=None):
        super().__init__(reduction)
        self.pos_weight = pos_weight

    def forward(self, input, target):  # noqa: A002
        return F.binary_cross_entropy_with_logits(input, target, self.reduction, self.pos_weight)

    def config(self):
        # saved too, or a loaded model would weigh positives as 1 without a word
        weight = self.pos_weight
        if weight is not None:
            weight = np.asarray(weight.data if hasattr(weight, "data") else weight).tolist()
        return {"reduction": self.reduction, "pos_weight": weight}
