"""Neural-network building blocks."""

from . import functional
from .parameter import Parameter
