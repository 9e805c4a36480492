"""A collection of published test problems, solved through every backend with
exact derivatives, next to SciPy with finite differences.

Unconstrained problems from J. J. More, B. S. Garbow, K. E. Hillstrom,
"Testing unconstrained optimization software", ACM TOMS 7 (1981) 17-41, and
constrained ones from W. Hock, K. Schittkowski, "Test examples for nonlinear
programming codes", Lecture Notes in Economics and Mathematical Systems 187
(1981), each written from its published definition with its published start
point and optimal value. A run succeeds when its loss is within 1e-6 (relative
to 1 + |f*|) of the published optimum and it violates no constraint by more
than 1e-6.

    python benchmarks/collection.py          # the table and performance_profile.png
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import _common
import numpy as np

_common.pin_frameworks()


class Ops:
    """The operations the problems use, for one framework."""

    def __init__(self, name: str):
        self.name = name
        if name == "numpy":
            import numpy as xp

            self.stack = xp.stack
        elif name == "jax":
            import jax.numpy as xp

            self.stack = xp.stack
        elif name == "torch":
            import torch as xp

            self.stack = xp.stack
        else:
            import tensorflow as tf

            class TF:
                exp, sin, cos, sqrt, log = tf.exp, tf.sin, tf.cos, tf.sqrt, tf.math.log
                sum = staticmethod(tf.reduce_sum)
                arctan = staticmethod(tf.atan)

            xp = TF
            self.stack = tf.stack
        self.exp, self.sin, self.cos, self.sqrt, self.log = (
            xp.exp,
            xp.sin,
            xp.cos,
            xp.sqrt,
            xp.log,
        )
        self.sum = xp.sum
        self.arctan = getattr(xp, "arctan", getattr(xp, "atan", None))
        self.xp = xp

    def negative(self, v):
        """1.0 where v < 0, else 0.0, in v's framework and dtype."""
        if self.name == "tensorflow":
            import tensorflow as tf

            return tf.cast(v < 0, v.dtype)
        if self.name == "torch":
            return (v < 0).to(v.dtype)
        return (v < 0) * 1.0

    def const(self, values, like):
        """A constant array of the framework, in the dtype of `like`."""
        if self.name == "numpy":
            return np.asarray(values, dtype=np.float64)
        if self.name == "jax":
            import jax.numpy as jnp

            return jnp.asarray(values, dtype=like.dtype)
        if self.name == "torch":
            import torch

            return torch.as_tensor(np.asarray(values), dtype=like.dtype)
        import tensorflow as tf

        return tf.constant(np.asarray(values), dtype=like.dtype)


@dataclass
class TestProblem:
    name: str
    f: Any  # f(x, ops)
    x0: list[float]
    fstar: float
    eq: list = field(default_factory=list)  # c(x, ops) == 0
    ineq: list = field(default_factory=list)  # c(x, ops) >= 0
    bounds: tuple | None = None


def _sq(ops, values):
    return ops.sum(ops.stack(values) ** 2)


# -- More, Garbow, Hillstrom (unconstrained) -------------------------------------------------

