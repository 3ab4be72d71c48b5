"""Fit time of scikit-learn's MLPClassifier and of chainrule on the digits data set.

Both systems train the same network the same way, so the fit times can be set side by side:

  data       sklearn.datasets.load_digits (1797 images of 8x8 pixels, 10 classes); a fixed
             stratified split, 75 % train (1347) / 25 % test (450), chainrule.data's
             train_test_split with seed 0; each pixel standardised with the training part's mean
             and standard deviation (pixels that are constant in training are only centred)
  network    64 inputs, hidden layers (64, 32) with ReLU, 10 outputs; softmax + cross-entropy
  init       Glorot uniform, ±sqrt(6 / (fan_in + fan_out)) for weights and biases, which is what
             MLPClassifier draws for ReLU; chainrule's layers are overwritten with draws from the
             same distribution (the same distribution, not the same numbers)
  optimizer  Adam, lr 1e-3, betas (0.9, 0.999), eps 1e-8; no L2 on either side (sklearn's
             alpha=0, chainrule's weight_decay=0: sklearn's alpha penalises only the weights and
             scales with the batch, which no Adam weight_decay reproduces exactly)
  batches    shuffled every epoch; the last batch of an epoch is the partial remainder
  epochs     exactly N: sklearn gets max_iter=N, tol=0, n_iter_no_change=N+1,
             early_stopping=False, so it can neither stop early nor hold out data
  dtypes     MLPClassifier trains in the dtype of its input (float64 or float32; its weights
             come out in that dtype, which the script checks); chainrule runs float32 (its
             default) and float64, so each dtype has a like-for-like pair

Two Adam details differ and are left as they are: sklearn adds eps to sqrt(v) before the bias
correction, torch (and chainrule) after it; and chainrule's fit() uses metrics=() here, because
MLPClassifier tracks only the training loss during fit (so does chainrule's fit).

Timed: sklearn, ``MLPClassifier(...).fit(X, y)``; chainrule, building the model and optimizer
plus ``chainrule.train.fit(...)``. Not timed: prediction and scoring. Repetition r trains with
seed r in every system (warm-up round excluded), so the accuracies are over several seeds.

Usage:  python benchmarks/sklearn_mlp.py [--threads 1 [2 ...]] [--repeats 5] [--quick]
"""

import argparse
import math
import statistics
import sys
import warnings

import numpy as np
from _harness import describe_environment, interleaved, load_average, median, spread, table, threads

import chainrule.nn as crnn
import chainrule.optim as cr_optim
from chainrule.data import train_test_split
from chainrule.train import fit, predict

HIDDEN = (64, 32)
LR, BETAS, EPS = 1e-3, (0.9, 0.999), 1e-8
# (batch size, epochs): 32 is chainrule's default batch; 200 with 200 epochs is what
# MLPClassifier does by default (batch_size='auto' = min(200, n), max_iter=200).
CONFIGS = ((32, 50), (200, 200))
QUICK_CONFIGS = ((32, 5), (200, 20))


