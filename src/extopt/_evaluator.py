"""The evaluator: the one place where an external algorithm meets the user's
functions.

It answers every question an algorithm asks about a point (value, gradient,
Hessian-vector product, Hessian, constraint values, constraint Jacobians,
Lagrangian Hessian) from the backend's flat functions, and

- evaluates each point once: SciPy asks for the value, the gradient, and for
  SLSQP the constraint values and Jacobians in separate calls at the same point;
  the first call computes everything the method will want there in one fused
  framework call, and the others are answered from the cache;
- counts what it computed (values, gradients, Hessians, constraint values and
  Jacobians, and framework calls);
- calls `loss_callback` after every new loss value;
- remembers the best point it has seen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .backends import FlatFunctions

#: For each fusion mode: the function (a `FlatFunctions` attribute) that answers
#: a request for each field, and the fields it produces. Fields: f (value),
#: g (gradient), c (constraint values), J (constraint Jacobian).
_PRODUCES = {
    "value": ("f",),
    "grad": ("g",),
    "value_and_grad": ("f", "g"),
    "constraints": ("c",),
    "constraints_jac": ("J",),
    "value_constraints": ("f", "c"),
    "everything": ("f", "g", "c", "J"),
}
_PLANS = {
    "value": {"f": "value", "g": "value_and_grad", "c": "constraints", "J": "constraints_jac"},
    "value_and_grad": {
        "f": "value_and_grad",
        "g": "value_and_grad",
        "c": "constraints",
        "J": "constraints_jac",
    },
    "value_constraints": {
        "f": "value_constraints",
        "g": "value_and_grad",
        "c": "value_constraints",
        "J": "constraints_jac",
    },
    "everything": {"f": "everything", "g": "everything", "c": "everything", "J": "everything"},
}


@dataclass
class Counts:
    """How many of each thing were computed (at distinct points or directions)."""

    nfev: int = 0  # loss values
    njev: int = 0  # gradients
    nhev: int = 0  # Hessians and Hessian-vector products
    ncev: int = 0  # constraint values (all constraints at one point)
    ncjev: int = 0  # constraint Jacobians
    nchev: int = 0  # constraint (Lagrangian) Hessians and their products
    ncalls: int = 0  # framework calls
    points: int = 0  # distinct points asked about

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class Evaluation:
    """What `loss_callback` receives after each new loss value, and `callback`
    after each iteration: the flat point `x`, the loss value `fun`, the
    parameters in the user's structure (`params`, built on first access), the
    iteration number `nit` (for `callback`) and the counts so far."""

    x: np.ndarray
    fun: float
    nfev: int
    nit: int | None = None
    _unpack: Callable[[np.ndarray], Any] | None = field(default=None, repr=False)
    _params: Any = field(default=None, repr=False)
    raw: Any = field(default=None, repr=False)

    @property
    def params(self) -> Any:
        if self._params is None and self._unpack is not None:
            self._params = self._unpack(self.x)
        return self._params


class Evaluator:
    """Cached, counted access to a problem's flat functions."""

    def __init__(
        self,
        functions: FlatFunctions,
        fuse: str = "value_and_grad",
        loss_callback: Callable[[Evaluation], Any] | None = None,
        unpack: Callable[[np.ndarray], Any] | None = None,
        x0: np.ndarray | None = None,
    ):
        self.functions = functions
        self.counts = Counts()
        self.loss_callback = loss_callback
        self._unpack = unpack
        plan = {}
        for fld, name in _PLANS[fuse].items():
            if getattr(functions, name) is None:
                # The fused piece is unavailable (no autodiff, or derivatives from
                # SciPy's finite differences): fall back to the single pieces.
                name = {
                    "f": "value",
                    "g": "value_and_grad",
                    "c": "constraints",
                    "J": "constraints_jac",
                }[fld]
            plan[fld] = (getattr(functions, name), _PRODUCES[name])
        self._plan = plan
        self._key: bytes | None = None
        self._x: np.ndarray | None = None
        self._cache: dict[str, Any] = {}
        self.best_x: np.ndarray | None = None
        self.best_f = np.inf
        self.last_x: np.ndarray | None = None
        if x0 is not None and functions.initial:
            self._new_point(np.asarray(x0, dtype=np.float64), x0.tobytes())
            if "value" in functions.initial:
                self._store({"f": functions.initial["value"]})
            if "constraints" in functions.initial:
                self._cache["c"] = functions.initial["constraints"]

    # -- the cache ------------------------------------------------------------------
    def _new_point(self, x: np.ndarray, key: bytes) -> None:
        self._key = key
        self._x = np.array(x, dtype=np.float64)
        self._cache = {}
        self.counts.points += 1

    def _store(self, values: dict[str, Any]) -> None:
        cache = self._cache
        counts = self.counts
        for name, value in values.items():
            if name in cache:
                continue
            cache[name] = value
            if name == "f":
                counts.nfev += 1
                self._saw_value(value)
            elif name == "g":
                counts.njev += 1
            elif name == "c":
                counts.ncev += 1
            else:
                counts.ncjev += 1

    def _saw_value(self, f: float) -> None:
        x = self._x
        self.last_x = x
        if f < self.best_f:
            self.best_f = f
            self.best_x = x
        if self.loss_callback is not None:
            self.loss_callback(Evaluation(x, f, self.counts.nfev, _unpack=self._unpack))

    def _get(self, name: str, x: np.ndarray) -> Any:
        key = x.tobytes()
        if key != self._key:
            self._new_point(x, key)
        cache = self._cache
        if name not in cache:
            function, produces = self._plan[name]
            if name == "g" and "f" in cache and self.functions.grad is not None:
                # The value is known here already: compute the gradient alone.
                function, produces = self.functions.grad, _PRODUCES["grad"]
            self.counts.ncalls += 1
            out = function(self._x)
            if len(produces) == 1:
                self._store({produces[0]: out})
            else:
                self._store(dict(zip(produces, out, strict=True)))
        return cache[name]

    def cached(self, name: str, x: np.ndarray) -> Any | None:
        """The cached `name` ("f", "g", "c", "J") at `x`, or None (no evaluation)."""
        if self._key is not None and x.tobytes() == self._key:
            return self._cache.get(name)
        return None

    # -- what algorithms call -------------------------------------------------------
    def fun(self, x: np.ndarray, *_: Any) -> float:
        if x.dtype.kind == "c":
            # A complex-step probe ("cs" finite differences): not a point of the run.
            self.counts.nfev += 1
            self.counts.ncalls += 1
            return self.functions.value(x)
        return self._get("f", x)

    def grad(self, x: np.ndarray, *_: Any) -> np.ndarray:
        return self._get("g", x)

    def constraints(self, x: np.ndarray) -> np.ndarray:
        return self._get("c", x)

    def constraints_jac(self, x: np.ndarray) -> np.ndarray:
        return self._get("J", x)

    def hessp(self, x: np.ndarray, p: np.ndarray, *_: Any) -> np.ndarray:
        self.counts.nhev += 1
        self.counts.ncalls += 1
        return self.functions.hessp(np.asarray(x, dtype=np.float64), np.asarray(p, np.float64))

    def hess(self, x: np.ndarray, *_: Any) -> np.ndarray:
        self.counts.nhev += 1
        self.counts.ncalls += 1
        return self.functions.hess(np.asarray(x, dtype=np.float64))

    def constraints_hessp(self, x: np.ndarray, v: np.ndarray, p: np.ndarray) -> np.ndarray:
        self.counts.nchev += 1
        self.counts.ncalls += 1
        return self.functions.constraints_hessp(
            np.asarray(x, np.float64), np.asarray(v, np.float64), np.asarray(p, np.float64)
        )

    def constraints_hess(self, x: np.ndarray, v: np.ndarray) -> np.ndarray:
        self.counts.nchev += 1
        self.counts.ncalls += 1
        return self.functions.constraints_hess(np.asarray(x, np.float64), np.asarray(v, np.float64))

    def evaluation(self, x: np.ndarray, nit: int | None = None, raw: Any = None) -> Evaluation:
        """The state at an iterate `x` for `callback` (the value from the cache
        when the algorithm has just evaluated it, which it nearly always has)."""
        f = self.cached("f", x)
        if f is None:
            f = self.fun(x)
        return Evaluation(
            np.array(x, dtype=np.float64), f, self.counts.nfev, nit, self._unpack, raw=raw
        )
