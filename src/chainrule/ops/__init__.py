"""The differentiable ops, one small ``ArrayFunction`` each (forward and backward on arrays).

Each module reads like a table of derivatives: the forward formula and, beside it, the local
gradient times the upstream gradient ``g``.
"""
