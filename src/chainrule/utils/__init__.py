"""torch.utils's place for ported programs: ``chainrule.utils.data`` is ``torch.utils.data``."""

from . import data

__all__ = ["data"]
