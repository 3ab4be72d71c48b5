"""ONNX: trained networks leave chainrule (``export``) and come in from other frameworks (``load``).

ONNX is the file format that PyTorch, Keras and others write and that onnxruntime runs on phones,
in browsers and in services. Needs the ``onnx`` extra (``pip install chainrule[onnx]``); the
``onnx`` package is imported only when one of these functions is called.
"""

from .exporter import EXPORTERS, export
from .importer import IMPORTERS, load
