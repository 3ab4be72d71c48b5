"""Metrics reported during training: accuracy for classes and yes/no, MAE for numbers.

They read network outputs as arrays (no graph) and accumulate over batches, so the epoch's value
is exact, not an average of batch averages.
"""



class Metric:
    name = "metric"

    def reset(self):
        self.total = 0.0
        self.count = 0

    def result(self):
        return self.total / self.count if self.count else float("nan")


class Accuracy(Metric):
    """Fraction of correct predictions.

    Scores of shape (N, C) with C > 1: the predicted class is the argmax, compared with a class
    index, or with the top class of a one-hot or probability target. A single output per
    sample (yes/no): predicted 1 when the output passes ``threshold`` (0 for logits, 0.5 for
    probabilities after a sigmoid). With ``binary`` (set for a binary cross-entropy loss) every
    output is such a yes/no answer, as in a multi-label task, and each one counts.
    """

    name = "accuracy"

    def __init__(self, threshold=0.5, binary=False):
        self.threshold = threshold
        self.binary = binary  # outputs are independent yes/no answers (multi-label), never classes
        self.reset()

    def update(self, output, target):
        if output.ndim >= 2 and output.shape[1] > 1 and not self.binary:
            predicted = output.argmax(axis=1)
            if target.shape == output.shape:  # one-hot or class probabilities: their top class
                target = target.argmax(axis=1)
            target = target.reshape(predicted.shape)
        else:
            predicted = (output.reshape(-1) > self.threshold)
            target = target.reshape(-1) > 0.5
        self.total += float((predicted == target).sum())
        self.count += target.size


class MeanAbsoluteError(Metric):
    """mean |y − t| for regression."""

    name = "mae"

    def __init__(self):
        self.reset()

    def update(self, output, target):
        self.total += float(abs(output - target.reshape(output.shape)).sum())  # any device
        self.count += output.size


def make_metrics(names, loss_fn=None):
    """Metric objects for names like 'accuracy' or 'mae' (a Metric instance passes through)."""
    from ..nn.loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss

    if isinstance(names, (str, Metric)):
        names = (names,)  # one metric: not the letters of its name
    out = []
    for m in names or ():
        if isinstance(m, Metric):
            out.append(m)
        elif m in ("accuracy", "acc"):
            logits = isinstance(loss_fn, (BCEWithLogitsLoss, CrossEntropyLoss))
            binary = isinstance(loss_fn, (BCELoss, BCEWithLogitsLoss))
            out.append(Accuracy(threshold=0.0 if logits else 0.5, binary=binary))
        elif m in ("mae", "mean_absolute_error"):
            out.append(MeanAbsoluteError())
        else:
            raise ValueError(f"unknown metric {m!r}: use 'accuracy', 'mae' or a Metric instance")
    return out
