"""`scipy.optimize.minimize`'s argument forms, read as SciPy reads them.

`extopt.minimize` is a drop-in for `scipy.optimize.minimize`: a call that
SciPy accepts means the same here. This module turns SciPy's forms into
extopt's before anything else sees them:

- a *flat* start (a number, a list of numbers, a 1-D NumPy array) with the
  NumPy backend is SciPy's: the loss gets a 1-D float array, the answer is one;
- `bounds` as a sequence of ``(min, max)`` pairs, one per element of a flat
  start, is SciPy's reading, whatever else the sequence could mean (two pairs
  for two parameters are pairs, as SciPy reads them; only where that reading
  is empty, which SciPy refuses, are they extopt's ``(lower, upper)``);
- `callback(xk)` gets a copy of the point (in the start's structure), and
  `callback(intermediate_result)` (a function whose one parameter has that
  name) an `OptimizeResult` with `x` and `fun`; as in SciPy, a callback stops
  the run by raising `StopIteration` and its return value is ignored, except
  trust-constr's ``callback(xk, state)``, which stops on True;
- NumPy scalars are numbers, and derivatives a method does not use are
  SciPy's `RuntimeWarning`, not an error.
"""

from __future__ import annotations

import inspect
import numbers
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np


def plain(value: Any) -> Any:
    """A NumPy scalar (or 0-d array) as the Python number it holds."""
    if isinstance(value, np.generic) or (isinstance(value, np.ndarray) and value.ndim == 0):
        return value.item()
    return value


def is_flat_start(x0: Any) -> bool:
    """Whether `x0` is a start SciPy would take: a real number, a (nested-free)
    list or tuple of real numbers, or a NumPy array of at most one dimension."""
    if isinstance(x0, bool | np.bool_):
        return False
    if isinstance(x0, numbers.Real):
        return True
    if isinstance(x0, np.ndarray):
        return x0.ndim <= 1 and x0.dtype.kind in "fiu"
    if isinstance(x0, list | tuple) and x0 and not hasattr(x0, "_fields"):
        return all(
            isinstance(v, numbers.Real | np.floating | np.integer)
            and not isinstance(v, bool | np.bool_)
            for v in x0
        )
    return False


def scipy_start(x0: Any, backend: Any) -> tuple[Any, bool]:
    """(x0, flat): a flat start as SciPy makes it (``np.atleast_1d``, floats)
    when the backend is NumPy's (given or inferred); anything else unchanged."""
    if backend not in (None, "numpy") and getattr(backend, "name", None) != "numpy":
        return x0, False
    if not is_flat_start(x0):
        return x0, False
    array = np.atleast_1d(np.asarray(x0))
    if array.dtype.kind != "f":
        array = array.astype(np.float64)
    return array, True


def _is_pair(item: Any) -> bool:
    """A ``(min, max)`` pair of numbers or None (or a None pair)."""
    if item is None:
        return True
    if isinstance(item, np.ndarray):
        return item.shape == (2,) and item.dtype.kind in "fiu"
    if not (isinstance(item, list | tuple) and len(item) == 2):
        return False
    return all(
        v is None or (isinstance(plain(v), numbers.Real) and not isinstance(v, bool)) for v in item
    )


