"""The tables that say which function writes or reads each op, filled by a decorator where the
function is defined: the exporter's (keyed by op class), the importer's (by ONNX operator)."""


def registrar(table):
    """A decorator factory: ``@registers(key, ...)`` puts the decorated function in ``table``
    under each key."""
    def registers(*keys):
        def register(fn):
            for key in keys:
                table[key] = fn
            return fn
        return register
    return registers