MGH = [
    TestProblem(
        "MGH1 Rosenbrock",
        lambda x, o: _sq(o, [10 * (x[1] - x[0] ** 2), 1 - x[0]]),
        [-1.2, 1.0],
        0.0,
    ),
    TestProblem(
        "MGH3 Powell badly scaled",
        lambda x, o: _sq(o, [1e4 * x[0] * x[1] - 1, o.exp(-x[0]) + o.exp(-x[1]) - 1.0001]),
        [0.0, 1.0],
        0.0,
    ),
    TestProblem(
        "MGH4 Brown badly scaled",
        lambda x, o: _sq(o, [x[0] - 1e6, x[1] - 2e-6, x[0] * x[1] - 2]),
        [1.0, 1.0],
        0.0,
    ),
    TestProblem(
        "MGH5 Beale",
        lambda x, o: _sq(
            o,
            [
                1.5 - x[0] * (1 - x[1]),
                2.25 - x[0] * (1 - x[1] ** 2),
                2.625 - x[0] * (1 - x[1] ** 3),
            ],
        ),
        [1.0, 1.0],
        0.0,
    ),
    TestProblem(
        "MGH7 Helical valley",
        lambda x, o: _sq(
            o, [10 * (x[2] - 10 * _theta(x, o)), 10 * (o.sqrt(x[0] ** 2 + x[1] ** 2) - 1), x[2]]
        ),
        [-1.0, 0.0, 0.0],
        0.0,
    ),
    TestProblem("MGH8 Bard", lambda x, o: _bard(x, o), [1.0, 1.0, 1.0], 8.21487e-3),
    TestProblem("MGH9 Gaussian", lambda x, o: _gaussian(x, o), [0.4, 1.0, 0.0], 1.12793e-8),
    TestProblem("MGH12 Box 3-D", lambda x, o: _box(x, o), [0.0, 10.0, 20.0], 0.0),
    TestProblem(
        "MGH13 Powell singular",
        lambda x, o: _sq(
            o,
            [
                x[0] + 10 * x[1],
                math.sqrt(5) * (x[2] - x[3]),
                (x[1] - 2 * x[2]) ** 2,
                math.sqrt(10) * (x[0] - x[3]) ** 2,
            ],
        ),
        [3.0, -1.0, 0.0, 1.0],
        0.0,
    ),
    TestProblem(
        "MGH14 Wood",
        lambda x, o: _sq(
            o,
            [
                10 * (x[1] - x[0] ** 2),
                1 - x[0],
                math.sqrt(90) * (x[3] - x[2] ** 2),
                1 - x[2],
                math.sqrt(10) * (x[1] + x[3] - 2),
                (x[1] - x[3]) / math.sqrt(10),
            ],
        ),
        [-3.0, -1.0, -3.0, -1.0],
        0.0,
    ),
    TestProblem(
        "MGH15 Kowalik-Osborne", lambda x, o: _kowalik(x, o), [0.25, 0.39, 0.415, 0.39], 3.07505e-4
    ),
    TestProblem(
        "MGH16 Brown and Dennis", lambda x, o: _brown_dennis(x, o), [25.0, 5.0, -5.0, -1.0], 85822.2
    ),
    TestProblem(
        "MGH21 Extended Rosenbrock (n=10)",
        lambda x, o: o.sum(100 * (x[1::2] - x[0::2] ** 2) ** 2 + (1 - x[0::2]) ** 2),
        [-1.2, 1.0] * 5,
        0.0,
    ),
    TestProblem(
        "MGH25 Variably dimensioned (n=10)",
        lambda x, o: _variably(x, o),
        [1 - (j + 1) / 10 for j in range(10)],
        0.0,
    ),
    TestProblem(
        "MGH28 Discrete boundary value (n=10)",
        lambda x, o: _boundary(x, o),
        [(j + 1) / 11 * ((j + 1) / 11 - 1) for j in range(10)],
        0.0,
    ),
    TestProblem("MGH30 Broyden tridiagonal (n=10)", lambda x, o: _broyden(x, o), [-1.0] * 10, 0.0),
]


def _theta(x, o):
    # (1/2 pi) arctan(x2/x1), + 1/2 for x1 < 0; the start and the valley have x1 != 0
    base = o.arctan(x[1] / x[0]) / (2 * math.pi)
    return base + 0.5 * o.negative(x[0])


_BARD_Y = [0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96, 1.34, 2.10, 4.39]


def _bard(x, o):
    terms = []
    for i, y in enumerate(_BARD_Y, start=1):
        u, v = i, 16 - i
        w = min(u, v)
        terms.append(y - (x[0] + u / (v * x[1] + w * x[2])))
    return _sq(o, terms)


