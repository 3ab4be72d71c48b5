"""Peak memory of training, and the time ``import chainrule`` takes, next to PyTorch.

Peak memory: W1 (784-256-128-10, ReLU, cross-entropy, Adam, batch 128) trained for N steps in a
fresh subprocess per system; each child reports its own peak resident set size (ru_maxrss), once
after its imports and model setup and once after training, so the library's own footprint and
the training's can be told apart.

Import time: ``import X`` timed inside fresh interpreters (interpreter start-up not included),
median over several runs, interleaved across modules. ``import chainrule`` includes NumPy, so
``import numpy`` is listed too.

Usage:  python benchmarks/memory_and_import.py [--threads 1] [--steps N] [--quick] [--importtime]
"""

import argparse
import json
import os
import subprocess
import sys

from _harness import chainrule_revision, load_average, median, table

HERE = os.path.dirname(os.path.abspath(__file__))


# -- what runs inside a child ------------------------------------------------------------------
def child_train(system, steps, n_threads):
    import resource

    import numpy as np
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=n_threads)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((128, 784)).astype(np.float32)
    t = rng.integers(0, 10, 128).astype(np.int64)
    if system == "torch":
        import torch

        torch.set_num_threads(n_threads)
        nn, optim = torch.nn, torch.optim
        x, t = torch.from_numpy(x), torch.from_numpy(t)
    else:
        import chainrule as cr
        import chainrule.nn as nn
        import chainrule.optim as optim

        x, t = cr.tensor(x), cr.tensor(t)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                          nn.Linear(128, 10))
    criterion = nn.CrossEntropyLoss()
    opt = optim.Adam(model.parameters(), lr=1e-3)
    after_setup = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for _ in range(steps):
        loss = criterion(model(x), t)
        opt.zero_grad()
        loss.backward()
        opt.step()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"setup_kib": after_setup, "peak_kib": peak, "loss": loss.item()}))


def child_import(module):
    import time

    t0 = time.perf_counter()
    __import__(module)
    print(json.dumps({"seconds": time.perf_counter() - t0}))


# -- the parent --------------------------------------------------------------------------------
def run_child(*args):
    out = subprocess.run([sys.executable, os.path.join(HERE, "memory_and_import.py"), "--child",
                          *map(str, args)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure_memory(steps, repeats, n_threads):
    results = {"chainrule": [], "torch": []}
    for r in range(repeats):
        order = ["chainrule", "torch"] if r % 2 == 0 else ["torch", "chainrule"]
        for system in order:
            results[system].append(run_child("train", system, steps, n_threads))
    rows = []
    for system, runs in results.items():
        setup = median([r["setup_kib"] for r in runs]) / 1024
        peak = median([r["peak_kib"] for r in runs]) / 1024
        rows.append([system, f"{setup:.1f}", f"{peak:.1f}", f"{peak - setup:.1f}"])
    ratio = (median([r["peak_kib"] for r in results["chainrule"]])
             / median([r["peak_kib"] for r in results["torch"]]))
    return rows, ratio


def measure_imports(repeats):
    modules = ["numpy", "chainrule", "torch"]
    seconds = {m: [] for m in modules}
    for r in range(repeats):
        shift = r % len(modules)
        for m in modules[shift:] + modules[:shift]:
            seconds[m].append(run_child("import", m)["seconds"])
    return {m: median(s) for m, s in seconds.items()}, seconds


def importtime_breakdown(top=10):
    """The slowest modules under ``import chainrule`` by ``python -X importtime`` (cumulative)."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import chainrule"],
                         capture_output=True, text=True, check=True)
    rows = []
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        self_us, cumulative_us, name = (part.strip() for part in line[12:].split("|"))
        if self_us.isdigit() and (name == "numpy" or name.split(".")[0] == "chainrule"):
            rows.append((int(cumulative_us), int(self_us), name))
    rows.sort(reverse=True)
    return [[name, f"{cum / 1000:.1f}", f"{own / 1000:.1f}"] for cum, own, name in rows[:top]]


def main(argv=None):
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--child":
        kind, *rest = sys.argv[2:]
        if kind == "train":
            child_train(rest[0], int(rest[1]), int(rest[2]))
        else:
            child_import(rest[0])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=None, help="training steps per child")
    parser.add_argument("--quick", action="store_true", help="a smoke run, well under 20 s")
    parser.add_argument("--importtime", action="store_true",
                        help="also list the slowest modules of one `import chainrule`")
    args = parser.parse_args(argv)
    steps = args.steps or (20 if args.quick else 200)
    mem_repeats, import_repeats = (1, 3) if args.quick else (3, 7)

    print(f"{chainrule_revision()}; {load_average()}")
    print(f"peak resident memory of W1 training, batch 128, {steps} steps, "
          f"{args.threads} thread(s); median of {mem_repeats} fresh subprocess(es) each\n")
    rows, ratio = measure_memory(steps, mem_repeats, args.threads)
    print(table(["system", "after imports + setup (MiB)", "peak (MiB)",
                 "training adds (MiB)"], rows))
    print(f"\npeak chainrule/torch: {ratio:.2f}x (below 1x means chainrule uses less)\n")

    medians, _ = measure_imports(import_repeats)
    print(f"import time in a fresh interpreter, median of {import_repeats}, interleaved\n")
    print(table(["module", "import (s)"], [[m, f"{s:.3f}"] for m, s in medians.items()]))
    print(f"\nimport chainrule/torch: {medians['chainrule'] / medians['torch']:.2f}x; "
          f"chainrule without numpy's share: {medians['chainrule'] - medians['numpy']:.3f} s")
    if args.importtime:
        print("\none `python -X importtime -c 'import chainrule'`, slowest modules (ms):\n")
        print(table(["module", "cumulative", "self"], importtime_breakdown()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
