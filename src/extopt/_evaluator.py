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

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._errors import ExtoptError, InputError
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
    # the user's own fun and jac: each called only where it is asked for
    "separate": {"f": "value", "g": "grad", "c": "constraints", "J": "constraints_jac"},
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


class _Point:
    """One evaluated point: the point, its key (its bytes), the fields
    computed there, and whether the NaN strategy replaced some of them (the
    algorithm saw made-up values there; the point is never an answer)."""

    __slots__ = ("fields", "key", "order", "replaced", "x")

    def __init__(self, x: np.ndarray, key: bytes, fields: dict[str, Any] | None = None):
        self.x = x
        self.key = key
        self.fields: dict[str, Any] = {} if fields is None else fields
        self.replaced = False
        self.order = -1  # the loss-evaluation count at which its value was computed


#: Points up to this many bytes are keyed by their bytes; larger ones by a hash
#: of three of their elements, and checked in full when that matches (copying a
#: large point into bytes costs more than the framework call on a small one).
_EXACT_KEY_BYTES = 512


def _key(x: np.ndarray) -> Any:
    if x.nbytes <= _EXACT_KEY_BYTES:
        return x.tobytes()
    return hash((x.item(0), x.item(x.size // 2), x.item(-1), x.size))


#: How many points the value-and-gradient fast path remembers.
FAST_KEEP = 4

#: A point whose constraint violation is at most this is feasible (`answer_x`).
FEASIBLE = 1e-8


class EvaluationLimit(ExtoptError):
    """The evaluation budget (`maxiter`) is spent. Inside a fit the minimizer
    catches it and returns an invalid result holding the best point seen."""


class Evaluator:
    """Cached, counted access to a problem's flat functions.

    `strategy` (an extopt Strategy) sees every new value and gradient and
    decides what happens to non-finite ones; `max_evals` bounds the number of
    loss evaluations (`EvaluationLimit` once it is spent)."""

    #: How many recent points are remembered (besides the best one):
    #: algorithms come back to points they saw before (a line search's start,
    #: the final answer, COBYQA's interpolation set of 2n + 1 points). At most
    #: KEEP_MAX, at least KEEP_MIN, and within KEEP_BYTES for the points and
    #: their gradients: every array held back is memory the framework cannot
    #: reuse for its next output, and measured here that costs more than an
    #: occasional second evaluation (benchmarks/overhead.py: 32 large points
    #: held made an evaluation at n = 10_000 1.8x slower, 2 points 1.05x).
    KEEP_MIN = 2
    KEEP_MAX = 16
    KEEP_BYTES = 256 * 2**10

    def __init__(
        self,
        functions: FlatFunctions,
        fuse: str = "value_and_grad",
        loss_callback: Callable[[Evaluation], Any] | None = None,
        unpack: Callable[[np.ndarray], Any] | None = None,
        x0: np.ndarray | None = None,
        strategy: Any = None,
        max_evals: int | None = None,
        violation: Callable[[np.ndarray], float] | None = None,
        eps: float | None = None,
        bounds: tuple[np.ndarray, np.ndarray] | None = None,
    ):
        self.functions = functions
        #: (lower, upper): extopt's own differences stay inside them
        self.bounds = bounds
        #: The precision the loss is evaluated in: finite-difference steps follow it.
        self.eps = float(np.finfo(np.float64).eps) if eps is None else float(eps)
        #: The constraint violation of constraint values (constrained problems):
        #: with it the evaluator keeps the best feasible point, for `answer_x`.
        self.violation = violation
        self._answer: _Point | None = None
        self._answer_rank: tuple[int, float] = (2, 0.0)
        self._counts = Counts()
        self._fused = 0  # points evaluated by the fast path, not yet in _counts
        self.strategy = strategy
        self.max_evals = max_evals
        self.loss_callback = loss_callback
        self._unpack = unpack
        # The cheapest piece that produces each field alone ...
        single = {
            "f": (functions.value, _PRODUCES["value"]),
            "g": (functions.grad, _PRODUCES["grad"])
            if functions.grad
            else (functions.value_and_grad, _PRODUCES["value_and_grad"]),
            "c": (functions.constraints, _PRODUCES["constraints"]),
            "J": (functions.constraints_jac, _PRODUCES["constraints_jac"])
            if functions.constraints_jac
            else (self._fd_constraints_jac, ("J",)),
        }
        self._single = single
        self._value_and_grad = (
            functions.value_and_grad
        )  # ... and the fused piece asked first at a new point; unavailable fused
        # pieces (no autodiff, or SciPy's finite differences) fall back to single ones.
        self._plan = {
            fld: (getattr(functions, name), _PRODUCES[name])
            if getattr(functions, name) is not None
            else single[fld]
            for fld, name in _PLANS[fuse].items()
        }
        self._points: list[_Point] = []  # most recent first
        self._keys: list[bytes] = []  # their keys, searched in C
        n = 1 if x0 is None else x0.size
        self._keep = max(self.KEEP_MIN, min(4 * n + 4, self.KEEP_MAX, self.KEEP_BYTES // (16 * n)))
        self._best: _Point | None = None
        self._chess: tuple | None = None  # the last constraint Hessian: (key, x, matrix)
        self.best_f = np.inf
        #: How many times the NaN strategy replaced a value or gradient, and the
        #: loss-evaluation count at the last time (the verdict asks whether it
        #: happened in the last run of a fit).
        self.nan_events = 0
        self.last_nan_nfev = -1
        #: The last exception a function of the problem raised (see `_user`).
        self.error: BaseException | None = None
        #: Loss values computed elsewhere (SciPy's `workers`), by point key,
        #: taken in as evaluations when SciPy asks for them (see `prefetch`).
        self._prefetched: dict[bytes, float] = {}
        if x0 is not None and functions.initial:
            point = self._point(np.asarray(x0, dtype=np.float64))
            if "constraints" in functions.initial:
                self._store(point, {"c": functions.initial["constraints"]})

    @property
    def counts(self) -> Counts:
        """Every count so far (the fast path's folded in)."""
        fused = self._fused
        if fused:
            counts = self._counts
            counts.nfev += fused
            counts.njev += fused
            counts.ncalls += fused
            counts.points += fused
            self._fused = 0
        return self._counts

    @property
    def best_x(self) -> np.ndarray | None:
        """The point with the lowest loss value seen."""
        return None if self._best is None else self._best.x

    @property
    def answer_x(self) -> np.ndarray | None:
        """The answer of a run that ended early (the budget spent, a NaN
        strategy giving up): the point with the lowest loss or, with
        constraints, the lowest loss among the feasible points seen (violation
        at most FEASIBLE), or, if none was, the least infeasible one."""
        if self.violation is None or self._answer is None:
            return self.best_x
        return self._answer.x

    @property
    def last_x(self) -> np.ndarray | None:
        """The point evaluated last."""
        return self._points[0].x if self._points else None

    # -- the cache ------------------------------------------------------------------
    def _find(self, key: Any, x: np.ndarray) -> int:
        """The position of the remembered point equal to `x`, or -1."""
        keys = self._keys
        if key not in keys:
            return -1
        exact = isinstance(key, bytes)
        start = 0
        while True:
            try:
                i = keys.index(key, start)
            except ValueError:
                return -1
            if exact or np.array_equal(self._points[i].x, x):
                return i
            start = i + 1

    def _is_best(self, key: Any, x: np.ndarray) -> bool:
        best = self._best
        return (
            best is not None
            and best.key == key
            and (isinstance(key, bytes) or np.array_equal(best.x, x))
        )

    def _point(self, x: np.ndarray) -> _Point:
        """The remembered point equal to `x`, made the most recent, or a new one."""
        points, keys = self._points, self._keys
        key = _key(x)
        i = self._find(key, x)
        if i == 0:
            return points[0]
        if i > 0:
            point = points.pop(i)
            del keys[i]
        elif self._is_best(key, x):
            point = self._best
        else:
            point = _Point(np.array(x, dtype=np.float64), key)
            self.counts.points += 1
        points.insert(0, point)
        keys.insert(0, key)
        if len(keys) > self._keep:
            del points[self._keep :], keys[self._keep :]
        return point

    def _store(self, point: _Point, values: dict[str, Any]) -> None:
        if self.strategy is not None and ("f" in values or "g" in values):
            processed = self._user(self.strategy.process, values, point.x, self._unpack)
            if processed is not values:
                self._replaced(point, self.counts.nfev + ("f" in values))
            values = processed
        fields = point.fields
        counts = self.counts
        for name, value in values.items():
            if name in fields:
                continue
            fields[name] = value
            if name == "f":
                counts.nfev += 1
                point.order = counts.nfev
                if not point.replaced:
                    self._saw_value(point, value)
                elif self.loss_callback is not None:
                    self._user(
                        self.loss_callback,
                        Evaluation(point.x, value, counts.nfev, _unpack=self._unpack),
                    )
            elif name == "g":
                counts.njev += 1
            elif name == "c":
                counts.ncev += 1
            else:
                counts.ncjev += 1
        # rank a point once, when its pair (loss, constraints) is complete
        if (
            self.violation is not None
            and not point.replaced
            and ("f" in values or "c" in values)
            and "f" in fields
            and "c" in fields
        ):
            self._rank(point)

    def _replaced(self, point: _Point, nfev: int) -> None:
        point.replaced = True
        self.nan_events += 1
        self.last_nan_nfev = nfev

    def _known(self, x: np.ndarray) -> _Point | None:
        x = np.asarray(x, dtype=np.float64)
        key = _key(x)
        i = self._find(key, x)
        if i >= 0:
            return self._points[i]
        return self._best if self._is_best(key, x) else None

    def replaced(self, x: np.ndarray) -> bool:
        """Whether the NaN strategy replaced a value or gradient at `x`."""
        point = self._known(x)
        return point is not None and point.replaced

    def made_up_since(self, x: np.ndarray) -> bool:
        """Whether the NaN strategy made up a value after the loss at `x` was
        first computed (or ever, when `x` is not remembered)."""
        if self.nan_events == 0:
            return False
        point = self._known(x)
        return point is None or self.last_nan_nfev > point.order

    def _rank(self, point: _Point) -> None:
        """Keep `point` as the answer if it is better: feasible before
        infeasible, then by loss (feasible) or by violation (infeasible)."""
        v = float(self.violation(point.fields["c"]))
        f = float(point.fields["f"])
        rank = (0, f) if v <= FEASIBLE else (1, v)
        if not (math.isnan(rank[1]) or rank >= self._answer_rank):
            self._answer, self._answer_rank = point, rank

    def _saw_value(self, point: _Point, f: float) -> None:
        if f < self.best_f:
            self.best_f = f
            self._best = point
        if self.loss_callback is not None:
            self._user(
                self.loss_callback,
                Evaluation(point.x, f, self.counts.nfev, _unpack=self._unpack),
            )

    def prefetch(self, xs: list[np.ndarray], compute: Callable[[list], Any]) -> None:
        """Loss values at the points of `xs` not known yet, computed by
        ``compute(points) -> values`` (the user's workers) and taken in as
        evaluations when asked for (counted then, through the NaN strategy)."""
        todo, keys = [], set()
        for x in xs:
            x = np.asarray(x, dtype=np.float64)
            key = _key(x)
            if key in keys or key in self._prefetched or self.cached("f", x) is not None:
                continue
            keys.add(key)
            todo.append(x)
        if not todo:
            return
        values = list(compute(todo))
        if len(values) != len(todo):
            raise InputError(
                f"options['workers'] returned {len(values)} values for {len(todo)} points; a "
                "map-like callable must return one value per point."
            )
        self.counts.ncalls += len(todo)
        for x, v in zip(todo, values, strict=True):
            self._prefetched[_key(x)] = v

    def _get(self, name: str, x: np.ndarray) -> Any:
        point = self._point(x)
        fields = point.fields
        if name == "f" and "f" not in fields and self._prefetched:
            value = self._prefetched.pop(point.key, None)
            if value is not None:
                if self.max_evals is not None and self.counts.nfev >= self.max_evals:
                    raise EvaluationLimit
                self._store(point, {"f": value})
        if name not in fields:
            function, produces = self._plan[name]
            if len(produces) > 1 and all(p in fields for p in produces if p != name):
                # Everything else the fused call gives is known here already.
                function, produces = self._single[name]
            if self.max_evals is not None and self.counts.nfev >= self.max_evals:
                raise EvaluationLimit
            self.counts.ncalls += 1
            try:
                out = function(point.x)
            except BaseException as exc:
                self.error = exc  # the user's (or the framework's), not the algorithm's
                raise
            if len(produces) == 1:
                self._store(point, {produces[0]: out})
            else:
                self._store(point, dict(zip(produces, out, strict=True)))
        return fields[name]

    def cached(self, name: str, x: np.ndarray) -> Any | None:
        """The cached `name` ("f", "g", "c", "J") at `x`, or None (no evaluation)."""
        x = np.asarray(x, dtype=np.float64)
        key = _key(x)
        i = self._find(key, x)
        if i >= 0:
            return self._points[i].fields.get(name)
        if self._is_best(key, x):
            return self._best.fields.get(name)
        return None

    def _fd(self, name: str, x: np.ndarray) -> np.ndarray:
        """Forward differences of field `name` ("f" or "c") around `x`, the base
        value and the probes taken through the cache (so that a gradient and a
        Jacobian by differences share their probes), for what a backend cannot
        differentiate."""
        base = np.atleast_1d(self._get(name, x))
        x = np.array(x, dtype=np.float64)
        steps = np.sqrt(self.eps) * np.maximum(1.0, np.abs(x))
        out = np.empty((base.size, x.size))
        bounds = self.bounds
        for i, h in enumerate(steps):
            probe = x.copy()
            probe[i] += h
            if bounds is not None and probe[i] > bounds[1][i]:  # never past a bound
                probe[i] = x[i] - h if x[i] - h >= bounds[0][i] else bounds[1][i]
            if probe[i] == x[i]:  # a fixed parameter
                out[:, i] = 0.0
                continue
            out[:, i] = (np.atleast_1d(self._get(name, probe)) - base) / (probe[i] - x[i])
        return out

    def _fd_constraints_jac(self, x: np.ndarray) -> np.ndarray:
        return self._fd("c", x)

    def fd_grad(self, x: np.ndarray) -> np.ndarray:
        """The gradient by forward differences (for reports after derivative-free runs)."""
        return self._fd("f", x)[0]

    # -- what algorithms call -------------------------------------------------------
    def fun_and_grad(self, x: np.ndarray, *_: Any) -> tuple[float, np.ndarray]:
        """Value and gradient together, for SciPy's ``jac=True``: one framework
        call per point. This is the whole bridge of the unconstrained and
        bound-constrained gradient methods, so a new point takes a short path.

        `x` is kept, not copied: SciPy hands this function a copy of its own
        (its function wrappers copy before every call); other callers pass a
        copy too."""
        key = x.tobytes() if x.nbytes <= _EXACT_KEY_BYTES else _key(x)
        keys = self._keys
        if key in keys or self._value_and_grad is None:  # perhaps a point seen before
            g = self._get("g", x)
            return self._get("f", x), g
        if self.max_evals is not None and self.counts.nfev >= self.max_evals:
            raise EvaluationLimit
        try:
            f, g = self._value_and_grad(x)
        except BaseException as exc:
            self.error = exc
            raise
        self._fused += 1
        if self.strategy is None:
            point = _Point(x, key, {"f": f, "g": g})
        else:
            values = {"f": f, "g": g}
            processed = self._user(self.strategy.process, values, x, self._unpack)
            point = _Point(x, key, processed)
            if processed is not values:
                self._replaced(point, self._counts.nfev + self._fused)
            f = point.fields["f"]
        point.order = self._counts.nfev + self._fused
        keys.insert(0, key)
        points = self._points
        points.insert(0, point)
        if len(keys) > FAST_KEEP:  # gradient methods come back a point or two at most
            keys.pop()
            points.pop()
        if f < self.best_f and not point.replaced:  # in a descent, the point just made
            self.best_f = f
            self._best = point
        if self.loss_callback is not None:
            self._user(self.loss_callback, Evaluation(x, f, self.counts.nfev, _unpack=self._unpack))
        return f, point.fields["g"]

    def fun(self, x: np.ndarray, *_: Any) -> float:
        if x.dtype.kind == "c":
            # A complex-step probe ("cs" finite differences): not a point of the run.
            self.counts.nfev += 1
            self.counts.ncalls += 1
            return self._user(self.functions.value, x)
        return self._get("f", x)

    def grad(self, x: np.ndarray, *_: Any) -> np.ndarray:
        if x.dtype.kind == "c":
            # A complex-step probe of the gradient (hess="cs"): not a point of the run.
            self.counts.njev += 1
            self.counts.ncalls += 1
            functions = self.functions
            if functions.grad is not None:
                return self._user(functions.grad, x)
            return self._user(functions.value_and_grad, x)[1]
        return self._get("g", x)

    def constraints(self, x: np.ndarray) -> np.ndarray:
        return self._get("c", x)

    def constraints_jac(self, x: np.ndarray) -> np.ndarray:
        return self._get("J", x)

    def _user(self, function: Callable, *args: Any) -> Any:
        """`function(*args)`, remembering what it raised (`error`): an
        exception from the user's code is theirs, one from the algorithm is not."""
        try:
            return function(*args)
        except BaseException as exc:
            self.error = exc
            raise

    def hessp(self, x: np.ndarray, p: np.ndarray, *_: Any) -> np.ndarray:
        self.counts.nhev += 1
        self.counts.ncalls += 1
        return self._user(
            self.functions.hessp, np.asarray(x, dtype=np.float64), np.asarray(p, np.float64)
        )

    def hess(self, x: np.ndarray, *_: Any) -> np.ndarray:
        self.counts.nhev += 1
        self.counts.ncalls += 1
        return self._user(self.functions.hess, np.asarray(x, dtype=np.float64))

    def constraints_hessp(self, x: np.ndarray, v: np.ndarray, p: np.ndarray) -> np.ndarray:
        self.counts.nchev += 1
        self.counts.ncalls += 1
        return self._user(
            self.functions.constraints_hessp,
            np.asarray(x, np.float64),
            np.asarray(v, np.float64),
            np.asarray(p, np.float64),
        )

    def constraints_hess(self, x: np.ndarray, v: np.ndarray) -> np.ndarray:
        """The Hessian of v . c(x). With one constraint row it is v times the
        row's Hessian, which is computed once per point whatever v is (trust-constr
        asks again at the same point whenever its multiplier estimate moves)."""
        x = np.asarray(x, np.float64)
        v = np.asarray(v, np.float64)
        single = v.shape == (1,)
        key = (_key(x),) if single else (_key(x), v.tobytes())
        cached = self._chess
        if cached is not None and cached[0] == key and np.array_equal(cached[1], x):
            return v[0] * cached[2] if single else cached[2].copy()
        self.counts.nchev += 1
        self.counts.ncalls += 1
        h = self._user(self.functions.constraints_hess, x, np.ones(1) if single else v)
        self._chess = (key, x.copy(), h)
        return v[0] * h if single else h.copy()

    def evaluation(self, x: np.ndarray, nit: int | None = None, raw: Any = None) -> Evaluation:
        """The state at an iterate `x` for `callback` (the value from the cache
        when the algorithm has just evaluated it, which it nearly always has)."""
        f = self.cached("f", x)
        if f is None:
            f = self.fun(x)
        return Evaluation(
            np.array(x, dtype=np.float64), f, self.counts.nfev, nit, self._unpack, raw=raw
        )
