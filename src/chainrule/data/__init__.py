"""Data: datasets, mini-batch loading, splits, synthetic 2-D sets, MNIST and scikit-learn sets."""

from .collate import default_collate, default_convert
from .dataset import (
                      ChainDataset,
                      ConcatDataset,
                      Dataset,
                      IterableDataset,
                      Subset,
                      TensorDataset,
)
from .loader import DataLoader
from .logic import logic_gate
from .mnist import DownloadError, load_mnist, read_idx
from .mnist5k import load_mnist5k
from .sampler import (
                      BatchSampler,
                      RandomSampler,
                      Sampler,
                      SequentialSampler,
                      SubsetRandomSampler,
                      WeightedRandomSampler,
)
from .sklearn_sets import load_sklearn
from .split import random_split, train_test_split
from .standardize import Standardizer, standardize
from .synthetic import (
                      checkerboard,
                      circle,
                      gauss,
                      moons,
                      multi_gauss,
                      plane,
                      spiral,
                      three_spirals,
                      xor,
)

__all__ = [
    "Dataset", "TensorDataset", "Subset", "IterableDataset", "ChainDataset", "ConcatDataset",
    "DataLoader", "default_collate", "default_convert", "random_split", "Sampler",
    "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler",
    "BatchSampler",
    "train_test_split", "Standardizer", "standardize", "xor", "circle", "gauss", "spiral", "moons",
    "plane", "multi_gauss", "three_spirals", "checkerboard",
    "logic_gate", "load_mnist", "load_mnist5k", "read_idx", "DownloadError",
    "load_sklearn",
]
