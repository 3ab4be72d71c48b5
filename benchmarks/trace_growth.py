"""How the backward-pass worksheet (``chainrule.trace``) grows with the size of the graph.

A chain of n steps y = tanh(y·w), one leaf w per step, so 2n nodes: trace it (forward and
backward under the observer), build its steps, print the worksheet and ask for every leaf's
gradient. Linear growth shows as a constant time per node; the table's last column is the time
ratio to the smallest size, against the node ratio.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python benchmarks/trace_growth.py
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import describe_environment, interleaved, median, spread, table  # noqa: E402


def chain_trace(n):
    """A function that traces and prints a 2n-node chain (built fresh each call)."""
    import chainrule as cr
    from chainrule import trace

    def run():
        ws = [cr.tensor(1.0, requires_grad=True) for _ in range(n)]
        x = cr.tensor(0.5, requires_grad=True)

        def chain():
            y = x
            for w in ws:
                y = (y * w).tanh()
            return y

        tr = trace.trace(chain)
        str(tr)
        tr.leaf_gradients()

    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    steps = (250, 500, 1000) if args.quick else (1250, 2500, 5000)
    print(describe_environment(1))
    times = interleaved({n: chain_trace(n) for n in steps}, repeats=args.repeats)
    base = median(times[steps[0]])
    rows = [(f"{2 * n:,}", f"{median(times[n]):.3f}", f"{1e6 * median(times[n]) / (2 * n):.1f}",
             f"±{spread(times[n]):.0%}", f"{2 * n // (2 * steps[0])}x",
             f"{median(times[n]) / base:.1f}x") for n in steps]
    print(table(("nodes", "seconds", "µs per node", "spread", "node ratio", "time ratio"),
                rows))


if __name__ == "__main__":
    main()