def scipy_bounds(bounds: Any, n: int, flat: bool) -> Any:
    """SciPy's sequence of `n` ``(min, max)`` pairs as a `scipy.optimize.Bounds`
    (None in a pair, or a None pair, is unbounded); other forms unchanged.
    Only for a flat start: there SciPy's reading wins."""
    if not flat or not isinstance(bounds, list | tuple | np.ndarray):
        return bounds
    if isinstance(bounds, np.ndarray) and not (bounds.ndim == 2 and bounds.shape[1] == 2):
        return bounds
    if len(bounds) != n or not all(_is_pair(item) for item in bounds):
        return bounds
    from scipy.optimize import Bounds

    lower = np.full(n, -np.inf)
    upper = np.full(n, np.inf)
    for i, item in enumerate(bounds):
        if item is None:
            continue
        low, high = item
        for side, value, fill in ((lower, low, -np.inf), (upper, high, np.inf)):
            value = plain(value)
            if value is None:
                side[i] = fill
                continue
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                from ._errors import InputError, describe

                raise InputError(
                    f"bounds[{i}] must be a pair (min, max) of numbers or None; got "
                    f"{describe(item)}."
                )
            side[i] = float(value)
    empty = (lower > upper) | (lower == np.inf) | (upper == -np.inf)
    if np.any(empty):
        from ._errors import InputError

        i = int(np.flatnonzero(empty)[0])
        other = (
            " (Read as extopt's (lower, upper) form instead, they would be lower = "
            f"{bounds[0]!r}, upper = {bounds[1]!r}: for a flat start, n pairs are "
            "always SciPy's (min, max) pairs; pass scipy.optimize.Bounds(lower, upper) for "
            "the other reading.)"
            if n == 2
            else ""
        )
        raise InputError(
            f"bounds[{i}] = {bounds[i]!r} holds no value (min {lower[i]} > max {upper[i]}, "
            f"or an infinite side pointing the wrong way). SciPy's words: An upper bound is "
            f"less than the corresponding lower bound.{other}"
        )
    return Bounds(lower, upper)


def _callback_kind(callback: Callable[..., Any]) -> str:
    """ "result" for ``callback(intermediate_result)``, "xk" otherwise (SciPy's test)."""
    try:
        names = set(inspect.signature(callback).parameters)
    except (TypeError, ValueError):
        return "xk"
    return "result" if names == {"intermediate_result"} else "xk"


def scipy_callback(callback: Callable[..., Any], method: str) -> Callable[[Any], Any]:
    """The user's SciPy-style callback as extopt's callback of an `Evaluation`."""
    from scipy.optimize import OptimizeResult

    kind = _callback_kind(callback)
    two_args = False
    if method == "trust-constr" and kind == "xk":
        try:
            two_args = len(inspect.signature(callback).parameters) >= 2
        except (TypeError, ValueError):
            two_args = False

    def call(evaluation: Any) -> Any:
        params = evaluation.params
        x = np.copy(params) if isinstance(params, np.ndarray) else params
        if kind == "result":
            fields = dict(evaluation.raw) if isinstance(evaluation.raw, dict) else {}
            fields.update(x=x, fun=evaluation.fun, nit=evaluation.nit, nfev=evaluation.nfev)
            callback(intermediate_result=OptimizeResult(fields))
            return None
        if two_args:  # trust-constr's own form: callback(xk, state) -> stop?
            return callback(x, evaluation.raw) is True
        callback(x)
        return None

    return call


def warn_unused(method: str, spec: Any, jac: Any, hess: Any, hessp: Any) -> tuple[Any, Any, Any]:
    """SciPy's RuntimeWarning for a derivative the method does not use, and
    the derivative dropped (it would change nothing)."""
    if spec.derivative_free and jac is not None and jac is not False:
        warnings.warn(
            f"Method {method} does not use gradient information (jac).",
            RuntimeWarning,
            stacklevel=3,
        )
        jac = None
    if spec.hess == "none":
        if hess is not None:
            warnings.warn(
                f"Method {method} does not use Hessian information (hess).",
                RuntimeWarning,
                stacklevel=3,
            )
            hess = None
        if hessp is not None:
            warnings.warn(
                f"Method {method} does not use Hessian-vector product information (hessp).",
                RuntimeWarning,
                stacklevel=3,
            )
            hessp = None
    elif hessp is not None and spec.hess == "hess" and spec.key != "trust-constr":
        warnings.warn(
            f"Method {method} does not use Hessian-vector product information (hessp).",
            RuntimeWarning,
            stacklevel=3,
        )
        hessp = None
    return jac, hess, hessp