_GAUSS_Y = [
    0.0009,
    0.0044,
    0.0175,
    0.0540,
    0.1295,
    0.2420,
    0.3521,
    0.3989,
    0.3521,
    0.2420,
    0.1295,
    0.0540,
    0.0175,
    0.0044,
    0.0009,
]


def _gaussian(x, o):
    return _sq(
        o,
        [
            x[0] * o.exp(-x[1] * ((8 - i) / 2 - x[2]) ** 2 / 2) - y
            for i, y in enumerate(_GAUSS_Y, start=1)
        ],
    )


def _box(x, o):
    terms = []
    for i in range(1, 11):
        t = 0.1 * i
        terms.append(
            o.exp(-t * x[0]) - o.exp(-t * x[1]) - x[2] * (math.exp(-t) - math.exp(-10 * t))
        )
    return _sq(o, terms)


_KO_Y = [0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627, 0.0456, 0.0342, 0.0323, 0.0235, 0.0246]
_KO_U = [4.0, 2.0, 1.0, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625]


def _kowalik(x, o):
    return _sq(
        o,
        [
            y - x[0] * (u * u + u * x[1]) / (u * u + u * x[2] + x[3])
            for y, u in zip(_KO_Y, _KO_U, strict=True)
        ],
    )


def _brown_dennis(x, o):
    terms = []
    for i in range(1, 21):
        t = i / 5
        terms.append(
            (x[0] + t * x[1] - math.exp(t)) ** 2 + (x[2] + x[3] * math.sin(t) - math.cos(t)) ** 2
        )
    return _sq(o, terms)


def _variably(x, o):
    n = 10
    j = [x[k] - 1 for k in range(n)]
    s = sum((k + 1) * (x[k] - 1) for k in range(n))
    return _sq(o, [*j, s, s * s])


def _boundary(x, o):
    n, h = 10, 1 / 11
    terms = []
    for i in range(n):
        t = (i + 1) * h
        left = x[i - 1] if i > 0 else 0.0
        right = x[i + 1] if i < n - 1 else 0.0
        terms.append(2 * x[i] - left - right + h * h * (x[i] + t + 1) ** 3 / 2)
    return _sq(o, terms)


def _broyden(x, o):
    n = 10
    terms = []
    for i in range(n):
        left = x[i - 1] if i > 0 else 0.0
        right = x[i + 1] if i < n - 1 else 0.0
        terms.append((3 - 2 * x[i]) * x[i] - left - 2 * right + 1)
    return _sq(o, terms)


# -- Hock and Schittkowski (constrained) ----------------------------------------------------

