"""The ``chainrule`` command: train, evaluate, predict, demo.

``chainrule train`` with no arguments trains a small network on the bundled 8×8 digits in a few
seconds and prints its test accuracy.
"""

import argparse
import os
import sys
import warnings


def _hidden(text):
    text = text.strip()
    if text in ("", "none", "0"):
        return ()
    try:
        sizes = tuple(int(h) for h in text.split(","))
    except ValueError:
        message = f"--hidden takes widths like 64,32, got {text!r}"
        raise argparse.ArgumentTypeError(message) from None
    if any(h <= 0 for h in sizes):
        raise argparse.ArgumentTypeError(f"--hidden widths must be positive, got {text!r}")
    return sizes


def _fraction(text):
    value = float(text)
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"--val-split must be in [0, 1), got {text}")
    return value


def _seed(text):
    try:
        seed = int(text)
    except ValueError:
        seed = -1
    if seed < 0:  # NumPy's generators take no negative seed
        raise argparse.ArgumentTypeError(f"--seed takes a non-negative integer, got {text!r}")
    return seed


def _samples(text):
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 2:  # the synthetic sets' own check would name their argument, n_samples
        raise argparse.ArgumentTypeError(f"--samples takes an integer >= 2, got {text!r}")
    return n


def _threads(text):
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"--threads takes a positive integer, got {text!r}")
    return n


_DATA_DIR_HELP = ("directory or .npz file holding the MNIST files (default: under $CHAINRULE_DATA "
                  "or ~/.chainrule/datasets, downloaded there when missing)")


def _parser():
    from .datasets import NAMES
    from .train.run import ACTIVATIONS, OPTIMIZERS, SCHEDULERS

    # plain text: argparse prints help as written, so no reST markup here
    p = argparse.ArgumentParser(
        prog="chainrule",
        description="Deep learning from first principles on NumPy: train a network, use a "
                    "saved run, or draw a figure that shows backpropagation at work.",
        epilog="Each command has its own help: chainrule COMMAND --help.")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a multilayer perceptron and write a run directory")
    default_lrs = ", ".join(f"{name} {lr:g}" for name, (_, lr) in sorted(OPTIMIZERS.items()))
    t.add_argument("--dataset", default="digits", choices=NAMES,
                   help="data set (default: digits, the bundled 8x8 digits, no download)")
    t.add_argument("--hidden", type=_hidden, default=(64, 32),
                   help="hidden layer widths, e.g. 64,32, or none (default: 64,32)")
    t.add_argument("--activation", default="relu", choices=sorted(ACTIVATIONS),
                   help="activation of the hidden layers (default: %(default)s)")
    t.add_argument("--optimizer", default="adam", choices=sorted(OPTIMIZERS),
                   help="optimizer (default: %(default)s)")
    t.add_argument("--lr", type=float, default=None,
                   help=f"learning rate (default per optimizer: {default_lrs})")
    t.add_argument("--scheduler", default="none", choices=SCHEDULERS,
                   help="learning-rate schedule, stepped once per epoch (default: %(default)s)")
    t.add_argument("--epochs", type=int, default=20,
                   help="passes over the training data (default: %(default)s)")
    t.add_argument("--batch-size", type=int, default=32,
                   help="samples per optimizer step (default: %(default)s)")
    t.add_argument("--val-split", type=_fraction, default=0.2,
                   help="fraction of the training data held out to validate (default: "
                        "%(default)s)")
    t.add_argument("--seed", type=_seed, default=0,
                   help="seed of the weights, the split and the shuffling (default: "
                        "%(default)s)")
    t.add_argument("--out", default="runs/latest",
                   help="run directory (default: %(default)s)")
    t.add_argument("--loss", default="auto",
                   help="override the loss: bce, cross_entropy, mse or sse (default: auto, "
                        "which follows the problem)")
    t.add_argument("--task", default="auto", choices=("auto", "binary", "multiclass",
                                                      "regression"),
                   help="kind of problem (default: auto, from the data set)")
    t.add_argument("--samples", type=_samples, default=1000,
                   help="size of synthetic data sets (default: %(default)s)")
    t.add_argument("--noise", type=float, default=0.0,
                   help="noise of synthetic data sets (default: %(default)s)")
    t.add_argument("--data-dir", default=None, help=_DATA_DIR_HELP)
    t.add_argument("--diagnostics", action="store_true",
                   help="record per-layer gradient flow and warn about vanishing gradients")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.add_argument("--threads", type=_threads, default=None,
                   help="threads for matrix products (default: NumPy's, one per core); "
                        "needs chainrule[fast]")

    e = sub.add_parser("evaluate", help="test loss and accuracy of a saved run")
    e.add_argument("run", help="run directory written by chainrule train")
    e.add_argument("--data-dir", default=None, help=_DATA_DIR_HELP)

    r = sub.add_parser("predict", help="predictions of a saved run for inputs in a file")
    r.add_argument("run", help="run directory written by chainrule train")
    r.add_argument("--input", required=True, help=".npy or .csv file, one sample per row")

    d = sub.add_parser("demo", help="write a figure that shows backpropagation at work")
    d.add_argument("name", nargs="?",
                   help="demo name (omit it to list the demos, a line on each)")
    d.add_argument("--out", default="demos", help="directory for the PNG (default: %(default)s)")
    return p