def scipy_counts(result: Any) -> None:
    """SciPy's count fields for a flat NumPy call: present where SciPy's own
    result has them (no `njev` for Nelder-Mead, no `nhev` for BFGS, ...), and
    `njev` counting SciPy's finite-difference gradients as SciPy does (their
    loss calls are in `nfev` too). `counts` keeps extopt's full account."""
    raw = result.get("scipy_result")
    if raw is None:
        return
    counts = result.get("counts") or {}
    for field in ("njev", "nhev"):
        if field not in raw:
            result.pop(field, None)
        elif counts.get(field) == 0 and raw[field]:  # SciPy estimated them
            result[field] = int(raw[field]) + counts.get(f"verify_{field}", 0)


class ShippedLoss:
    """The loss of a NumPy-backend problem as a picklable callable of the flat
    vector: what SciPy's `workers` send to other processes."""

    def __init__(self, fun: Any, unpack: Any, args: tuple):
        self.fun, self.unpack, self.args = fun, unpack, args

    def __call__(self, x: np.ndarray) -> float:
        out = self.fun(self.unpack(np.asarray(x, dtype=np.float64)), *self.args)
        return float(np.asarray(out).reshape(()))


def _not_picklable(exc: BaseException) -> bool:
    import pickle

    return isinstance(exc, pickle.PicklingError) or (
        isinstance(exc, AttributeError | TypeError) and "pickle" in str(exc).lower()
    )


def scipy_workers(value: Any, problem: Any, ev: Any) -> tuple[Any, Any]:
    """SciPy's `workers` option (an int, or a map-like callable) as the map
    SciPy gets, and the process pool extopt made for an int (to close after
    the run). The loss values the workers compute go through extopt's
    evaluator (counted, cached, seen by the NaN strategy): the workers get the
    user's own function (picklable where the user's is), never extopt's."""
    import numbers
    import pickle

    from ._errors import InputError

    shipped = (
        ShippedLoss(problem.fun, problem.packer.unpack_eval, problem.args)
        if problem.backend.name == "numpy"
        else None
    )
    advice = (
        "define fun (and its args) at module level so that they pickle, or pass a map-like "
        "callable that runs in this process (such as map)"
    )
    pool = None
    if isinstance(value, numbers.Integral):
        if value == 1:
            return map, None
        if shipped is None:
            raise InputError(
                f"options['workers']={value!r} sends the loss to other processes, which the "
                f"{problem.backend.name} backend's compiled functions cannot be; the gradient is "
                "exact with this backend, so drop workers (or pass a map-like callable)."
            )
        try:
            pickle.dumps(shipped)
        except Exception as exc:
            raise InputError(
                f"options['workers']={value!r}: fun cannot be sent to worker processes "
                f"({type(exc).__name__}: {exc}); {advice}."
            ) from exc
        import multiprocessing

        pool = multiprocessing.Pool(None if value == -1 else int(value))
        user_map = pool.map
    else:
        user_map = value

    n = problem.n
    fixed = None
    if problem.bounds is not None:
        lower, upper = problem.bounds
        fixed = lower == upper
        fixed = fixed if fixed.any() else None

    def full(x: np.ndarray) -> np.ndarray:
        """SciPy's point with the parameters it took out (fixed by equal bounds) put back."""
        if x.size == n or fixed is None:
            return x
        out = np.array(problem.bounds[0], dtype=np.float64)
        out[~fixed] = x
        return out

    def mapper(func: Any, iterable: Any) -> list:
        xs = [np.asarray(x) for x in iterable]
        if shipped is not None and all(x.dtype.kind == "f" for x in xs):
            try:
                ev.prefetch([full(x) for x in xs], lambda points: user_map(shipped, points))
            except InputError:
                raise
            except BaseException as exc:
                if _not_picklable(exc):
                    raise InputError(
                        f"options['workers']: fun cannot be sent to the workers "
                        f"({type(exc).__name__}: {exc}); {advice}."
                    ) from exc
                ev.error = exc  # the user's own error, from a worker
                raise
            return list(map(func, xs))
        try:
            return list(user_map(func, xs))
        except BaseException as exc:
            if _not_picklable(exc):
                raise InputError(
                    f"options['workers']: the {problem.backend.name} backend's functions cannot "
                    f"be sent to other processes ({type(exc).__name__}); pass workers=map or "
                    "drop it (the gradient is exact with this backend)."
                ) from exc
            raise

    return mapper, pool
