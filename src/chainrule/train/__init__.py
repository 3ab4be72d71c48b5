"""Training: ``fit``, ``evaluate``, ``predict``, the ``History`` they record and callbacks."""

from .callbacks import Callback, EarlyStopping, ModelCheckpoint
from .history import History
from .metrics import Accuracy, MeanAbsoluteError, Metric
from .trainer import evaluate, fit, predict
