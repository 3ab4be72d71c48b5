"""The ``chainrule`` command: train, evaluate, predict, export, tune, demo, playground.

``chainrule train`` with no arguments trains a small network on the bundled 8×8 digits in a few
seconds and prints its test accuracy.
"""

import argparse
import math
import os
import sys
import warnings

from .cuda import CudaUnavailableError


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


def _positive_int(option):
    def parse(text):
        try:
            n = int(text)
        except ValueError:
            n = 0
        if n < 1:
            raise argparse.ArgumentTypeError(f"{option} takes a positive integer, got {text!r}")
        return n

    return parse


def _threads(text):
    if text == "auto":
        return text
    return _positive_int("--threads")(text)


def _lr(text):
    try:
        lr = float(text)
    except ValueError:
        lr = math.nan
    if not math.isfinite(lr) or lr < 0:
        raise argparse.ArgumentTypeError(f"--lr takes a positive number, got {text!r}")
    if lr == 0:
        raise argparse.ArgumentTypeError("--lr 0 would train nothing: every update is zero "
                                         "times the gradient, so the weights never change; "
                                         "give a positive rate (or omit --lr for the "
                                         "optimizer's default)")
    return lr


def _checkpoint_every(text):
    if text == "auto":
        return text
    try:
        n = int(text)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(f"--checkpoint-every takes a number of epochs >= 0 "
                                         f"(0: only when stopped early) or auto, got {text!r}")
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
    t.add_argument("--lr", type=_lr, default=None,
                   help=f"learning rate (default per optimizer: {default_lrs})")
    t.add_argument("--scheduler", default="none", choices=SCHEDULERS,
                   help="learning-rate schedule, stepped once per epoch (default: %(default)s)")
    t.add_argument("--epochs", type=_positive_int("--epochs"), default=20,
                   help="passes over the training data (default: %(default)s)")
    t.add_argument("--batch-size", type=_positive_int("--batch-size"), default=32,
                   help="samples per optimizer step (default: %(default)s)")
    t.add_argument("--val-split", type=_fraction, default=0.2,
                   help="fraction of the training data held out to validate (default: "
                        "%(default)s)")
    t.add_argument("--seed", type=_seed, default=0,
                   help="seed of the weights, the split and the shuffling (default: "
                        "%(default)s)")
    t.add_argument("--data-seed", type=_seed, default=None,
                   help="seed of the data and the split (default: --seed)")
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
                   help="threads for matrix products (default: NumPy's, one per core); 'auto' "
                        "times the first steps under 1, 2, ... threads and keeps the fastest; "
                        "needs chainrule[fast]")
    t.add_argument("--compile", action="store_true",
                   help="train with the compiled step (chainrule.compile): captured once per "
                        "batch shape, replayed without a graph; the same weights, faster")
    t.add_argument("--device", default="cpu",
                   help="where to train: cpu, cuda or cuda:N (a GPU, through CuPy: "
                        "chainrule[gpu]) (default: cpu)")
    t.add_argument("--checkpoint-every", type=_checkpoint_every, default="auto", metavar="N",
                   help="save the whole training state to OUT/checkpoint.safetensors every N "
                        "epochs and at the end (default auto: when 2 s have passed since the "
                        "last; 0: only when stopped early)")
    t.add_argument("--resume", metavar="RUN_DIR", default=None,
                   help="continue an interrupted or killed run from its last checkpoint, with "
                        "its own settings (other options are ignored)")

    e = sub.add_parser("evaluate", help="test loss and accuracy of a saved run")
    e.add_argument("run", help="run directory written by chainrule train")
    e.add_argument("--data-dir", default=None, help=_DATA_DIR_HELP)

    r = sub.add_parser("predict", help="predictions of a saved run for inputs in a file")
    r.add_argument("run", help="run directory written by chainrule train")
    r.add_argument("--input", required=True,
                   help=".npy or .csv file, one sample per row (a CSV may start with a header)")
    r.add_argument("--skip-bad-rows", action="store_true",
                   help="leave out rows that are not all finite numbers (counted on stderr) "
                        "instead of refusing the file")

    x = sub.add_parser("export", help="write a saved run's model as an ONNX file")
    x.add_argument("run", help="run directory written by chainrule train")
    x.add_argument("--format", default="onnx", choices=("onnx",))
    x.add_argument("--out", default=None, help="file to write (default RUN/model.onnx)")

    from .tune.cli import add_parser as add_tune_parser

    add_tune_parser(sub)

    d = sub.add_parser("demo", help="write a figure that shows backpropagation at work")
    d.add_argument("name", nargs="?",
                   help="demo name (omit it to list the demos, a line on each)")
    d.add_argument("--out", default="demos", help="directory for the PNG (default: %(default)s)")

    g = sub.add_parser("playground", help="watch a network learn in the browser (TF Playground "
                                          "trained by chainrule); needs chainrule[playground]")
    g.add_argument("--port", type=_port, default=8765, help="port (default 8765; 0: any free)")
    g.add_argument("--host", default=None,
                   help="address to listen on for a classroom (default 127.0.0.1 only); "
                        "the printed URL then carries an access token")
    g.add_argument("--no-browser", action="store_true", help="do not open a browser")
    g.add_argument("--max-sessions", type=_positive_int("--max-sessions"), default=20,
                   help="concurrent sessions (browser tabs) allowed (default 20)")
    return p


