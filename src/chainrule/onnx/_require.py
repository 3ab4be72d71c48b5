"""The lazy import of the ``onnx`` package, with an error that says how to get it."""


def require_onnx(what):
    try:
        import onnx
    except ImportError:
        raise ImportError(f"{what} needs the onnx package: pip install 'chainrule[onnx]'") from None
    return onnx
