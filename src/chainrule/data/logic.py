"""Truth tables of the logic gates, the first problems for the perceptron and the delta rule.

AND, OR and NAND are linearly separable, so one perceptron learns them; XOR is not, which is why
it needs a hidden layer.
"""

import numpy as np

_TABLES = {
    "and": [0, 0, 0, 1],
    "or": [0, 1, 1, 1],
    "xor": [0, 1, 1, 0],
    "nand": [1, 1, 1, 0],
}


def logic_gate(name, bipolar=False):
    """``(X, y)`` for a two-input gate: X float32 (4, 2), y int64 (4,), rows 00, 01, 10, 11.

    ``bipolar=True`` writes false as -1 instead of 0 in both X and y, the encoding Hebbian
    learning needs, since a 0 input never changes a weight.
    """
    key = str(name).lower()
    if key not in _TABLES:
        raise ValueError(f"logic_gate: unknown gate {name!r}; choose one of {sorted(_TABLES)}")
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    y = np.array(_TABLES[key], dtype=np.int64)
    if bipolar:
        return 2 * X - 1, 2 * y - 1
    return X, y