HS = [
    TestProblem(
        "HS6",
        lambda x, o: (1 - x[0]) ** 2,
        [-1.2, 1.0],
        0.0,
        eq=[lambda x, o: 10 * (x[1] - x[0] ** 2)],
    ),
    TestProblem(
        "HS7",
        lambda x, o: o.log(1 + x[0] ** 2) - x[1],
        [2.0, 2.0],
        -math.sqrt(3),
        eq=[lambda x, o: (1 + x[0] ** 2) ** 2 + x[1] ** 2 - 4],
    ),
    TestProblem(
        "HS9",
        lambda x, o: o.sin(math.pi * x[0] / 12) * o.cos(math.pi * x[1] / 16),
        [0.0, 0.0],
        -0.5,
        eq=[lambda x, o: 4 * x[0] - 3 * x[1]],
    ),
    TestProblem(
        "HS14",
        lambda x, o: (x[0] - 2) ** 2 + (x[1] - 1) ** 2,
        [2.0, 2.0],
        9 - 2.875 * math.sqrt(7),
        eq=[lambda x, o: x[0] - 2 * x[1] + 1],
        ineq=[lambda x, o: -(x[0] ** 2) / 4 - x[1] ** 2 + 1],
    ),
    TestProblem(
        "HS15",
        lambda x, o: 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2,
        [-2.0, 1.0],
        306.5,
        ineq=[lambda x, o: x[0] * x[1] - 1, lambda x, o: x[0] + x[1] ** 2],
        bounds=([None, None], [0.5, None]),
    ),
    TestProblem(
        "HS21",
        lambda x, o: 0.01 * x[0] ** 2 + x[1] ** 2 - 100,
        [-1.0, -1.0],
        -99.96,
        ineq=[lambda x, o: 10 * x[0] - x[1] - 10],
        bounds=([2.0, -50.0], [50.0, 50.0]),
    ),
    TestProblem(
        "HS28",
        lambda x, o: (x[0] + x[1]) ** 2 + (x[1] + x[2]) ** 2,
        [-4.0, 1.0, 1.0],
        0.0,
        eq=[lambda x, o: x[0] + 2 * x[1] + 3 * x[2] - 1],
    ),
    TestProblem(
        "HS35",
        lambda x, o: (
            9
            - 8 * x[0]
            - 6 * x[1]
            - 4 * x[2]
            + 2 * x[0] ** 2
            + 2 * x[1] ** 2
            + x[2] ** 2
            + 2 * x[0] * x[1]
            + 2 * x[0] * x[2]
        ),
        [0.5, 0.5, 0.5],
        1 / 9,
        ineq=[lambda x, o: 3 - x[0] - x[1] - 2 * x[2]],
        bounds=([0.0, 0.0, 0.0], [None, None, None]),
    ),
    TestProblem(
        "HS39",
        lambda x, o: -x[0],
        [2.0, 2.0, 2.0, 2.0],
        -1.0,
        eq=[lambda x, o: x[1] - x[0] ** 3 - x[2] ** 2, lambda x, o: x[0] ** 2 - x[1] - x[3] ** 2],
    ),
    TestProblem(
        "HS40",
        lambda x, o: -x[0] * x[1] * x[2] * x[3],
        [0.8] * 4,
        -0.25,
        eq=[
            lambda x, o: x[0] ** 3 + x[1] ** 2 - 1,
            lambda x, o: x[0] ** 2 * x[3] - x[2],
            lambda x, o: x[3] ** 2 - x[1],
        ],
    ),
    TestProblem(
        "HS42",
        lambda x, o: (x[0] - 1) ** 2 + (x[1] - 2) ** 2 + (x[2] - 3) ** 2 + (x[3] - 4) ** 2,
        [1.0] * 4,
        28 - 10 * math.sqrt(2),
        eq=[lambda x, o: x[0] - 2, lambda x, o: x[2] ** 2 + x[3] ** 2 - 2],
    ),
    TestProblem(
        "HS43 Rosen-Suzuki",
        lambda x, o: (
            x[0] ** 2
            + x[1] ** 2
            + 2 * x[2] ** 2
            + x[3] ** 2
            - 5 * x[0]
            - 5 * x[1]
            - 21 * x[2]
            + 7 * x[3]
        ),
        [0.0] * 4,
        -44.0,
        ineq=[
            lambda x, o: (
                8 - x[0] ** 2 - x[1] ** 2 - x[2] ** 2 - x[3] ** 2 - x[0] + x[1] - x[2] + x[3]
            ),
            lambda x, o: 10 - x[0] ** 2 - 2 * x[1] ** 2 - x[2] ** 2 - 2 * x[3] ** 2 + x[0] + x[3],
            lambda x, o: 5 - 2 * x[0] ** 2 - x[1] ** 2 - x[2] ** 2 - 2 * x[0] + x[1] + x[3],
        ],
    ),
    TestProblem(
        "HS48",
        lambda x, o: (x[0] - 1) ** 2 + (x[1] - x[2]) ** 2 + (x[3] - x[4]) ** 2,
        [3.0, 5.0, -3.0, 2.0, -2.0],
        0.0,
        eq=[
            lambda x, o: x[0] + x[1] + x[2] + x[3] + x[4] - 5,
            lambda x, o: x[2] - 2 * (x[3] + x[4]) + 3,
        ],
    ),
    TestProblem(
        "HS71",
        lambda x, o: x[0] * x[3] * (x[0] + x[1] + x[2]) + x[2],
        [1.0, 5.0, 5.0, 1.0],
        17.0140173,
        eq=[lambda x, o: x[0] ** 2 + x[1] ** 2 + x[2] ** 2 + x[3] ** 2 - 40],
        ineq=[lambda x, o: x[0] * x[1] * x[2] * x[3] - 25],
        bounds=([1.0] * 4, [5.0] * 4),
    ),
    TestProblem(
        "HS76",
        lambda x, o: (
            x[0] ** 2
            + 0.5 * x[1] ** 2
            + x[2] ** 2
            + 0.5 * x[3] ** 2
            - x[0] * x[2]
            + x[2] * x[3]
            - x[0]
            - 3 * x[1]
            + x[2]
            - x[3]
        ),
        [0.5] * 4,
        -4.681818181,
        ineq=[
            lambda x, o: 5 - x[0] - 2 * x[1] - x[2] - x[3],
            lambda x, o: 4 - 3 * x[0] - x[1] - 2 * x[2] + x[3],
            lambda x, o: x[1] + 4 * x[2] - 1.5,
        ],
        bounds=([0.0] * 4, [None] * 4),
    ),
]