def _device(text):
    """--device as a ``device``, checked before any data is read: a GPU asked for and not
    there is one line, not a traceback after a minute of loading."""
    from .devices import as_device

    device = as_device(text)
    if device.type == "cuda":
        from . import cuda

        cuda.require(f"--device {text}")
        cuda.check_index(device.index or 0)
    return device


def _port(text):
    try:
        n = int(text)
    except ValueError:
        n = -1
    if not 0 <= n <= 65535:
        raise argparse.ArgumentTypeError(f"--port takes 0 to 65535, got {text!r}")
    return n


def _train(args):
    from .train.run import STATUSES, resume_run, train_run

    verbose = 0 if args.quiet else 1
    device = _device(args.device)
    if args.resume is not None:
        result = resume_run(args.resume, verbose=verbose, threads=args.threads)
        args.dataset, args.out = result["info"]["dataset"], result["out"]
    else:
        if args.hidden == ():
            print("chainrule train: note: --hidden 0 (or none) means no hidden layer: the "
                  "network is one linear layer, a logistic/softmax or linear regression",
                  file=sys.stderr)
        result = train_run(dataset=args.dataset, hidden=args.hidden, activation=args.activation,
                           optimizer=args.optimizer, lr=args.lr, scheduler=args.scheduler,
                           epochs=args.epochs, batch_size=args.batch_size,
                           val_split=args.val_split, seed=args.seed,
                           data_seed=args.data_seed, out=args.out,
                           loss=args.loss, task=args.task, samples=args.samples,
                           noise=args.noise, data_dir=args.data_dir, verbose=verbose,
                           diagnostics=args.diagnostics,
                           checkpoint_every=args.checkpoint_every or None,
                           compile=args.compile, device=device, threads=args.threads)
    status = result["info"]["status"]
    if status == "interrupted":
        print(f"chainrule train: interrupted; the checkpoint and run.json (status "
              f"'interrupted') are in {result['out']}/; continue with `chainrule train "
              f"--resume {result['out']}`", file=sys.stderr)
        return STATUSES[status]
    print()
    print(result["summary"])
    test = result["test"]
    if test:
        shown = " - ".join(f"{k}: {v:.4f}" for k, v in test.items())
        print(f"Test ({args.dataset}): {shown}")
        if "accuracy" in test:
            print(f"Test accuracy: {100 * test['accuracy']:.2f}%")
    written = (["model.safetensors"] if result["model_saved"] else []) + [
        "run.json", "history.csv", "summary.txt"]
    if os.path.isfile(os.path.join(result["out"], "checkpoint.safetensors")):
        written.append("checkpoint.safetensors")
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
    if status == "diverged":
        bad = result["info"]["nonfinite"]
        kept = (f"model.safetensors holds the weights {bad['weights']}" if result["model_saved"]
                else "no model was saved: no finite update was made")
        print(f"chainrule train: error: the training loss became {bad['loss']} at epoch "
              f"{bad['epoch']}, batch {bad['batch']}; training stopped ({kept}). Try a lower "
              "--lr, or check the data for NaN or inf.", file=sys.stderr)
    return STATUSES[status]