def digits(seed=0):
    """Standardised (X_train, X_test, y_train, y_test), float64, stratified 75/25 split."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y.astype(np.int64), test_size=0.25,
                                                        stratify=y, seed=seed)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    std[std == 0] = 1.0  # pixels that are always 0 in training: centre them, do not divide by 0
    return (X_train - mean) / std, (X_test - mean) / std, y_train, y_test


# -- scikit-learn ------------------------------------------------------------------------------
def sklearn_fit(X, y, batch, epochs, seed):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=HIDDEN, activation="relu", solver="adam", alpha=0.0,
                        batch_size=batch, learning_rate_init=LR, beta_1=BETAS[0],
                        beta_2=BETAS[1], epsilon=EPS, max_iter=epochs, tol=0.0,
                        n_iter_no_change=epochs + 1, early_stopping=False, shuffle=True,
                        random_state=seed)
    with warnings.catch_warnings():
        # it always reaches max_iter, which is what we asked for
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    return clf


def sklearn_accuracy(clf, X, y):
    return float((clf.predict(X) == y).mean())


# -- chainrule ---------------------------------------------------------------------------------
def chainrule_model(n_inputs, n_classes, dtype, seed):
    """64-64-32-10 ReLU MLP with MLPClassifier's initialisation for ReLU."""
    rng = np.random.default_rng(seed)
    sizes = (n_inputs, *HIDDEN, n_classes)
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        linear = crnn.Linear(n_in, n_out, dtype=dtype)
        bound = math.sqrt(6.0 / (n_in + n_out))  # MLPClassifier's Glorot bound for ReLU
        linear.weight.array[...] = rng.uniform(-bound, bound, (n_out, n_in))
        linear.bias.array[...] = rng.uniform(-bound, bound, n_out)
        layers += [linear, crnn.ReLU()]
    return crnn.Sequential(*layers[:-1])  # no ReLU after the output layer


def chainrule_adam(model):
    return cr_optim.Adam(model.parameters(), lr=LR, betas=BETAS, eps=EPS, weight_decay=0.0)


def chainrule_fit(X, y, batch, epochs, seed):
    model = chainrule_model(X.shape[1], int(y.max()) + 1, X.dtype, seed)
    fit(model, crnn.CrossEntropyLoss(), chainrule_adam(model), (X, y), epochs=epochs,
        batch_size=batch, metrics=(), verbose=0, shuffle=True, seed=seed)
    return model


def chainrule_accuracy(model, X, y):
    return float((predict(model, X).argmax(axis=1) == y).mean())


# -- measurement -------------------------------------------------------------------------------
SYSTEMS = {  # name -> (fit, accuracy, input dtype)
    "sklearn float64": (sklearn_fit, sklearn_accuracy, np.float64),
    "chainrule float64": (chainrule_fit, chainrule_accuracy, np.float64),
    "sklearn float32": (sklearn_fit, sklearn_accuracy, np.float32),
    "chainrule float32": (chainrule_fit, chainrule_accuracy, np.float32),
}


def check_dtypes(data):
    """Each system's weights come out in the dtype its row claims."""
    X_train, _, y_train, _ = data
    for name, (fit_fn, _, dtype) in SYSTEMS.items():
        fitted = fit_fn(X_train[:64].astype(dtype), y_train[:64], 32, 1, 0)
        if name.startswith("sklearn"):
            got = {c.dtype for c in fitted.coefs_ + fitted.intercepts_}
        else:
            got = {p.dtype for p in fitted.parameters()}
        if got != {np.dtype(dtype)}:
            raise AssertionError(f"{name}: weights trained in {got}, expected {np.dtype(dtype)}")


def check_same_training(data, epochs=3, batch=200, rtol=1e-4):
    """From the same weights, unshuffled, both systems' per-epoch training losses agree.

    MLPClassifier cannot be given initial weights, so it is fitted for one epoch (which builds
    its internals), handed chainrule's initial weights, and fitted again with warm_start (its
    Adam state starts afresh). The losses differ by ~1e-6 relative, from where eps enters Adam.
    """
    X_train, _, y_train, _ = data
    model = chainrule_model(X_train.shape[1], int(y_train.max()) + 1, np.float64, seed=0)
    w = [p.array.copy() for p in model.parameters()]  # W1, b1, W2, b2, W3, b3
    history = fit(model, crnn.CrossEntropyLoss(), chainrule_adam(model), (X_train, y_train),
                  epochs=epochs, batch_size=batch, metrics=(), verbose=0, shuffle=False)
    clf = sklearn_fit(X_train, y_train, batch, 1, seed=0)
    clf.set_params(warm_start=True, shuffle=False, max_iter=epochs, n_iter_no_change=epochs + 1)
    clf.coefs_ = [a.T.copy() for a in w[0::2]]  # sklearn stores weights as (in, out)
    clf.intercepts_ = [b.copy() for b in w[1::2]]
    done = len(clf.loss_curve_)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: max_iter reached, as asked
        clf.fit(X_train, y_train)
    ours, theirs = np.array(history["loss"]), np.array(clf.loss_curve_[done:])
    if not np.allclose(ours, theirs, rtol=rtol, atol=0):
        raise AssertionError(f"training losses differ: chainrule {ours}, sklearn {theirs}")
    return float(np.max(np.abs(ours - theirs) / theirs))


