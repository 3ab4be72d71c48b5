"""``detect_anomaly``: stop at the first op whose forward or backward makes NaN or inf.

Off by default: checking every array costs a pass over it. When on, the error names the op, so a
learner sees *where* a loss went to NaN instead of finding NaN weights ten epochs later.
"""


from ..backend import get_array_module
from ..errors import AnomalyError
from .grad_mode import SetSwitch


class AnomalyMode:
    enabled = False


class detect_anomaly(SetSwitch):  # noqa: N801 - torch's name
    """Context manager: raise ``AnomalyError`` naming the first op that produces NaN or inf."""

    switch = AnomalyMode

    def __init__(self, check_nan: bool = True):
        self.check_nan = self.mode = check_nan


def check_finite(array, op_name: str, where: str) -> None:
    """Raise if a float ``array`` holds NaN or inf; ``where`` says forward or backward."""
    if array is None or not hasattr(array, "dtype") or array.dtype.kind not in "fc":
        return
    xp = get_array_module(array)  # on a GPU this waits for it: anomaly mode is for debugging
    finite = xp.isfinite(array)
    if not finite.all():
        bad = array[~finite]
        kind = "NaN" if xp.isnan(bad).any() else "inf"
        raise AnomalyError(
            f"{op_name} produced {kind} in its {where} "
            f"({bad.size} of {array.size} elements, shape {tuple(array.shape)})"
        )