def _bounds(problem: TestProblem):
    if problem.bounds is None:
        return None
    lower, upper = problem.bounds
    return (
        [-np.inf if v is None else v for v in lower],
        [np.inf if v is None else v for v in upper],
    )


def solve(problem: TestProblem, contender: str) -> dict[str, Any]:
    """One problem, one contender: SciPy with finite differences on NumPy, or
    extopt with a backend's exact derivatives."""
    import scipy.optimize as so

    import extopt

    constrained = bool(problem.eq or problem.ineq)
    method = "SLSQP" if constrained else "L-BFGS-B"
    # tight stopping rules for every contender alike: the question is whether a
    # contender can get there, not where SciPy's defaults stop it
    options = {
        "maxiter": 3000,
        **({"ftol": 1e-12} if constrained else {"ftol": 1e-15, "gtol": 1e-12, "maxfun": 20000}),
    }
    x0 = np.array(problem.x0, dtype=np.float64)
    start = time.perf_counter()
    if contender == "scipy finite differences":
        o = Ops("numpy")
        cons = [{"type": "eq", "fun": (lambda x, c=c: c(x, o))} for c in problem.eq]
        cons += [{"type": "ineq", "fun": (lambda x, c=c: c(x, o))} for c in problem.ineq]
        b = _bounds(problem)
        res = so.minimize(
            lambda x: float(problem.f(x, o)),
            x0,
            method=method,
            bounds=None if b is None else so.Bounds(*b),
            constraints=cons,
            options=options,
        )
        x, fun, nfev = res.x, float(res.fun), int(res.nfev)
        violation = _violation(problem, x, b)
        message = str(res.message)
    else:
        framework = contender.split()[1]
        import contenders as c

        loss, eqs, ineqs = _functions(problem, framework)  # the same objects every time
        res = extopt.minimize(
            loss,
            c.leaf(framework, x0),
            method=method,
            equalities=eqs,
            inequalities=ineqs,
            bounds=_bounds(problem),
            options=options,
        )
        x, fun, nfev = res.x_flat, res.fun, res.nfev
        violation = res.constr_violation
        message = str(res.message)
    elapsed = time.perf_counter() - start
    ok = (
        abs(fun - problem.fstar) <= 1e-6 * (1 + abs(problem.fstar))
        and violation <= 1e-6
        and np.isfinite(fun)
    )
    return {
        "problem": problem.name,
        "contender": contender,
        "fun": fun,
        "fstar": problem.fstar,
        "nfev": nfev,
        "time_s": elapsed,
        "success": bool(ok),
        "stopped": message[:40],
        "x": np.asarray(x).tolist(),
    }


_FUNCTIONS: dict = {}