def measure(data, batch, epochs, repeats):
    """name -> (fit seconds per repetition, test accuracy per repetition)."""
    X_train, X_test, y_train, y_test = data
    runs, fitted = {}, {}
    for name, (fit_fn, _, dtype) in SYSTEMS.items():
        Xtr = np.ascontiguousarray(X_train, dtype=dtype)
        fitted[name] = []

        def run(fit_fn=fit_fn, Xtr=Xtr, out=fitted[name]):
            out.append(fit_fn(Xtr, y_train, batch, epochs, seed=len(out)))

        runs[name] = run
    times = interleaved(runs, repeats, warmup=1)
    results = {}
    for name, (_, accuracy, dtype) in SYSTEMS.items():
        Xte = X_test.astype(dtype)
        accs = [accuracy(m, Xte, y_test) for m in fitted[name][1:]]  # [0] was the warm-up
        results[name] = (times[name], accs)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1],
                        help="BLAS thread counts to measure at (default: 1)")
    parser.add_argument("--repeats", type=int, default=5, help="timed fits per system")
    parser.add_argument("--quick", action="store_true", help="a smoke run, well under 20 s")
    args = parser.parse_args(argv)
    configs, repeats = (QUICK_CONFIGS, 2) if args.quick else (CONFIGS, args.repeats)

    data = digits()
    check_dtypes(data)
    gap = check_same_training(data)
    print(f"digits: {len(data[0])} train / {len(data[1])} test, 64-{HIDDEN[0]}-{HIDDEN[1]}-10 "
          f"ReLU, Adam(lr={LR}), no L2; weights' dtypes checked; from the same weights, "
          f"unshuffled, float64, the first 3 epochs' training losses agree within "
          f"{gap:.1e} (relative)\n")
    for n_threads in args.threads:
        rows = []
        with threads(n_threads):
            print(describe_environment(n_threads))
            for batch, epochs in configs:
                res = measure(data, batch, epochs, repeats)
                for dtype in ("float64", "float32"):
                    sk_t, sk_a = res[f"sklearn {dtype}"]
                    cr_t, cr_a = res[f"chainrule {dtype}"]
                    rows.append([batch, epochs, dtype, f"{median(sk_t):.3f}",
                                 f"{median(cr_t):.3f}", f"{median(sk_t) / median(cr_t):.2f}x",
                                 _accuracy(sk_a), _accuracy(cr_a),
                                 f"±{max(spread(sk_t), spread(cr_t)):.0%}"])
        print(f"median fit seconds of {repeats} interleaved repetitions after a warm-up; "
              f"test accuracy: mean (min–max) over the {repeats} seeds\n")
        print(table(["batch", "epochs", "dtype", "sklearn fit (s)", "chainrule fit (s)",
                     "sklearn/chainrule", "sklearn acc", "chainrule acc", "spread"], rows))
        print(f"after this table: {load_average()}")
        noisy = [f"batch {r[0]} {r[2]}" for r in rows if float(r[-1].strip("±%")) > 20]
        if noisy:
            print(f"NOISY (spread > 20%): {', '.join(noisy)}; other processes were probably "
                  "competing for the cores: rerun on an idle machine before quoting these")
        print()
    print("sklearn/chainrule is a time ratio: above 1x chainrule fits faster.")
    return 0


def _accuracy(accs):
    return f"{statistics.mean(accs):.1%} ({min(accs):.1%}–{max(accs):.1%})"


if __name__ == "__main__":
    sys.exit(main())