def _evaluate(args):
    from .train.run import evaluate_run

    test = evaluate_run(args.run, data_dir=args.data_dir)
    print(" - ".join(f"{k}: {v:.4f}" for k, v in test.items()))
    return 0


def _read_inputs(path, n_values, skip_bad):
    """(rows, skipped row numbers) of a .npy or .csv file of samples, every value finite."""
    import numpy as np

    from .io import CorruptFileError, read_rows

    if not path.endswith(".npy"):
        try:
            return read_rows(path, n_values, skip_bad)
        except CorruptFileError as e:
            raise ValueError(f"--input {path}: {e.problem}") from None
        except OSError as e:
            raise ValueError(f"--input {path}: {e.strerror or e}") from None
    try:  # mmap: a header claiming more data than the file has fails here, allocating nothing
        X = np.load(path, allow_pickle=False, mmap_mode="r")
    except (ValueError, OSError) as e:  # NumPy's messages do not say which file
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise ValueError(f"--input {path}: {reason}") from None
    if X.dtype.kind not in "biuf":
        raise ValueError(f"--input {path}: an array of {X.dtype}, not numbers")
    rows = X.reshape(len(X), -1) if X.ndim > 1 else X.reshape(1, -1)
    finite = np.isfinite(rows).all(axis=1)
    bad = [int(i) + 1 for i in np.flatnonzero(~finite)]
    if bad and not skip_bad:
        shown = ", ".join(str(i) for i in bad[:5]) + (" …" if len(bad) > 5 else "")
        raise ValueError(f"--input {path}: {len(bad)} row(s) hold NaN or inf (rows {shown}, "
                         "counting from 1); fix them or pass --skip-bad-rows")
    return np.array(X[finite] if X.ndim > 1 else X), bad


def _predict(args):
    import math

    from .train.run import predict_run, read_run_json

    info = read_run_json(args.run)
    X, skipped = _read_inputs(args.input, math.prod(info["input_shape"]), args.skip_bad_rows)
    if skipped:
        shown = ", ".join(str(i) for i in skipped[:10]) + (" …" if len(skipped) > 10 else "")
        print(f"chainrule predict: skipped {len(skipped)} bad row(s) of {args.input}: {shown}",
              file=sys.stderr)
    result = predict_run(args.run, X, source=f"--input {args.input}")
    if "values" in result:
        for row in result["values"]:
            print(",".join(f"{v:.6g}" for v in row.reshape(-1)))
    else:
        for c, p in zip(result["classes"], result["probabilities"]):
            print(f"{int(c)}\t{p[int(c)]:.4f}")
    return 0


def _export(args):
    """The run's model with its input scaling folded in: the file takes raw inputs."""
    import numpy as np

    from .onnx import export
    from .train.run import load_run

    model, info, scaler = load_run(args.run)
    out = args.out or os.path.join(args.run, "model.onnx")
    example = np.zeros((1, *info["input_shape"]), np.float32)
    export(model, out, example, input_scaling=(scaler.mean, scaler.std))
    print(f"Wrote {out}: ONNX opset 13, input 'input' of shape (batch, "
          f"{', '.join(str(d) for d in info['input_shape'])}) in raw units (the run's scaling "
          f"is inside), output 'output' ({info['output']})")
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


def _tune(args):
    from .tune.cli import run

    return run(args)


def _playground(args):
    from .playground.run import serve

    return serve(host=args.host, port=args.port, open_browser=not args.no_browser,
                 max_sessions=args.max_sessions)


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
    handlers = {"train": _train, "evaluate": _evaluate, "predict": _predict, "demo": _demo,
                "export": _export, "tune": _tune, "playground": _playground}
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
        except CudaUnavailableError as e:  # its message is one line that starts "chainrule:"
            print(e, file=sys.stderr)
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