def _functions(problem: TestProblem, framework: str):
    """The problem's loss and constraints for a framework, made once: a user
    keeps their functions, and compiled code is reused for the same ones."""
    key = (problem.name, framework)
    if key not in _FUNCTIONS:
        o = Ops(framework)
        _FUNCTIONS[key] = (
            lambda x: problem.f(x, o),
            [(lambda x, c=c: c(x, o)) for c in problem.eq],
            [(lambda x, c=c: c(x, o)) for c in problem.ineq],
        )
    return _FUNCTIONS[key]


def _violation(problem: TestProblem, x: np.ndarray, bounds) -> float:
    o = Ops("numpy")
    worst = 0.0
    for c in problem.eq:
        worst = max(worst, float(np.max(np.abs(c(x, o)))))
    for c in problem.ineq:
        worst = max(worst, float(np.max(-np.minimum(c(x, o), 0.0))))
    if bounds is not None:
        worst = max(
            worst,
            float(np.max(np.maximum(np.array(bounds[0]) - x, 0))),
            float(np.max(np.maximum(x - np.array(bounds[1]), 0))),
        )
    return worst


def contenders() -> list[str]:
    names = ["scipy finite differences"]
    for fw in ("jax", "torch", "tensorflow"):
        try:
            __import__(fw)
            names.append(f"extopt {fw}")
        except ImportError:
            pass
    return names


def performance_profile(rows: list[dict], path) -> None:
    """The Dolan-More performance profile of the contenders (time to solve)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = sorted({r["contender"] for r in rows})
    problems = sorted({r["problem"] for r in rows})
    cost = {(r["problem"], r["contender"]): (r["time_s"] if r["success"] else np.inf) for r in rows}
    ratios = {name: [] for name in names}
    for p in problems:
        best = min(cost[(p, s)] for s in names)
        for s in names:
            ratios[s].append(cost[(p, s)] / best if np.isfinite(best) else np.inf)
    taus = np.logspace(0, 14, 500, base=2)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name in names:
        r = np.array(ratios[name])
        ax.step(taus, [(r <= t).mean() for t in taus], where="post", label=name)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("tau: time within a factor tau of the fastest")
    ax.set_ylabel("fraction of problems solved")
    ax.set_ylim(0, 1.02)
    ax.set_title(f"Performance profile, {len(problems)} MGH and HS problems")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


COLUMNS = ["problem", "contender", "fun", "fstar", "nfev", "time_s", "success", "stopped"]


def main(smoke: bool = False) -> list[dict]:
    smoke_set = {"MGH1 Rosenbrock", "MGH4 Brown badly scaled", "HS6", "HS21", "HS71"}
    chosen = [p for p in MGH + HS if p.name in smoke_set] if smoke else (MGH + HS)
    rows = []
    for problem in chosen:
        for contender in contenders():
            solve(problem, contender)  # warm-up: tracing and compiling excluded
            rows.append(
                min(
                    (solve(problem, contender) for _ in range(1 if smoke else 3)),
                    key=lambda r: r["time_s"],
                )
            )
    summary = []
    for contender in contenders():
        mine = [r for r in rows if r["contender"] == contender]
        summary.append(
            {
                "contender": contender,
                "solved": sum(r["success"] for r in mine),
                "of": len(mine),
                "rate": sum(r["success"] for r in mine) / len(mine),
                "time_s": sum(r["time_s"] for r in mine),
            }
        )
    print(
        _common.table(
            [{k: r[k] for k in COLUMNS} for r in rows],
            COLUMNS,
            "\nMGH and HS test problems (L-BFGS-B / SLSQP)",
        )
    )
    print(
        _common.table(summary, ["contender", "solved", "of", "rate", "time_s"], "\nsuccess rates")
    )
    if not smoke:
        path = _common.RESULTS / "performance_profile.png"
        performance_profile(rows, path)
        print(f"wrote {path}")
    return [*rows, {"summary": summary}]


if __name__ == "__main__":
    main()
