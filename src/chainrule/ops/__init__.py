"""The differentiable ops, one small ``Function`` each, grouped by kind.

Each module reads like a table of derivatives: the forward formula and, beside it, the local
gradient times the upstream gradient ``g``.
"""
