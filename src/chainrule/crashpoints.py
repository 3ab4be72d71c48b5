"""Named points where a crash test can stop chainrule, to kill it there (a test hook).

With ``CHAINRULE_CRASHPOINTS=1`` in the environment, training prints a line ``@chainrule
POINT`` on stderr at each point — ``mid-batch E.B`` (gradients computed, update not yet made),
``batch E.B`` (update made), ``epoch E`` (epoch done, checkpoint written) and ``write NAME``
(a file's new content written to its temporary file, not yet renamed into place). With
``CHAINRULE_STOP_AT="POINT#N"`` the process also stops at the N-th such point and waits there
to be killed, so a test places a kill deterministically. The variables are read once, at
import: unset, each point costs one test of a constant.
"""

import os
import sys
import time

ENABLED = bool(os.environ.get("CHAINRULE_CRASHPOINTS"))
_STOP_AT = os.environ.get("CHAINRULE_STOP_AT", "")
_seen = {}


def reached(point):
    """Announce ``point`` (``ENABLED`` only: call sites test it first) and stop if asked."""
    print(f"@chainrule {point}", file=sys.stderr, flush=True)
    kind = point.split(" ")[0] if point.startswith(("batch", "mid-batch", "epoch")) else point
    _seen[kind] = _seen.get(kind, 0) + 1
    if _STOP_AT and _STOP_AT == f"{kind}#{_seen[kind]}":
        print("@chainrule stopped", file=sys.stderr, flush=True)
        time.sleep(600)  # the test kills the process here