def _train(args):
    from .train.run import train_run

    if args.threads is not None:
        from .threads import set_num_threads

        set_num_threads(args.threads)

    result = train_run(dataset=args.dataset, hidden=args.hidden, activation=args.activation,
                       optimizer=args.optimizer, lr=args.lr, scheduler=args.scheduler,
                       epochs=args.epochs, batch_size=args.batch_size, val_split=args.val_split,
                       seed=args.seed, out=args.out, loss=args.loss, task=args.task,
                       samples=args.samples, noise=args.noise, data_dir=args.data_dir,
                       verbose=0 if args.quiet else 1, diagnostics=args.diagnostics)
    print()
    print(result["summary"])
    test = result["test"]
    shown = " - ".join(f"{k}: {v:.4f}" for k, v in test.items())
    print(f"Test ({args.dataset}): {shown}")
    if "accuracy" in test:
        print(f"Test accuracy: {100 * test['accuracy']:.2f}%")
    if result["history"].stopped_on_nonfinite_loss:
        print("Training stopped early: the loss became NaN or infinite (try a lower --lr).")
    written = ["model.safetensors", "run.json", "history.csv", "summary.txt"]
    if result["curves"]:
        written.append("curves.png")
    if result["diagnostics"] is not None:
        written += [name for name in ("gradient_flow.csv", "gradient_flow.png")
                    if os.path.isfile(os.path.join(result["out"], name))]
    hint = ("; install chainrule[viz] for curves.png"
            if not result["curves"] and len(result["history"]) else "")
    print(f"Run written to {result['out']}/ ({', '.join(written)}{hint})")
    if result["diagnostics"] is not None:
        print(result["diagnostics"].report())
    return 0


def _evaluate(args):
    from .train.run import evaluate_run

    test = evaluate_run(args.run, data_dir=args.data_dir)
    print(" - ".join(f"{k}: {v:.4f}" for k, v in test.items()))
    return 0


def _read_inputs(path):
    import numpy as np

    try:
        if path.endswith(".npy"):
            return np.load(path, allow_pickle=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # an empty file: predict_run says so
            return np.loadtxt(path, delimiter=",", dtype=np.float32, ndmin=2)
    except (ValueError, OSError) as e:  # NumPy's messages do not say which file
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise ValueError(f"--input {path}: {reason}") from None


def _predict(args):
    from .train.run import predict_run

    result = predict_run(args.run, _read_inputs(args.input), source=f"--input {args.input}")
    if "values" in result:
        for row in result["values"]:
            print(",".join(f"{v:.6g}" for v in row.reshape(-1)))
    else:
        for c, p in zip(result["classes"], result["probabilities"]):
            print(f"{int(c)}\t{p[int(c)]:.4f}")
    return 0


def _demo(args):
    from .demos import DEMOS, describe
    from .train.run import make_out_dir

    if not args.name:
        width = max(len(name) for name in DEMOS)
        print(f"chainrule demo NAME writes {args.out}/NAME.png and prints what it shows:")
        for name in sorted(DEMOS):
            print(f"  {name:{width}}  {describe(name)}")
        return 0
    if args.name not in DEMOS:
        print(f"chainrule demo: unknown demo {args.name!r}; choose from "
              f"{', '.join(sorted(DEMOS))}", file=sys.stderr)
        return 2
    make_out_dir(args.out)  # before the demo: its runs can take seconds
    print(DEMOS[args.name](args.out))
    return 0


def _silence_stdout():
    """Point stdout at /dev/null, so flushing it at exit does not raise a second broken pipe."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a real file: nothing will be flushed to the pipe
    os.dup2(os.open(os.devnull, os.O_WRONLY), fd)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = _parser()
    if argv and argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
        # argparse would take the option's value for the command ("invalid choice: '3'")
        parser.error(f"options go after a command, e.g. chainrule train {' '.join(argv)}")
    args = parser.parse_args(argv)
    handlers = {"train": _train, "evaluate": _evaluate, "predict": _predict, "demo": _demo}
    with warnings.catch_warnings():  # library users keep ordinary warnings; filters still apply
        warnings.showwarning = _one_line_warning(f"chainrule {args.command}")
        try:
            return handlers[args.command](args)
        except BrokenPipeError:  # `chainrule predict ... | head`: the reader has all it wanted
            _silence_stdout()
            return 1
        except (ValueError, FileNotFoundError, OSError, ImportError, KeyError) as e:
            print(f"chainrule {args.command}: error: {e}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:  # fit handles its own; elsewhere Ctrl-C needs no traceback
            print(f"chainrule {args.command}: interrupted", file=sys.stderr)
            return 130  # 128 + SIGINT, as shells report it


def _one_line_warning(prog):
    """Show a warning as one line: the library's file and line mean nothing to a command user."""
    def show(message, category, filename, lineno, file=None, line=None):
        print(f"{prog}: warning: {message}", file=sys.stderr)

    return show


if __name__ == "__main__":
    sys.exit(main())
