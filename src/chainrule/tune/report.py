"""What a search found: the trials best first, the command that retrains the best, what mattered.

Everything here is read from the study's trials, so any worker (or a later
``chainrule tune --report``) can write it: ``trials.csv``, ``report.txt`` and three figures —
the optimization history, each trial's validation score per epoch (pruned trials end in a
cross) and the parameter importances.
"""

import csv
import io
import math
import os

MIN_TRIALS_TO_JUDGE = 6  # the top is at least 3 trials: fewer than 6 leave nothing to compare


def describe_settings(settings):
    hidden = ",".join(str(h) for h in settings["hidden"]) or "none"
    return (f"hidden {hidden:<11} {settings['activation']:<8} {settings['optimizer']:<8} "
            f"lr {settings['lr']:<8.3g} batch {settings['batch_size']:<3} "
            f"epochs {settings['epochs']}")


def settings_of(trial, space):
    """The ``train`` settings a finished trial used (its parameters, the space's fixed values)."""
    import optuna

    return space.suggest(optuna.trial.FixedTrial(trial.params))


def ranked(study):
    """Trials best first: finished by score, then pruned by their last score, then the rest."""
    from optuna.trial import TrialState

    sign = 1 if study.direction.name == "MAXIMIZE" else -1

    def key(t):
        if t.state == TrialState.COMPLETE:
            return (0, -sign * t.value, t.number)
        if t.state == TrialState.PRUNED and t.intermediate_values:
            last = t.intermediate_values[max(t.intermediate_values)]
            return (1, -sign * last, t.number)
        return (2, 0, t.number)

    return sorted(study.get_trials(deepcopy=False), key=key)


def trial_rows(study, space):
    objective = study.user_attrs["chainrule"]["objective"]
    rows = []
    for t in ranked(study):
        settings = _settings_or_none(t, space)
        test = (t.user_attrs.get("test") or {})
        score = t.value if t.value is not None else _last(t)
        rows.append({
            "trial": t.number, "state": t.state.name.lower(),
            objective: "" if score is None else round(score, 4),
            "epochs": t.user_attrs.get("epochs_run", len(t.intermediate_values) or ""),
            "test_" + ("accuracy" if "accuracy" in objective else "loss"):
                round(test.get("accuracy", test.get("loss", math.nan)), 4) if test else "",
            "hidden": ",".join(map(str, settings["hidden"])) if settings else "",
            "activation": settings["activation"] if settings else "",
            "optimizer": settings["optimizer"] if settings else "",
            "lr": f"{settings['lr']:.3g}" if settings else "",
            "batch_size": settings["batch_size"] if settings else "",
            "seed": t.user_attrs.get("seed", ""),
            "seconds": round(t.duration.total_seconds(), 1) if t.duration else "",
            "note": _note(t),
        })
    return rows


def _settings_or_none(t, space):
    try:
        return settings_of(t, space)
    except ValueError:  # a trial that died before it chose all its settings
        return None


def _last(t):
    return t.intermediate_values[max(t.intermediate_values)] if t.intermediate_values else None


def _note(t):
    if "retry_of" in t.user_attrs:
        return f"rerun of trial {t.user_attrs['retry_of']} (its worker died)"
    if t.state.name == "PRUNED":
        return f"pruned after epoch {max(t.intermediate_values)}" if t.intermediate_values else ""
    if t.state.name == "FAIL":
        return t.user_attrs.get("error", "its worker died; queued again")
    return ""


def write_csv(rows, path):
    from ..io.atomic import atomic_write_text

    buf = io.StringIO()
    if rows:
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    atomic_write_text(path, buf.getvalue())


def format_table(rows, limit=10):
    """The first ``limit`` rows as aligned text."""
    if not rows:
        return "(no trials)"
    shown = rows[:limit]
    keys = [k for k in rows[0] if k != "note"] + ["note"]
    widths = {k: max(len(k), *(len(str(r[k])) for r in shown)) for k in keys}
    lines = ["  ".join(f"{k:<{widths[k]}}" for k in keys).rstrip()]
    lines += ["  ".join(f"{r[k]!s:<{widths[k]}}" for k in keys).rstrip() for r in shown]
    if len(rows) > limit:
        lines.append(f"... {len(rows) - limit} more in trials.csv")
    return "\n".join(lines)


