"""The recipes ``chainrule train`` follows: which network, optimizer, scheduler and loss.

The output layer and the loss follow the kind of problem, as the notes teach:

=============  ======================  ==============================================
problem        output layer            loss
=============  ======================  ==============================================
two classes    1 unit, sigmoid         binary cross-entropy (fused with the sigmoid)
more classes   one unit a class,       cross-entropy (fused with the softmax)
               softmax
numbers        identity                mean squared error
=============  ======================  ==============================================

Everything here builds objects from names; nothing trains or writes files (that is ``run.py``).
"""

import numpy as np

from .. import nn, optim

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid,
               "leaky_relu": nn.LeakyReLU, "elu": nn.ELU, "identity": nn.Identity}
OPTIMIZERS = {"sgd": (optim.SGD, 0.1), "momentum": (optim.Momentum, 0.05),
              "adagrad": (optim.Adagrad, 0.05), "rmsprop": (optim.RMSprop, 1e-3),
              "adam": (optim.Adam, 1e-3), "adamw": (optim.AdamW, 1e-3),
              "adadelta": (optim.Adadelta, 1.0), "adamax": (optim.Adamax, 2e-3),
              "nadam": (optim.NAdam, 2e-3), "radam": (optim.RAdam, 1e-3),
              "rprop": (optim.Rprop, 1e-2)}
SCHEDULERS = ("none", "step", "multistep", "exponential", "cosine", "linear", "plateau",
              "constant", "polynomial", "warm_restarts")
# task -> (default loss, the losses that make sense for it)
LOSSES = {"binary": ("bce", ("bce", "mse")),
          "multiclass": ("cross_entropy", ("cross_entropy", "mse")),
          "regression": ("mse", ("mse", "sse"))}


