"""Einstein summation, ``einsum("ij,jk->ik", a, b)``, and its gradient.

The gradient of an einsum is an einsum: for an operand with subscripts s_k, dL/d(operand k) =
einsum("out, s_j for j≠k -> s_k", G, the other operands). Two cases need more than that one
call: a letter of s_k that appears nowhere else was summed over in the forward pass, so G is
copied along it (broadcast); and a letter repeated in s_k (``"ii->i"``, a diagonal) gets the
gradient on the diagonal only, zeros elsewhere (written through einsum's diagonal view).
"""

import string

import numpy as np

from ..autograd.function import Function
from ..errors import ShapeError


def explicit_equation(equation, shapes):
    """``equation`` with ``...`` spelled out as letters and the ``->`` output always given:
    (the input subscripts, one string per operand; the output subscripts)."""
    equation = equation.replace(" ", "")
    inputs, arrow, output = equation.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: the equation {equation!r} names {len(terms)} operand(s), "
                         f"got {len(shapes)}")
    used = set(equation) - set(".,->")
    spare = [c for c in string.ascii_letters if c not in used]
    widest = 0
    for term, shape in zip(terms, shapes):
        if "..." in term:
            widest = max(widest, len(shape) - (len(term) - 3))
    ellipsis = "".join(spare[:widest])
    spelled = []
    for term, shape in zip(terms, shapes):
        if "..." in term:
            n = len(shape) - (len(term) - 3)
            term = term.replace("...", ellipsis[widest - n:] if n else "")
        if len(term) != len(shape):
            raise ShapeError(f"einsum: subscripts {term!r} for an operand of shape "
                             f"{tuple(shape)}: one letter per dim")
        spelled.append(term)
    if arrow:
        output = output.replace("...", ellipsis)
    else:  # implicit mode: the letters seen once, in alphabetical order, after the ellipsis
        letters = "".join(spelled)
        output = ellipsis + "".join(sorted(c for c in set(letters) - set(ellipsis)
                                           if letters.count(c) == 1))
    return spelled, output


class Einsum(Function, elementwise=False, moves_elements=False, number_operands=False,
             infix=None):
    """out = Σ over the letters not in the output of the product of the operands' elements;
    d(operand k) = einsum of G with the other operands, back to operand k's subscripts."""

    @staticmethod
    def forward(ctx, equation, *operands):
        terms, output = explicit_equation(equation, [a.shape for a in operands])
        ctx.save_for_backward(*operands)
        ctx.terms, ctx.out_terms = terms, output
        return np.einsum(",".join(terms) + "->" + output, *operands)

    @staticmethod
    def backward(ctx, g):
        operands = ctx.saved_tensors
        terms, output = ctx.terms, ctx.out_terms
        grads = [None]
        for k, (term, operand) in enumerate(zip(terms, operands)):
            if not ctx.needs_grad(k + 1):
                grads.append(None)
                continue
            others = [(t, a) for j, (t, a) in enumerate(zip(terms, operands)) if j != k]
            unique = "".join(dict.fromkeys(term))  # each letter once, in order
            seen = set(output).union(*(t for t, _ in others))
            kept = "".join(c for c in unique if c in seen)
            spec = ",".join([output] + [t for t, _ in others]) + "->" + kept
            reduced = np.einsum(spec, g, *[a for _, a in others])
            grads.append(_to_operand(reduced, kept, term, unique, operand))
        return tuple(grads)


def _to_operand(reduced, kept, term, unique, operand):
    """The gradient over the letters ``kept`` placed in an array of the operand's shape:
    broadcast along the letters summed away, on the diagonal of repeated letters."""
    size = dict(zip(term, operand.shape))
    # a size-1 dim broadcast in the forward pass: its gradient is summed back to size 1
    axes = tuple(i for i, c in enumerate(kept) if size[c] == 1 and reduced.shape[i] != 1)
    if axes:
        reduced = reduced.sum(axis=axes, keepdims=True)
    expanded = reduced.reshape([reduced.shape[kept.index(c)] if c in kept else 1
                                for c in unique])
    expanded = np.broadcast_to(expanded, [size[c] for c in unique])
    if unique == term:
        return np.ascontiguousarray(expanded, dtype=operand.dtype)
    grad = np.zeros(operand.shape, dtype=np.result_type(operand, reduced))
    np.einsum(term + "->" + unique, grad)[...] = expanded  # einsum's diagonal is a view
    return grad
