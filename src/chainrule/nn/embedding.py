"""``Embedding``: a lookup table of learned vectors, one per token (math in
``ops/embedding.py``)."""

import numpy as np

from ..dtypes import default_float
from ..random import default_generator
from . import functional as F
from .module import Module
from .parameter import Parameter


class Embedding(Module):
    """Row i of ``weight`` (num_embeddings, embedding_dim) is token i's vector, initialised from
    N(0, 1) as torch. The row at ``padding_idx`` starts at zero and is never trained."""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None,
                 norm_type=2.0, scale_grad_by_freq=False, sparse=False, _weight=None,
                 _freeze=False, dtype=None):
        super().__init__()
        dtype = default_float(dtype)  # torch: the default dtype, float32 unless set
        if max_norm is not None or scale_grad_by_freq or sparse:
            raise NotImplementedError("Embedding: max_norm, scale_grad_by_freq and sparse are "
                                      "not supported by chainrule")
        for name, n in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
                raise ValueError(f"Embedding: {name} must be a positive int, got {n!r}")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = None if padding_idx is None else F._padding_index(padding_idx,
                                                                             num_embeddings)
        if _weight is None:
            weight = default_generator().standard_normal((num_embeddings, embedding_dim))
            weight = weight.astype(dtype)
            if self.padding_idx is not None:
                weight[self.padding_idx] = 0
        else:
            weight = np.array(getattr(_weight, "array", _weight))
            if weight.shape != (num_embeddings, embedding_dim):
                raise ValueError(f"Embedding: _weight of shape {weight.shape} does not match "
                                 f"({num_embeddings}, {embedding_dim})")
        self.weight = Parameter(weight, requires_grad=not _freeze)

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None):
        """An Embedding holding a copy of ``embeddings`` (2-D), frozen unless ``freeze=False``."""
        data = np.asarray(getattr(embeddings, "array", embeddings))
        if data.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-D, got shape "
                             f"{data.shape}")
        return cls(data.shape[0], data.shape[1], padding_idx=padding_idx, _weight=data,
                   _freeze=freeze)

    def forward(self, idx):
        return F.embedding(idx, self.weight, self.padding_idx)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        return s + (f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")

    def config(self):
        return {"num_embeddings": self.num_embeddings, "embedding_dim": self.embedding_dim,
                "padding_idx": self.padding_idx, "dtype": str(self.weight.dtype)}
