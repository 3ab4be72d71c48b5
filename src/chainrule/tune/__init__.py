"""``chainrule tune``: find depth, widths and the rest of ``train``'s settings by experiment.

Needs the ``tune`` extra (Optuna), imported only when a search runs.
"""

from .search import tune
from .space import SearchSpace, default_space
