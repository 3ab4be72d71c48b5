"""Callbacks: code that runs at the end of each epoch to stop early or keep the best model."""

import copy
import math
import os


class Callback:
    """Override ``on_epoch_end``; set ``self.stop_training = True`` to end training."""

    stop_training = False

    def on_train_begin(self, model):
        self.model = model

    def on_epoch_end(self, epoch, logs):
        pass

    def on_train_end(self, logs):
        pass

    def state_dict(self):
        """What a checkpoint keeps of this callback to resume training (JSON-able values and
        arrays); a callback that counts or remembers across epochs overrides both methods."""
        return {}

    def load_state_dict(self, state):
        pass


class _Monitor(Callback):
    def __init__(self, monitor, mode, min_delta=0.0):
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        if mode == "auto":
            mode = "max" if ("acc" in monitor or monitor.endswith("auc")) else "min"
        self.monitor, self.mode, self.min_delta = monitor, mode, abs(min_delta)
        self.best = math.inf if mode == "min" else -math.inf

    def _value(self, logs):
        if self.monitor not in logs:
            raise KeyError(f"{type(self).__name__} monitors {self.monitor!r}, but the epoch "
                           f"logs only have {sorted(logs)} (pass validation data for val_*)")
        return logs[self.monitor]

    def _improved(self, value):
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta


class EarlyStopping(_Monitor):
    """Stop when ``monitor`` has not improved for ``patience`` epochs."""

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0, mode="auto",
                 restore_best_weights=False):
        super().__init__(monitor, mode, min_delta)
        self.patience = patience
        self.restore_best_weights = restore_best_weights
        self.wait = 0
        self.best_weights = None
        self.stopped_epoch = None

    def on_train_begin(self, model):
        # Each fit starts afresh (as Keras): a stopper reused from an earlier fit must not stop
        # the new one at its first epoch, or compare with the old run's best.
        super().on_train_begin(model)
        self.stop_training = False
        self.wait = 0
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_weights = None
        self.stopped_epoch = None

    def on_epoch_end(self, epoch, logs):
        value = self._value(logs)
        if self._improved(value):
            self.best, self.wait = value, 0
            if self.restore_best_weights:
                self.best_weights = copy.deepcopy(
                    {k: v.array.copy() for k, v in self.model.state_dict().items()})
        else:
            self.wait += 1
            if self.wait >= self.patience:  # Keras: stop after `patience` epochs without a gain
                self.stop_training = True
                self.stopped_epoch = epoch

    def state_dict(self):
        return {"wait": self.wait, "best": self.best, "stop_training": self.stop_training,
                "stopped_epoch": self.stopped_epoch, "best_weights": self.best_weights}

    def load_state_dict(self, state):
        self.wait, self.best = int(state["wait"]), float(state["best"])
        self.stop_training = bool(state["stop_training"])
        self.stopped_epoch = state["stopped_epoch"]
        self.best_weights = state["best_weights"]

    def on_train_end(self, logs):
        if self.restore_best_weights and self.best_weights is not None:
            self.model.load_state_dict(self.best_weights)


class ModelCheckpoint(_Monitor):
    """Save the model (``chainrule.save``, atomic) after each epoch, or only when ``monitor``
    improves. An interrupted run keeps the best file written so far."""

    def __init__(self, path, monitor="val_loss", save_best_only=True, mode="auto"):
        super().__init__(monitor, mode)
        self.path = path
        self.save_best_only = save_best_only
        self.saved_epochs = []

    def on_epoch_end(self, epoch, logs):
        from ..serialization import save

        if self.save_best_only:
            value = self._value(logs)
            if not self._improved(value):
                return
            self.best = value
        directory = os.path.dirname(os.fspath(self.path))
        if directory:
            os.makedirs(directory, exist_ok=True)  # as Keras: runs/exp1/best.safetensors just works
        save(self.model, self.path)
        self.saved_epochs.append(epoch)

    def state_dict(self):
        return {"best": self.best, "saved_epochs": list(self.saved_epochs)}

    def load_state_dict(self, state):
        self.best = float(state["best"])
        self.saved_epochs = [int(e) for e in state["saved_epochs"]]