def build_mlp(n_inputs, hidden, activation, n_outputs, output_layer=None, flatten=False):
    """Linear → activation → … → Linear (→ output_layer): the notes' multilayer perceptron."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose from {sorted(ACTIVATIONS)}")
    layers = [nn.Flatten()] if flatten else []
    width = n_inputs
    for h in hidden:
        layers += [nn.Linear(width, h), ACTIVATIONS[activation]()]
        width = h
    layers.append(nn.Linear(width, n_outputs))
    if output_layer is not None:
        layers.append(output_layer)
    return nn.Sequential(*layers)


def make_optimizer(name, params, lr=None):
    """The named optimizer over ``params``, at ``lr`` or the optimizer's default rate.

    Left at ``foreach=None``: ``fit`` then updates an MLP's many small weight arrays as one
    (``optim/foreach.py``), where that costs less; the numbers are the same.
    """
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose from {sorted(OPTIMIZERS)}")
    opt_cls, default_lr = OPTIMIZERS[name]
    return opt_cls(params, lr=default_lr if lr is None else lr)


def head_for(task, n_classes, loss_name):
    """(n_outputs, output layer or None, loss module, target transform) for a task and loss."""
    default, allowed = LOSSES[task]
    loss_name = default if loss_name in (None, "auto") else loss_name
    if loss_name not in allowed:
        raise ValueError(f"loss {loss_name!r} does not fit a {task} problem; use one of {allowed}")
    if task == "binary":
        as_column = lambda y: np.asarray(y, np.float32).reshape(-1, 1)  # noqa: E731
        if loss_name == "bce":
            return 1, None, nn.BCEWithLogitsLoss(), as_column
        return 1, nn.Sigmoid(), nn.MSELoss(), as_column
    if task == "multiclass":
        if loss_name == "cross_entropy":
            return n_classes, None, nn.CrossEntropyLoss(), lambda y: y
        one_hot = lambda y: np.eye(n_classes, dtype=np.float32)[y]  # noqa: E731
        return n_classes, nn.Softmax(dim=1), nn.MSELoss(), one_hot
    loss = nn.MSELoss() if loss_name == "mse" else nn.SSELoss()
    return None, None, loss, lambda y: y


def make_scheduler(name, optimizer, epochs):
    """The named learning-rate schedule over ``epochs``, or None for a constant rate."""
    from ..optim import lr_scheduler as s

    if name in (None, "none"):
        return None
    table = {
        "step": lambda: s.StepLR(optimizer, step_size=max(1, epochs // 3), gamma=0.5),
        # distinct milestones from 1 on: a milestone 0 decays before training, a repeated one twice
        "multistep": lambda: s.MultiStepLR(
            optimizer, sorted({max(1, epochs // 2), max(1, 3 * epochs // 4)}), 0.1),
        "exponential": lambda: s.ExponentialLR(optimizer, gamma=0.9),
        "cosine": lambda: s.CosineAnnealingLR(optimizer, T_max=epochs),
        "linear": lambda: s.LinearLR(optimizer, total_iters=max(1, epochs // 4)),
        "plateau": lambda: s.ReduceLROnPlateau(optimizer, factor=0.5, patience=2),
        "constant": lambda: s.ConstantLR(optimizer, factor=0.5, total_iters=max(1, epochs // 4)),
        "polynomial": lambda: s.PolynomialLR(optimizer, total_iters=max(1, epochs), power=2.0),
        "warm_restarts": lambda: s.CosineAnnealingWarmRestarts(optimizer, T_0=max(1, epochs // 3)),
    }
    if name not in table:
        raise ValueError(f"unknown scheduler {name!r}; choose from {SCHEDULERS}")
    return table[name]()


def metrics_for(task):
    """The metric a problem is judged by: mean absolute error for numbers, else accuracy."""
    return ("mae",) if task == "regression" else ("accuracy",)


def set_task(problem, task):
    """Read ``problem`` as another kind of problem (``--task``); ValueError when it cannot be.

    Classes can be learned as numbers (a column of labels), but numbers are not classes, and a
    yes/no problem needs exactly two classes.
    """
    if task == problem.task:
        return problem
    if task == "regression":
        problem.y = np.asarray(problem.y, np.float32).reshape(len(problem.y), -1)
        if problem.y_test is not None:
            problem.y_test = np.asarray(problem.y_test, np.float32).reshape(len(problem.y_test), -1)
    elif problem.task == "regression":
        raise ValueError(f"--task {task} does not fit {problem.name}: its targets are numbers, "
                         "not classes")
    elif task == "binary" and problem.n_classes != 2:
        raise ValueError(f"--task binary does not fit {problem.name}: it has "
                         f"{problem.n_classes} classes, not 2")
    problem.task = task
    return problem


def split(problem, val_split, seed):
    """Train / validation / test arrays: the official test split or a stratified 20% hold-out."""
    try:
        return _split(problem, val_split, seed)
    except ValueError as e:  # train_test_split names its own arguments, not the options
        raise ValueError(_too_few_to_split(problem, val_split, e)) from None


def _too_few_to_split(problem, val_split, error):
    """Why the split failed, in terms of the options that set the sizes."""
    from ..datasets import SYNTHETIC_CLASSIFICATION, SYNTHETIC_REGRESSION

    if problem.name in SYNTHETIC_CLASSIFICATION + SYNTHETIC_REGRESSION:
        classes = " with every class in each" if problem.task != "regression" else ""
        return (f"--samples {len(problem.X)} and --val-split {val_split} leave too few "
                f"{problem.name} samples for training, validation and test sets{classes}; "
                "use more --samples")
    if val_split:
        return (f"--val-split {val_split} leaves too few {problem.name} samples for training "
                "or validation; use a fraction nearer 0.2")
    return f"{problem.name}: too few samples to split off a test set ({error})"


def _split(problem, val_split, seed):
    from ..data import train_test_split

    stratify = problem.y if problem.task != "regression" else None
    if problem.X_test is not None:
        X, y, X_test, y_test = problem.X, problem.y, problem.X_test, problem.y_test
    else:
        X, X_test, y, y_test = train_test_split(problem.X, problem.y, test_size=0.2,
                                                stratify=stratify, seed=seed)
    X_val = y_val = None
    if val_split:
        stratify = y if problem.task != "regression" else None
        X, X_val, y, y_val = train_test_split(X, y, test_size=val_split, stratify=stratify,
                                              seed=seed + 1)
    return (X, y), (X_val, y_val), (X_test, y_test)
