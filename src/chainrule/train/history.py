"""``History``: what training recorded, one row per epoch (Keras' ``History``)."""

import csv
import io


class History:
    """``history.history['val_loss']`` is the list of validation losses, one per epoch."""

    def __init__(self):
        self.history = {}
        self.epoch = []
        self.interrupted = False
        self.stopped_on_nonfinite_loss = False  # fit stopped at a NaN or infinite loss
        self.nonfinite = None  # then: {"epoch", "batch", "loss", "weights": which were kept}
        self.threads = None  # fit(threads="auto"): the thread count its trial kept
        self.thread_seconds = None  # and the median seconds per step under each count

    def append(self, epoch, logs):
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))

    def __getitem__(self, key):
        return self.history[key]

    def __len__(self):
        return len(self.epoch)

    def last(self):
        return {k: v[-1] for k, v in self.history.items()}

    def to_csv(self, path):
        """Write ``epoch,loss,...`` rows atomically."""
        from ..io.atomic import atomic_write

        buf = io.StringIO()
        keys = list(self.history)
        writer = csv.writer(buf)
        writer.writerow(["epoch", *keys])
        for i, epoch in enumerate(self.epoch):
            writer.writerow([epoch, *(f"{self.history[k][i]:.6g}" for k in keys)])
        with atomic_write(path, mode="w") as f:
            f.write(buf.getvalue())

    def plot(self, path, title=None):
        """Loss and metrics per epoch, train vs validation, to a PNG (needs matplotlib)."""
        from ..plotting import plot_history

        shown = dict(self.history)
        if len(set(shown.get("lr", []))) <= 1:
            shown.pop("lr", None)  # a constant learning rate is not worth a panel
        return plot_history(shown, path, title=title)

    def __repr__(self):
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"