def retrain_command(study, trial, space):
    """The ``chainrule train`` command line that trains ``trial``'s settings again."""
    data = study.user_attrs["chainrule"]["data"]
    s = settings_of(trial, space)
    hidden = ",".join(map(str, s["hidden"])) or "none"
    parts = ["chainrule train", f"--dataset {data['dataset']}", f"--hidden {hidden}",
             f"--activation {s['activation']}", f"--optimizer {s['optimizer']}",
             f"--lr {s['lr']:.6g}", f"--batch-size {s['batch_size']}", f"--epochs {s['epochs']}",
             f"--val-split {data['val_split']}", f"--seed {trial.user_attrs['seed']}",
             f"--data-seed {data['data_seed']}"]
    from ..datasets import SYNTHETIC_CLASSIFICATION, SYNTHETIC_REGRESSION

    if data["dataset"] in SYNTHETIC_CLASSIFICATION + SYNTHETIC_REGRESSION:
        parts += [f"--samples {data['samples']}", f"--noise {data['noise']}"]
    return " ".join(parts)


def what_mattered(study, space):
    """A few sentences on what the trials show: which settings mattered, which never won."""
    from optuna.trial import TrialState

    meta = study.user_attrs["chainrule"]
    objective = meta["objective"]
    trials = study.get_trials(deepcopy=False)
    done = [t for t in trials if t.state == TrialState.COMPLETE]
    pruned = [t for t in trials if t.state == TrialState.PRUNED]
    failed = [t for t in trials if t.state == TrialState.FAIL]
    lines = [f"{len(done)} trials finished, {len(pruned)} pruned, {len(failed)} failed."]
    if len(done) < MIN_TRIALS_TO_JUDGE:
        return "\n".join(lines + [f"Too few finished trials to say what mattered (fewer than "
                                   f"{MIN_TRIALS_TO_JUDGE})."])
    importances = _importances(study)
    if importances:
        ordered = sorted(importances.items(), key=lambda kv: -kv[1])
        (first, a), rest = ordered[0], ordered[1:]
        name = _name(first)
        text = (f"{name[0].upper()}{name[1:]} mattered most ({a:.0%} of the spread in "
                f"{objective} explained)")
        if rest:
            text += f", then {_name(rest[0][0])} ({rest[0][1]:.0%})"
        lines.append(text + ".")
        small = [_name(k) for k, v in rest[1:] if v < 0.05]
        if small:
            lines.append(f"Hardly mattered (under 5% each): {', '.join(small)}.")
    maximize = study.direction.name == "MAXIMIZE"
    done.sort(key=lambda t: -t.value if maximize else t.value)
    top = done[:max(3, len(done) // 4)]
    lines += _categorical_findings(done, top)
    lrs = sorted(t.params["lr"] for t in top if "lr" in t.params)
    if lrs:
        lines.append(f"The top {len(top)} trials used lr {lrs[0]:.2g} to {lrs[-1]:.2g} "
                     f"(searched {space.lr[0]:g} to {space.lr[1]:g}).")
    if pruned:
        epochs = [max(t.intermediate_values) for t in pruned if t.intermediate_values]
        if epochs:
            mean = sum(epochs) / len(epochs)
            lines.append(f"Pruning stopped {len(pruned)} trials after {mean:.1f} epochs on "
                         "average.")
    return "\n".join(lines)


def _name(param):
    return {"depth": "depth (hidden layers)", "lr": "the learning rate",
            "batch_size": "the batch size"}.get(param, param.replace("_", " "))


def _importances(study):
    import warnings

    import optuna

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return optuna.importance.get_param_importances(study)
    except (ValueError, RuntimeError, ImportError, ZeroDivisionError):
        return {}  # e.g. every finished trial scored the same


def _categorical_findings(done, top):
    lines = []
    names = sorted({k for t in done for k, v in t.params.items() if not isinstance(v, float)})
    for name in names:
        tried = {}
        for t in done:
            if name in t.params:
                tried.setdefault(t.params[name], 0)
                tried[t.params[name]] += 1
        in_top = {t.params[name] for t in top if name in t.params}
        if len(tried) < 2 or not in_top:
            continue
        never = [f"{v} ({n} tries)" for v, n in sorted(tried.items(), key=str)
                 if v not in in_top and n >= 2]
        never = f"{', '.join(never)} never reached the top {len(top)}" if never else ""
        if len(in_top) == 1 and all(name in t.params for t in top) and len(top) >= 3:
            text = f"All of the top {len(top)} trials used {_name(name)} {next(iter(in_top))}"
            lines.append(text + (f"; {never}." if never else "."))
        elif never:
            lines.append(f"{_name(name)}: {never}.")
    return lines


def plot_figures(study, out):
    """history.png, intermediate.png and importance.png in ``out``; their paths."""
    from optuna.trial import TrialState

    from ..plotting import new_figure, save_figure

    objective = study.user_attrs["chainrule"]["objective"]
    maximize = study.direction.name == "MAXIMIZE"
    trials = study.get_trials(deepcopy=False)
    paths = []

    fig = new_figure(7, 4, layout="tight")
    ax = fig.add_subplot()
    done = [t for t in trials if t.state == TrialState.COMPLETE]
    ax.scatter([t.number for t in done], [t.value for t in done], s=18, label="finished")
    cut = [t for t in trials if t.state == TrialState.PRUNED and t.intermediate_values]
    ax.scatter([t.number for t in cut], [_last(t) for t in cut], marker="x", color="tab:red",
               s=18, label="pruned (score when stopped)")
    best, xs, ys = None, [], []
    for t in sorted(done, key=lambda t: t.number):
        if best is None or (t.value > best if maximize else t.value < best):
            best = t.value
        xs.append(t.number)
        ys.append(best)
    ax.step(xs, ys, where="post", color="black", label="best so far")
    ax.set(xlabel="trial", ylabel=objective, title="Optimization history")
    ax.legend()
    paths.append(save_figure(fig, os.path.join(out, "history.png")))

    fig = new_figure(7, 4, layout="tight")
    ax = fig.add_subplot()
    for t in trials:
        if not t.intermediate_values:
            continue
        steps = sorted(t.intermediate_values)
        values = [t.intermediate_values[s] for s in steps]
        if t.state == TrialState.PRUNED:
            ax.plot(steps, values, color="tab:red", alpha=0.5, lw=1)
            ax.plot(steps[-1], values[-1], "x", color="tab:red")
        else:
            ax.plot(steps, values, color="tab:blue", alpha=0.6, lw=1)
    ax.plot([], [], color="tab:blue", label="finished")
    ax.plot([], [], color="tab:red", marker="x", label="pruned")
    ax.set(xlabel="epoch", ylabel=objective, title="Validation score per epoch, every trial")
    ax.legend()
    paths.append(save_figure(fig, os.path.join(out, "intermediate.png")))

    importances = _importances(study)
    if importances:
        fig = new_figure(7, 1 + 0.4 * len(importances), layout="tight")
        ax = fig.add_subplot()
        names = list(importances)[::-1]
        ax.barh([_name(n) for n in names], [importances[n] for n in names])
        ax.set(xlabel=f"share of the spread in {objective} explained (fANOVA)",
               title="What mattered")
        paths.append(save_figure(fig, os.path.join(out, "importance.png")))
    return paths


def draw_best_curves(out):
    """curves.png of the kept best run, from its history.csv, if it has none yet."""
    from ..plotting import plot_history

    best = os.path.join(out, "best")
    path = os.path.join(best, "curves.png")
    if os.path.exists(path) or not os.path.exists(os.path.join(best, "history.csv")):
        return None
    with open(os.path.join(best, "history.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    history = {k: [float(r[k]) for r in rows] for k in (rows[0] if rows else {}) if k != "epoch"}
    if len(set(history.get("lr", []))) <= 1:
        history.pop("lr", None)  # as History.plot: a constant learning rate needs no panel
    trial = _kept_trial(out)
    return plot_history(history, path, title=f"chainrule tune · best trial {trial}")


def summarize(study, space, out):
    """Write trials.csv, report.txt and the figures to ``out``; return the report text."""
    from optuna.trial import TrialState

    from ..io.atomic import atomic_write_text

    rows = trial_rows(study, space)
    write_csv(rows, os.path.join(out, "trials.csv"))
    parts = ["Trials, best first (all in trials.csv):", format_table(rows), ""]
    done = [t for t in study.get_trials(deepcopy=False) if t.state == TrialState.COMPLETE]
    if done:
        best = study.best_trial
        objective = study.user_attrs["chainrule"]["objective"]
        parts += [f"Best: trial {best.number}, {objective} {best.value:.4f}. To train it again:",
                  "  " + retrain_command(study, best, space), ""]
        kept = _kept_trial(out)
        if kept == best.number:
            parts.append(f"Its run directory: {os.path.join(out, 'best')} "
                         f"(chainrule evaluate {os.path.join(out, 'best')})")
        else:
            parts.append("Another worker trained it: its run directory is on that machine; "
                         "the command above trains it here.")
        parts.append("")
    waiting = [t for t in study.get_trials(deepcopy=False)
               if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    if waiting:
        parts += [f"{len(waiting)} trials still running or queued (other workers).", ""]
    parts.append("What mattered:")
    parts.append(what_mattered(study, space))
    try:
        figures = plot_figures(study, out)
        try:
            if draw_best_curves(out):
                figures.append(os.path.join(out, "best", "curves.png"))
        except OSError:
            pass  # another worker replaced the best run meanwhile: it draws its own
        parts += ["", "Figures: " + ", ".join(figures)]
    except ImportError:
        parts += ["", "(install chainrule[tune] for the figures: matplotlib)"]
    text = "\n".join(parts)
    atomic_write_text(os.path.join(out, "report.txt"), text + "\n")
    return text


def _kept_trial(out):
    import json

    try:
        with open(os.path.join(out, "best", "trial.json")) as f:
            return json.load(f)["trial"]
    except (OSError, ValueError, KeyError):
        return None
