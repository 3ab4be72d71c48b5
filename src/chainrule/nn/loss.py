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

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__(F._legacy_reduction(size_average, reduce, reduction))

    def forward(self, input, target):  # noqa: A002
        return F.mse_loss(input, target, reduction=self.reduction)


class _WeightedLoss(_Loss):
    """A loss with a weight per class, kept as a buffer (in ``state_dict``, as torch)."""

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean"):
        super().__init__(F._legacy_reduction(size_average, reduce, reduction))
        self.register_buffer("weight", None if weight is None else F._tensor(weight))
        self.ignore_index = ignore_index

    def extra_repr(self):
        return super().extra_repr() + (f", ignore_index={self.ignore_index}"
                                       if self.ignore_index != -100 else "")

    def config(self):
        weight = None if self.weight is None else self.weight.array.tolist()
        return {"weight": weight, "ignore_index": self.ignore_index,
                "reduction": self.reduction}


class CrossEntropyLoss(_WeightedLoss):
    """Softmax + cross-entropy on logits, with class indices or class probabilities as target;
    ``weight``, ``ignore_index`` and ``label_smoothing`` as torch."""

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean", label_smoothing=0.0):
        super().__init__(weight, size_average, ignore_index, reduce, reduction)
        self.label_smoothing = label_smoothing

    def forward(self, input, target):  # noqa: A002
        return F.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)

    def config(self):
        return {**super().config(), "label_smoothing": self.label_smoothing}


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities (after ``LogSoftmax``); ``weight`` and
    ``ignore_index`` as torch."""

    def forward(self, input, target):  # noqa: A002
        return F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class L1Loss(_Loss):
    """mean(|y − t|): the mean absolute error."""

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__(F._legacy_reduction(size_average, reduce, reduction))

    def forward(self, input, target):  # noqa: A002
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """Squared error below ``beta``, absolute error above."""

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(F._legacy_reduction(size_average, reduce, reduction))
        self.beta = beta

    def forward(self, input, target):  # noqa: A002
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)

    def config(self):
        return {"reduction": self.reduction, "beta": self.beta}


class HuberLoss(_Loss):
    """Squared error below ``delta``, δ-sloped absolute error above."""

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input, target):  # noqa: A002
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)

    def config(self):
        return {"reduction": self.reduction, "delta": self.delta}


class KLDivLoss(Module):
    """KL(target ‖ q) with the input = log q; ``reduction='batchmean'`` is the true KL per
    sample ('mean' divides by every element, as torch)."""

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        super().__init__()
        if reduction != "batchmean":
            reduction = F._legacy_reduction(size_average, reduce, reduction)
        self.reduction = reduction
        self.log_target = log_target

    def forward(self, input, target):  # noqa: A002
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)

    def extra_repr(self):
        return f"reduction={self.reduction!r}, log_target={self.log_target}"

    def config(self):
        return {"reduction": self.reduction, "log_target": self.log_target}


class _ElementWeightedLoss(_Loss):
    """A binary loss with a weight per element (broadcast to the input), kept as a buffer
    (in ``state_dict``, as torch)."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(F._legacy_reduction(size_average, reduce, reduction))
        self.register_buffer("weight", None if weight is None else F._tensor(weight))

    def config(self):
        weight = None if self.weight is None else self.weight.array.tolist()
        return {"weight": weight, "reduction": self.reduction}


class BCELoss(_ElementWeightedLoss):
    """Binary cross-entropy on probabilities (after ``Sigmoid``)."""

    def forward(self, input, target):  # noqa: A002
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_ElementWeightedLoss):
    """Sigmoid + binary cross-entropy on logits, as one stable node."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean",
                 pos_weight=None):
        super().__init__(weight, size_average, reduce, reduction)
        self.pos_weight = pos_weight

    def forward(self, input, target):  # noqa: A002
        return F.binary_cross_entropy_with_logits(input, target, self.weight,
                                                  reduction=self.reduction,
                                                  pos_weight=self.pos_weight)

    def config(self):
        # saved too, or a loaded model would weigh positives as 1 without a word
        weight = self.pos_weight
        if weight is not None:
            weight = np.asarray(weight.array if hasattr(weight, "array") else weight).tolist()
        return {**super().config(), "pos_weight": weight}
