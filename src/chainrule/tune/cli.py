"""``chainrule tune``: its options and what the command prints.

The search space options override the data set's defaults (``space.default_space``); every
worker of one search must be started with the same options (the study checks).
"""

import argparse
import dataclasses
import sys


def _ints(option):
    def parse(text):
        try:
            values = tuple(int(v) for v in text.split(","))
        except ValueError:
            message = f"{option} takes integers like 16,32, got {text!r}"
            raise argparse.ArgumentTypeError(message) from None
        return values
    return parse


def _names(text):
    return tuple(v.strip() for v in text.split(",") if v.strip())


def _range(option, kind):
    def parse(text):
        low, sep, high = text.partition(":")
        try:
            return (kind(low), kind(high if sep else low))
        except ValueError:
            raise argparse.ArgumentTypeError(f"{option} takes LOW:HIGH, e.g. "
                                             f"{'1:3' if kind is int else '1e-4:0.3'}, got "
                                             f"{text!r}") from None
    return parse


def add_parser(sub):
    """Add the ``tune`` subcommand to the CLI's subparsers."""
    from ..datasets import NAMES
    from .pruning import PRUNERS
    from .search import DEFAULT_TRIALS

    p = sub.add_parser("tune", help="search depth, widths, activation, optimizer, learning "
                                    "rate and batch size by experiment (needs chainrule[tune])")
    p.add_argument("--dataset", default="digits", choices=NAMES)
    p.add_argument("--trials", type=int, default=None,
                   help=f"trials in the whole search, shared by all its workers (default "
                        f"{DEFAULT_TRIALS}, or no limit with --timeout)")
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds after which this worker starts no new trial")
    p.add_argument("--pruner", default="median", choices=PRUNERS,
                   help="stop hopeless trials early (default median)")
    p.add_argument("--storage", default=None,
                   help="where the study lives: a database URL (postgresql+psycopg://..., "
                        "sqlite:///...), journal:PATH or memory (default: SQLite OUT/study.db)")
    p.add_argument("--study", default=None, help="study name (default chainrule-DATASET)")
    p.add_argument("--out", default="runs/tune",
                   help="output directory: the best run (OUT/best), trials.csv, figures")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the data split; trial N trains with seed SEED+1+N")
    p.add_argument("--val-split", type=float, default=0.2)
    p.add_argument("--samples", type=int, default=1000, help="size of synthetic data sets")
    p.add_argument("--noise", type=float, default=0.0, help="noise of synthetic data sets")
    p.add_argument("--data-dir", default=None, help="where MNIST files are (or go)")
    space = p.add_argument_group("search space (defaults depend on the data set)")
    space.add_argument("--depth", type=_range("--depth", int), default=None,
                       help="fewest:most hidden layers, e.g. 1:3")
    space.add_argument("--widths", type=_ints("--widths"), default=None,
                       help="widths a hidden layer may have, e.g. 32,64,128,256")
    space.add_argument("--activations", type=_names, default=None, help="e.g. relu,tanh,sigmoid")
    space.add_argument("--optimizers", type=_names, default=None, help="e.g. sgd,adam")
    space.add_argument("--lr", type=_range("--lr", float), default=None,
                       help="learning-rate range, searched on a log scale, e.g. 1e-4:0.3")
    space.add_argument("--batch-sizes", type=_ints("--batch-sizes"), default=None)
    space.add_argument("--epochs", type=_ints("--epochs"), default=None,
                       help="epochs a trial trains (one value, or choices)")
    p.add_argument("--report-only", action="store_true",
                   help="run no trial: write the report of the study as it stands")
    return p


def space_from(args):
    from .space import default_space

    given = {name: getattr(args, name) for name in
             ("depth", "widths", "activations", "optimizers", "lr", "batch_sizes", "epochs")
             if getattr(args, name) is not None}
    return dataclasses.replace(default_space(args.dataset), **given)


def run(args):
    """The ``tune`` command: this worker's trials, then the report."""
    try:
        import optuna  # noqa: F401
    except ImportError:
        raise ImportError("chainrule tune needs Optuna: pip install 'chainrule[tune]'") from None
    from .report import summarize
    from .search import tune

    space = space_from(args)
    study = tune(dataset=args.dataset, space=space, trials=args.trials, timeout=args.timeout,
                 pruner=args.pruner, storage=args.storage, study_name=args.study, out=args.out,
                 seed=args.seed, val_split=args.val_split, samples=args.samples,
                 noise=args.noise, data_dir=args.data_dir, run_trials=not args.report_only)
    print()
    print(summarize(study, space, args.out))
    sys.stdout.flush()
    return 0
