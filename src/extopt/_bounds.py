"""Bounds: from what a user writes to flat lower and upper vectors.

`bounds=(lower, upper)`, each side `None` (unbounded), a scalar (every
element), an array (broadcast to the parameters when they are a single array)
or a tree with the parameters' structure whose leaves are `None`, scalars or
arrays broadcast to that leaf's shape with NumPy's rules. `None` elements and
+/-inf mean unbounded on that side, also element-wise (`[None, 2.0]`). A
`scipy.optimize.Bounds` on the flat vector is accepted as it is.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._errors import InputError, ScipyWarning, ShapeError, describe, warn
from ._tree import Packer


def keep_feasible(bounds: Any, n: int) -> np.ndarray | None:
    """`Bounds.keep_feasible` per element (None when not set anywhere)."""
    from scipy.optimize import Bounds

    if not isinstance(bounds, Bounds) or not np.any(bounds.keep_feasible):
        return None
    try:
        return np.broadcast_to(np.asarray(bounds.keep_feasible, dtype=bool), (n,)).copy()
    except ValueError:
        raise InputError(
            f"bounds.keep_feasible must be a bool or {n} bools (one per element of x0); got "
            f"{describe(bounds.keep_feasible)}."
        ) from None


def normalize_bounds(bounds: Any, packer: Packer) -> tuple[np.ndarray, np.ndarray] | None:
    """Flat (lower, upper) float64 vectors, or None when nothing is bounded."""
    from scipy.optimize import Bounds

    n = packer.size
    if bounds is None:
        return None
    if isinstance(bounds, Bounds):
        lower = _flat_side(bounds.lb, n, -np.inf, "bounds.lb")
        upper = _flat_side(bounds.ub, n, np.inf, "bounds.ub")
    elif isinstance(bounds, tuple | list) and len(bounds) == 2:
        lower = _side(bounds[0], packer, -np.inf, "lower")
        upper = _side(bounds[1], packer, np.inf, "upper")
    else:
        hint = ""
        if isinstance(bounds, tuple | list):
            hint = (
                f" A sequence of {len(bounds)} (low, high) pairs is SciPy's old form: pass "
                "scipy.optimize.Bounds(lb, ub) for bounds on the flat vector instead."
            )
        raise InputError(
            "bounds must be None, a pair (lower, upper) or a scipy.optimize.Bounds; "
            f"got {describe(bounds)}.{hint}"
        )

    bad = np.flatnonzero((lower > upper) | (lower == np.inf) | (upper == -np.inf))
    if bad.size:
        i = int(bad[0])
        raise InputError(
            f"bounds for {packer.locate(i)} are empty: lower {lower[i]} > upper {upper[i]} "
            f"({bad.size} element(s) like this). Each lower bound must be <= its upper bound "
            "(SciPy: An upper bound is less than the corresponding lower bound.)"
        )
    if np.all(np.isneginf(lower)) and np.all(np.isposinf(upper)):
        return None
    return lower, upper


def clip_start(
    x0: np.ndarray, bounds: tuple[np.ndarray, np.ndarray] | None, packer: Packer
) -> np.ndarray:
    """x0 moved to the nearest point inside the bounds, with a warning if it moved.

    Every SciPy method that takes bounds needs a start inside them (some clip
    silently, some fail); extopt does the same thing for all of them and says so.
    """
    if bounds is None:
        return x0
    lower, upper = bounds
    outside = np.flatnonzero((x0 < lower) | (x0 > upper))
    if outside.size == 0:
        return x0
    i = int(outside[0])
    side = (
        f"below its lower bound {lower[i]}"
        if x0[i] < lower[i]
        else (f"above its upper bound {upper[i]}")
    )
    warn(
        f"x0 is outside the bounds at {outside.size} element(s) (first: {packer.locate(i)} = "
        f"{x0[i]} is {side}); extopt starts from the nearest point inside the bounds "
        "(Ipopt from the point given, which it moves inside itself). SciPy's words: Initial "
        "guess is not within the specified bounds",
        ScipyWarning,
    )
    return np.clip(x0, lower, upper)


def _flat_side(value: Any, n: int, fill: float, what: str) -> np.ndarray:
    array = _as_float_array(value, fill, what)
    try:
        return np.array(np.broadcast_to(array, (n,)), dtype=np.float64)
    except ValueError:
        raise ShapeError(
            f"{what} has shape {array.shape}, which does not broadcast to the {n} parameters "
            "(SciPy: The number of bounds is not compatible with the length of `x0`.)"
        ) from None


def _side(value: Any, packer: Packer, fill: float, which: str) -> np.ndarray:
    """One side of the bounds as a flat vector."""
    out = np.full(packer.size, fill, dtype=np.float64)
    if value is None:
        return out
    single = len(packer.leaves) == 1 and packer.leaves[0].path == ""
    if single or _is_number(value):
        per_leaf = [value] * len(packer.leaves)
    else:
        per_leaf = packer.backend.flatten_up_to(packer.treedef, value, f"the {which} bound")
    for spec, leaf_bound in zip(packer.leaves, per_leaf, strict=True):
        if leaf_bound is None:
            continue
        what = f"the {which} bound of {packer.what}{spec.path}"
        array = _as_float_array(leaf_bound, fill, what, packer)
        try:
            array = np.broadcast_to(array, spec.shape)
        except ValueError:
            raise ShapeError(
                f"{what} has shape {array.shape}, which does not broadcast to the shape of "
                f"{packer.what}{spec.path}, {spec.shape} (NumPy broadcasting rules: trailing "
                "dimensions must match or be 1)."
            ) from None
        out[spec.offset : spec.stop] = array.reshape(-1)
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.number) or (
        hasattr(value, "shape") and tuple(value.shape) == ()
    )


def _as_float_array(value: Any, fill: float, what: str, packer: Packer | None = None) -> np.ndarray:
    """`value` as float64, `None` elements replaced by `fill` (unbounded)."""
    if packer is not None and packer.backend.owns(value):
        array = np.asarray(packer.backend.to_numpy(value), dtype=np.float64)
    elif hasattr(value, "__array__") and not isinstance(value, list | tuple):
        array = np.asarray(value, dtype=np.float64)
    else:
        try:
            obj = np.array(value, dtype=object)
        except ValueError:
            obj = None
        if obj is None or any(isinstance(v, list | tuple) for v in obj.flat):
            raise InputError(
                f"{what} must be a number, None or a rectangular array of numbers "
                f"and None; got the ragged {describe(value)}."
            )
        if obj.ndim == 0 and not _is_number(obj.item()) and obj.item() is not None:
            raise InputError(f"{what} must be a number, an array or None; got {describe(value)}.")
        obj[np.equal(obj, None)] = fill
        try:
            array = obj.astype(np.float64)
        except (TypeError, ValueError):
            raise InputError(
                f"{what} must contain numbers or None; got {describe(value)}."
            ) from None
    if np.isnan(array).any():
        raise InputError(f"{what} contains NaN; use None or +/-inf for 'unbounded'.")
    return array
