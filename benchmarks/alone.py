"""Is the wrapper ever worse than the library alone?

Every problem of the collection (`collection.py`: MGH unconstrained, HS
constrained) is solved by each family of algorithms three ways:

- alone: the library called by hand, with exact derivatives taken from JAX by
  hand (jax.jit of value_and_grad, hessian, jacfwd; the Hessian of the
  Lagrangian for Ipopt), with the library's default settings;
- through extopt's minimizer objects with their defaults (`extopt.ScipyLBFGSB()`,
  `extopt.Minuit()`, `extopt.NLoptSLSQP()`, `extopt.Ipopt()`, ...);
- through `extopt.minimize(..., method=...)` with its defaults.

A run solves a problem when the loss at the returned x, recomputed here in
NumPy float64, is within 1e-6 * (1 + |f*|) of the published optimum and no
bound or constraint is violated by more than 1e-6; the algorithm's or extopt's
own verdict is never trusted. extopt's verdict (`valid`) is recorded and
checked on its own terms: a valid answer must be a local minimum by an
independent float64 check written here by hand (`verified`: unconstrained,
the EDM from the problem's JAX derivatives below 2 * tol * errordef and no
negative curvature; constrained, no point lower by more than that within
reach of a tight SLSQP polish from the answer); a valid run that fails it is
listed. (Valid promises the EDM target, tol = 1e-3, not 1e-6: a valid
answer farther from f* than 1e-6 is listed apart, as is one at another local
minimum.)

The settings "alone": SciPy's defaults (L-BFGS-B for the MGH problems, SLSQP
and trust-constr for the HS ones); Minuit's defaults with errordef 1
(`Minuit.LEAST_SQUARES`: the losses are no likelihoods), MGH problems only
(Minuit takes no general constraints, and every bounded problem of the
collection has some); NLopt has no default stopping rule, so alone it gets
ftol_rel = xtol_rel = 1e-10 and maxeval 100000 (LD_LBFGS for MGH, LD_SLSQP for
HS, constraint tolerances 0, NLopt's default, and its exceptions turned off so
that every result code returns its best point); Ipopt's defaults with
print_level 0 (and sb=yes, which only drops the banner).

Each run is made once to compile (JAX's tracing and compiling are excluded),
then twice more with the contenders taking turns; the times are the faster of
the two, the ratio extopt/alone the mean of the two side-by-side ratios. nfev
alone is the library's own count of loss calls (SciPy's nfev, Minuit's nfcn,
calls of NLopt's objective and of Ipopt's eval_f); through extopt it is
extopt's count of distinct points evaluated (value, gradient, constraints and
Jacobians of a point are one fused call, and a point asked for again is free).

    python benchmarks/alone.py                     # every family (about 1.5 minutes)
    python benchmarks/alone.py --smoke             # 3 problems per family
    python benchmarks/alone.py --family minuit     # one family (scipy|minuit|nlopt|ipopt)
"""

from __future__ import annotations

import argparse
import json
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import _common  # first: it pins the thread pools
import collection
import jax
import jax.numpy as jnp
import numpy as np

import extopt

jax.config.update("jax_enable_x64", True)

FAMILIES = ("scipy", "minuit", "nlopt", "ipopt")
#: The smoke run's problems, in this order of preference (3 per family).
SMOKE = ("MGH1 Rosenbrock", "HS71", "MGH14 Wood", "HS6", "MGH5 Beale")
#: NLopt's stopping rule when called alone (it has no default one).
NLOPT_ALONE = {"ftol_rel": 1e-10, "xtol_rel": 1e-10, "maxeval": 100_000}
TOL_F = 1e-6
TOL_C = 1e-6
#: extopt's default EDM target (tol 1e-3, errordef 1): what `valid` promises.
VALID_TOL = 1e-3


# -- the derivatives a user takes from JAX by hand ----------------------------------------


class Derivatives:
    """One problem's compiled JAX functions, NumPy in and out, made once (a user
    keeps them; the warm-up compiles them)."""

    def __init__(self, problem: collection.TestProblem):
        o = collection.Ops("jax")
        self.n = len(problem.x0)
        self.m_eq, self.m_in = len(problem.eq), len(problem.ineq)
        self.m = self.m_eq + self.m_in

        def f(x):
            return problem.f(x, o)

        def ceq(x):
            return jnp.stack([c(x, o) for c in problem.eq])

        def cin(x):
            return jnp.stack([c(x, o) for c in problem.ineq])

        def call(x):
            return jnp.stack([c(x, o) for c in (*problem.eq, *problem.ineq)])

        self._f = jax.jit(f)
        self._g = jax.jit(jax.grad(f))
        self._vg = jax.jit(jax.value_and_grad(f))
        self._h = jax.jit(jax.hessian(f))
        if self.m:
            self._ceq, self._jeq = jax.jit(ceq), jax.jit(jax.jacfwd(ceq))
            self._cin, self._jin = jax.jit(cin), jax.jit(jax.jacfwd(cin))
            self._call, self._jall = jax.jit(call), jax.jit(jax.jacfwd(call))
            self._hc = jax.jit(jax.hessian(lambda x, v: v @ call(x)))
            self._lag = jax.jit(jax.hessian(lambda x, v, s: s * f(x) + v @ call(x)))
        else:
            self._lag = jax.jit(jax.hessian(lambda x, v, s: s * f(x)))

    def f(self, x):
        return float(self._f(x))

    def g(self, x):
        return np.asarray(self._g(x))

    def vg(self, x):
        v, g = self._vg(x)
        return float(v), np.asarray(g)

    def h(self, x):
        return np.asarray(self._h(x))

    def ceq(self, x):
        return np.asarray(self._ceq(x))

    def jeq(self, x):
        return np.asarray(self._jeq(x))

    def cin(self, x):
        return np.asarray(self._cin(x))

    def jin(self, x):
        return np.asarray(self._jin(x))

    def call(self, x):
        return np.asarray(self._call(x))

    def jall(self, x):
        return np.asarray(self._jall(x))

    def hc(self, x, v):
        return np.asarray(self._hc(x, v))

    def lag(self, x, v, s):
        return np.asarray(self._lag(x, v, s))


_DERIVATIVES: dict[str, Derivatives] = {}


def derivatives(problem) -> Derivatives:
    if problem.name not in _DERIVATIVES:
        _DERIVATIVES[problem.name] = Derivatives(problem)
    return _DERIVATIVES[problem.name]


# -- one run ------------------------------------------------------------------------------


@dataclass
class Run:
    """What a contender returned: the answer and its counts, or the error."""

    x: np.ndarray | None = None
    nfev: int | None = None
    message: str = ""
    flag: bool | None = None  # extopt's verdict: valid
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _lists(b):
    return (np.array(b[0], dtype=np.float64), np.array(b[1], dtype=np.float64))


# -- alone: each library by hand ----------------------------------------------------------


def scipy_alone(problem, method: str) -> Run:
    import scipy.optimize as so

    d = derivatives(problem)
    x0 = np.array(problem.x0, dtype=np.float64)
    b = collection._bounds(problem)
    kwargs: dict[str, Any] = {}
    if b is not None:
        kwargs["bounds"] = so.Bounds(*b)
    if method == "SLSQP":
        cons = []
        if d.m_eq:
            cons.append({"type": "eq", "fun": d.ceq, "jac": d.jeq})
        if d.m_in:
            cons.append({"type": "ineq", "fun": d.cin, "jac": d.jin})
        kwargs["constraints"] = cons
    elif method == "trust-constr":
        lb = np.zeros(d.m)
        ub = np.concatenate([np.zeros(d.m_eq), np.full(d.m_in, np.inf)])
        kwargs["constraints"] = [so.NonlinearConstraint(d.call, lb, ub, jac=d.jall, hess=d.hc)]
        kwargs["hess"] = d.h
    res = so.minimize(d.vg, x0, jac=True, method=method, **kwargs)
    return Run(np.asarray(res.x), int(res.nfev), f"{res.status}: {res.message}")


def minuit_alone(problem) -> Run:
    from iminuit import Minuit

    d = derivatives(problem)
    m = Minuit(d.f, np.array(problem.x0, dtype=np.float64), grad=d.g)
    m.errordef = Minuit.LEAST_SQUARES
    b = collection._bounds(problem)
    if b is not None:
        m.limits = [
            (lo if np.isfinite(lo) else None, up if np.isfinite(up) else None)
            for lo, up in zip(*b, strict=True)
        ]
    m.migrad()
    fmin = m.fmin
    message = "valid" if fmin.is_valid else _minuit_flags(fmin)
    return Run(np.array(m.values, dtype=np.float64), int(m.nfcn), message + f", edm {fmin.edm:.3g}")


def _minuit_flags(fmin) -> str:
    flags = [
        name
        for name in (
            "has_reached_call_limit",
            "is_above_max_edm",
            "hesse_failed",
            "has_made_posdef_covar",
        )
        if getattr(fmin, name, False)
    ]
    return "invalid (" + (", ".join(flags) or "no flag") + ")"


def nlopt_alone(problem) -> Run:
    import nlopt

    d = derivatives(problem)
    n = d.n
    algorithm = nlopt.LD_SLSQP if d.m else nlopt.LD_LBFGS
    opt = nlopt.opt(algorithm, n)
    opt.set_exceptions_enabled(False)  # every result code returns NLopt's best point
    calls = [0]

    def objective(x, grad):
        calls[0] += 1
        if grad.size:
            f, g = d.vg(x)
            grad[:] = g
            return f
        return d.f(x)

    opt.set_min_objective(objective)
    b = collection._bounds(problem)
    if b is not None:
        lower, upper = _lists(b)
        opt.set_lower_bounds(lower)
        opt.set_upper_bounds(upper)
    if d.m_eq:

        def equalities(result, x, grad):
            result[:] = d.ceq(x)
            if grad.size:
                grad[:] = d.jeq(x)

        opt.add_equality_mconstraint(equalities, np.zeros(d.m_eq))
    if d.m_in:

        def inequalities(result, x, grad):  # NLopt: c(x) <= 0; the collection: c(x) >= 0
            result[:] = -d.cin(x)
            if grad.size:
                grad[:] = -d.jin(x)

        opt.add_inequality_mconstraint(inequalities, np.zeros(d.m_in))
    opt.set_ftol_rel(NLOPT_ALONE["ftol_rel"])
    opt.set_xtol_rel(NLOPT_ALONE["xtol_rel"])
    opt.set_maxeval(NLOPT_ALONE["maxeval"])
    x = opt.optimize(np.array(problem.x0, dtype=np.float64))
    code = opt.last_optimize_result()
    name = next((k for k in NLOPT_CODES if getattr(nlopt, k, None) == code), str(code))
    return Run(np.asarray(x, dtype=np.float64), calls[0], name)


NLOPT_CODES = (
    "SUCCESS",
    "STOPVAL_REACHED",
    "FTOL_REACHED",
    "XTOL_REACHED",
    "MAXEVAL_REACHED",
    "MAXTIME_REACHED",
    "FAILURE",
    "INVALID_ARGS",
    "OUT_OF_MEMORY",
    "ROUNDOFF_LIMITED",
    "FORCED_STOP",
)

_IPOPT_STATUS = {
    0: "Solve_Succeeded",
    1: "Solved_To_Acceptable_Level",
    2: "Infeasible_Problem_Detected",
    3: "Search_Direction_Becomes_Too_Small",
    4: "Diverging_Iterates",
    -1: "Maximum_Iterations_Exceeded",
    -2: "Restoration_Failed",
    -3: "Error_In_Step_Computation",
    -13: "Invalid_Number_Detected",
}


def ipopt_alone(problem) -> Run:
    import ipyopt

    d = derivatives(problem)
    n, m = d.n, d.m
    b = collection._bounds(problem)
    big = 1e19  # Ipopt's infinity
    if b is None:
        lower, upper = np.full(n, -big), np.full(n, big)
    else:
        lower, upper = (np.clip(v, -big, big) for v in _lists(b))
    g_l = np.zeros(m)
    g_u = np.concatenate([np.zeros(d.m_eq), np.full(d.m_in, big)])
    rows = np.tril_indices(n)
    calls = [0]

    def eval_f(x):
        calls[0] += 1
        return d.f(x)

    def eval_grad_f(x, out):
        out[:] = d.g(x)

    def eval_g(x, out):
        if m:
            out[:] = d.call(x)

    def eval_jac_g(x, out):
        if m:
            out[:] = d.jall(x).ravel()

    def eval_h(x, lagrange, obj_factor, out):
        out[:] = d.lag(x, lagrange, obj_factor)[rows]

    nlp = ipyopt.Problem(
        n,
        lower,
        upper,
        m,
        g_l,
        g_u,
        (np.repeat(np.arange(m), n), np.tile(np.arange(n), m)),
        rows,
        eval_f,
        eval_grad_f,
        eval_g,
        eval_jac_g,
        eval_h=eval_h,
        ipopt_options={"print_level": 0, "sb": "yes"},
    )
    x, _, status = nlp.solve(np.array(problem.x0, dtype=np.float64))
    return Run(np.array(x), calls[0], _IPOPT_STATUS.get(int(status), f"status {status}"))


# -- through extopt ------------------------------------------------------------------------

#: Per family and method: the minimizer class and extopt.minimize's method name.
EXTOPT = {
    ("scipy", "L-BFGS-B"): ("ScipyLBFGSB", "L-BFGS-B"),
    ("scipy", "SLSQP"): ("ScipySLSQP", "SLSQP"),
    ("scipy", "trust-constr"): ("ScipyTrustConstr", "trust-constr"),
    ("minuit", "MIGRAD"): ("Minuit", "minuit"),
    ("nlopt", "LD_LBFGS"): ("NLoptLBFGS", "nlopt:LD_LBFGS"),
    ("nlopt", "LD_SLSQP"): ("NLoptSLSQP", "nlopt:LD_SLSQP"),
    ("ipopt", "Ipopt"): ("Ipopt", "ipopt"),
}


def _extopt_args(problem):
    loss, eqs, ineqs = collection._functions(problem, "jax")  # the same objects every time
    x0 = jnp.asarray(problem.x0, dtype=jnp.float64)
    return (
        loss,
        x0,
        {
            "bounds": collection._bounds(problem),
            "equalities": eqs,
            "inequalities": ineqs,
        },
    )


def object_run(problem, minimizer) -> Run:
    loss, x0, kwargs = _extopt_args(problem)
    res = minimizer.minimize(loss, x0, **kwargs)
    info = res.get("info") or {}
    return Run(
        np.asarray(res.x_flat, dtype=np.float64),
        int(res.nfev),
        str(res.message),
        bool(res.valid),
        extra={"restarts": info.get("restarts"), "edm": res.get("edm")},
    )


def minimize_run(problem, method: str) -> Run:
    loss, x0, kwargs = _extopt_args(problem)
    res = extopt.minimize(loss, x0, method=method, **kwargs)
    return Run(
        np.asarray(res.x_flat, dtype=np.float64),
        int(res.nfev),
        str(res.message),
        bool(res.valid),
        extra={"success": bool(res.success), "reasons": ",".join(res.reasons) or None},
    )


# -- the cases of a family -----------------------------------------------------------------


@dataclass
class Case:
    family: str
    problem: collection.TestProblem
    method: str
    contenders: dict[str, Callable[[], Run]]


def cases(family: str, smoke: bool) -> list[Case]:
    out = []
    for p in collection.MGH + collection.HS:
        constrained = bool(p.eq or p.ineq)
        if family == "scipy":
            methods = ["SLSQP", "trust-constr"] if constrained else ["L-BFGS-B"]
        elif family == "minuit":
            methods = [] if constrained else ["MIGRAD"]
        elif family == "nlopt":
            methods = ["LD_SLSQP" if constrained else "LD_LBFGS"]
        else:
            methods = ["Ipopt"]
        for method in methods:
            out.append(_case(family, p, method))
    if smoke:
        names = [n for n in SMOKE if any(c.problem.name == n for c in out)][:3]
        out = [c for c in out if c.problem.name in names]
    return out


def _case(family: str, p, method: str) -> Case:
    cls, name = EXTOPT[(family, method)]
    minimizer = getattr(extopt, cls)()  # made once, reused: extopt's defaults
    alone = {
        "scipy": lambda: scipy_alone(p, method),
        "minuit": lambda: minuit_alone(p),
        "nlopt": lambda: nlopt_alone(p),
        "ipopt": lambda: ipopt_alone(p),
    }[family]
    return Case(
        family,
        p,
        method,
        {
            "alone": alone,
            "object": lambda: object_run(p, minimizer),
            "minimize": lambda: minimize_run(p, name),
        },
    )


# -- measuring and checking ----------------------------------------------------------------


def _guarded(fn: Callable[[], Run]) -> Callable[[], Run]:
    def run() -> Run:
        try:
            return fn()
        except Exception as exc:  # a crash is a result here
            return Run(error=f"{type(exc).__name__}: {exc}"[:200])

    return run


def check(problem, run: Run) -> dict[str, Any]:
    """The independent verdict, in NumPy float64 at the returned x."""
    if run.error is not None or run.x is None:
        return {"ok": False, "verdict": "CRASH", "f": None, "df": None, "viol": None}
    x = np.asarray(run.x, dtype=np.float64)
    f = float(problem.f(x, collection.Ops("numpy")))
    viol = collection._violation(problem, x, collection._bounds(problem))
    # lower than the published optimum counts (a lower local minimum, or the
    # global one past a published saddle: Biggs EXP6's 5.66e-3 is one)
    df = (f - problem.fstar) / (1 + abs(problem.fstar))
    f_ok = math.isfinite(f) and df <= TOL_F
    c_ok = viol <= TOL_C
    verdict = "yes" if f_ok and c_ok else "NO " + "f" * (not f_ok) + "c" * (not c_ok)
    return {"ok": f_ok and c_ok, "verdict": verdict, "f": f, "df": df, "viol": viol}


def local_check(problem, x: np.ndarray) -> tuple[float, float]:
    """An independent float64 check of a local minimum at x, by hand from the
    problem's JAX derivatives (no extopt code): the EDM, 1/2 g^T H^-1 g of the
    Lagrangian in the directions the active bounds and constraints leave free
    (active: within 1e-4, so that interior points count), and the smallest
    eigenvalue of that reduced Hessian scaled by its diagonal."""
    from scipy.linalg import null_space

    d = derivatives(problem)
    n = x.size
    g, h = d.g(x), d.h(x)
    rows, lam_rows = [], []
    b = collection._bounds(problem)
    if b is not None:
        lower, upper = _lists(b)
        with np.errstate(invalid="ignore"):
            at = (np.abs(x - lower) <= 1e-4 * (1 + np.abs(lower))) | (
                np.abs(upper - x) <= 1e-4 * (1 + np.abs(upper))
            )
        rows += [np.eye(n)[i] for i in np.flatnonzero(at)]
    m_c = 0
    if d.m:
        c, jac = d.call(x), d.jall(x)
        eq = np.arange(d.m) < d.m_eq
        active = eq | (np.abs(c) <= 1e-4 * (1 + np.abs(c)))
        lam_rows = list(np.flatnonzero(active))
        rows = [jac[i] for i in lam_rows] + rows
        m_c = len(lam_rows)
    if rows:
        a = np.vstack(rows)
        mult = np.linalg.lstsq(a.T, g, rcond=None)[0]
        g_l = g - a.T @ mult
        if m_c:
            v = np.zeros(d.m)
            v[lam_rows] = mult[:m_c]
            h = h - d.hc(x, v)
        z = null_space(a)
    else:
        g_l, z = g, np.eye(n)
    hr, gr = z.T @ h @ z, z.T @ g_l
    if hr.size == 0:
        return 0.0, math.nan
    # equilibrated by the diagonal (the EDM does not change): badly scaled
    # problems (MGH3, MGH4: parameters 1e6 apart) have eigenvalues 1e12 apart
    d = np.abs(np.diag(hr))
    s = 1.0 / np.sqrt(np.where(d > 0, d, max(float(d.max()), 1.0)))
    hr, gr = s[:, None] * hr * s, s * gr
    w, v = np.linalg.eigh(0.5 * (hr + hr.T))
    scale = max(float(np.max(np.abs(w))), 1e-300)
    if w[0] < -1e-6 * scale:
        return math.inf, float(w[0] / scale)
    # flat directions (a rank-deficient least-squares problem) are a weak
    # minimum when the gradient has no part along them: a pseudo-inverse
    comp = v.T @ gr
    flat = w <= 1e-10 * scale
    if np.any(np.abs(comp[flat]) > 1e-8 * (1 + np.max(np.abs(gr)))):
        return math.inf, float(w[0] / scale)
    return float(0.5 * np.sum(comp[~flat] ** 2 / w[~flat])), float(w[0] / scale)


def polish(problem, x: np.ndarray) -> float:
    """The loss of the local minimum next to x: SciPy's SLSQP from x with the
    problem's exact JAX derivatives and a tight rule (by hand, no extopt)."""
    import scipy.optimize as so

    d = derivatives(problem)
    b = collection._bounds(problem)
    cons = []
    if d.m_eq:
        cons.append({"type": "eq", "fun": d.ceq, "jac": d.jeq})
    if d.m_in:
        cons.append({"type": "ineq", "fun": d.cin, "jac": d.jin})
    res = so.minimize(
        d.vg,
        x,
        jac=True,
        method="SLSQP",
        bounds=None if b is None else so.Bounds(*b),
        constraints=cons,
        options={"ftol": 1e-14, "maxiter": 2000},
    )
    if collection._violation(problem, res.x, b) > TOL_C:
        return d.f(x)
    return min(float(res.fun), d.f(x))


def verified(problem, x: np.ndarray) -> bool:
    """Whether a valid answer is what valid promises, by an independent float64
    check: feasible; unconstrained, the EDM (from JAX by hand) below twice the
    target and no negative curvature (`local_check`); with bounds or
    constraints, no lower point within reach of a tight local polish than the
    EDM target (twice, for rounding)."""
    b = collection._bounds(problem)
    if collection._violation(problem, x, b) > TOL_C:
        return False
    if not (problem.eq or problem.ineq or b is not None):
        edm, _ = local_check(problem, x)  # infinite with negative curvature
        return bool(edm < 2 * VALID_TOL)
    return bool(derivatives(problem).f(x) - polish(problem, x) <= 2 * VALID_TOL)


def measure(case: Case, repeats: int = 2) -> dict[str, Any]:
    """Each contender once to compile, then `repeats` times taking turns."""
    fns = {name: _guarded(fn) for name, fn in case.contenders.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        last = {name: fn() for name, fn in fns.items()}  # warm-up: tracing and compiling
        times: dict[str, list[float]] = {name: [] for name in fns}
        for _ in range(repeats):
            for name, fn in fns.items():
                start = time.perf_counter()
                last[name] = fn()
                times[name].append(time.perf_counter() - start)
    out: dict[str, Any] = {
        "problem": case.problem.name,
        "method": case.method,
        "fstar": case.problem.fstar,
    }
    for name, run in last.items():
        out[name] = {
            "run": run,
            **check(case.problem, run),
            "time_s": min(times[name]),
            "times": times[name],
        }
        if run.flag and run.x is not None:
            out[name]["verified"] = verified(case.problem, np.asarray(run.x, dtype=np.float64))
        else:
            out[name]["verified"] = True
    for name in ("object", "minimize"):
        ratios = [a / b for a, b in zip(times[name], times["alone"], strict=True)]
        crashed = last[name].error is not None or last["alone"].error is not None
        out[name]["ratio"] = None if crashed else sum(ratios) / len(ratios)
    return out


# -- printing ------------------------------------------------------------------------------


def _f(value):
    return "-" if value is None else f"{value:.10g}"


def _ms(entry):
    return round(entry["time_s"] * 1e3, 2)


def rows_of(results: list[dict], contender: str, flag_name: str) -> list[dict]:
    rows = []
    for r in results:
        a, e = r["alone"], r[contender]
        rows.append(
            {
                "problem": r["problem"],
                "method": r["method"],
                "alone f": _f(a["f"]),
                "alone ok": a["verdict"],
                "alone nfev": a["run"].nfev,
                "alone ms": _ms(a),
                f"{contender} f": _f(e["f"]),
                f"{contender} ok": e["verdict"],
                f"{contender} nfev": e["run"].nfev,
                flag_name: "-" if e["run"].flag is None else str(e["run"].flag),
                f"{contender} ms": _ms(e),
                f"{contender}/alone": e["ratio"],
            }
        )
    return rows


def _worse(r: dict, c: str) -> bool:
    """extopt's answer is worse than the library's alone: higher by more than the
    check's tolerance, or more infeasible (whether or not either passes)."""
    a, e = r["alone"], r[c]
    if e["f"] is None:
        return a["f"] is not None
    if a["f"] is None or e["ok"]:
        return False
    scale = TOL_F * (1 + abs(r["fstar"]))
    return e["f"] - a["f"] > scale or e["viol"] > max(a["viol"], TOL_C)


def summary(family: str, results: list[dict]) -> tuple[str, dict]:
    def label(r, c=None):
        name = f"{r['problem']} ({r['method']})" if family == "scipy" else r["problem"]
        if c is None:
            return name
        e, a = r[c], r["alone"]
        if e["df"] is None:
            return f"{name} [crash]"
        alone = "crash" if a["df"] is None else f"{a['df']:.1e}"
        return f"{name} [df {e['df']:.1e}, alone {alone}]"

    contenders = ("object", "minimize")
    tests = {
        "lost": lambda r, c: r["alone"]["ok"] and not r[c]["ok"],
        "worse": _worse,
        "gained": lambda r, c: r[c]["ok"] and not r["alone"]["ok"],
        "valid_unverified": lambda r, c: bool(r[c]["run"].flag) and not r[c]["verified"],
        "valid_short": lambda r, c: bool(r[c]["run"].flag) and not r[c]["ok"],
        "right_but_invalid": lambda r, c: r[c]["run"].flag is False and r[c]["ok"],
        "crashed": lambda r, c: r[c]["run"].error is not None,
    }
    lists = {
        key: {c: [label(r, c) for r in results if test(r, c)] for c in contenders}
        for key, test in tests.items()
    }
    table_rows = [
        {
            "contender": name,
            "solved": sum(1 for r in results if r[name]["ok"]),
            "of": len(results),
            "time s": round(sum(r[name]["time_s"] for r in results), 3),
            "crashed": sum(1 for r in results if r[name]["run"].error),
        }
        for name in ("alone", *contenders)
    ]
    lines = [
        _common.table(
            table_rows,
            ["contender", "solved", "of", "time s", "crashed"],
            f"\n{family}: summary (object = extopt minimizer objects, minimize = extopt.minimize;"
            " df = |f - f*| / (1 + |f*|))",
        )
    ]
    for c, who, flag in (
        ("object", "extopt's objects", "valid"),
        ("minimize", "extopt.minimize", "valid"),
    ):
        lines.append(f"  {who}:")
        for key, words in (
            ("lost", "solved alone, not through extopt"),
            ("worse", "ended worse than alone"),
            ("valid_unverified", "valid but not a minimum by the independent check"),
            ("valid_short", "valid, farther from f* than 1e-6 (within tol, or another minimum)"),
            ("right_but_invalid", f"passes the check but not {flag}"),
            ("crashed", "crashed"),
            ("gained", "solved through extopt, not alone"),
        ):
            items = lists[key][c]
            lines.append(f"    {words} ({len(items)}): " + ("; ".join(items) or "none"))
    data = {
        "family": family,
        "solved": {row["contender"]: row["solved"] for row in table_rows},
        "of": len(results),
        **lists,
    }
    return "\n".join(lines), data


def notes(results: list[dict]) -> str:
    """What each failing or flagged run said (for the diagnosis)."""
    lines = []
    for r in results:
        for name in ("alone", "object", "minimize"):
            e = r[name]
            run = e["run"]
            if e["ok"] and run.flag is not False:
                continue
            what = run.error or run.message
            extra = "".join(f", {k} {v}" for k, v in run.extra.items() if v is not None)
            err = "" if e["df"] is None else f" |df| {e['df']:.2e} viol {e['viol']:.1e}"
            lines.append(
                f"  {r['problem']} ({r['method']}) {name}: {e['verdict']}{err}{extra}: {what[:150]}"
            )
    return "\n".join(lines)


def run_family(family: str, smoke: bool) -> dict:
    start = time.perf_counter()
    results = [measure(case) for case in cases(family, smoke)]
    for contender, flag in (("object", "valid"), ("minimize", "valid")):
        rows = rows_of(results, contender, f"{contender} {flag}")
        print(
            _common.table(
                rows,
                list(rows[0]),
                f"\n{family}: alone against extopt {contender}"
                + ("s" if contender == "object" else ""),
            )
        )
    text, data = summary(family, results)
    print(text)
    flagged = notes(results)
    if flagged:
        print(f"\n{family}: the runs that failed the check or were not valid / successful")
        print(flagged)
    print(f"({family}: {time.perf_counter() - start:.1f} s)")
    data["rows"] = [
        {
            "problem": r["problem"],
            "method": r["method"],
            **{
                name: {
                    "f": r[name]["f"],
                    "ok": r[name]["ok"],
                    "verdict": r[name]["verdict"],
                    "viol": r[name]["viol"],
                    "nfev": r[name]["run"].nfev,
                    "flag": r[name]["run"].flag,
                    "message": r[name]["run"].error or r[name]["run"].message,
                    "time_s": r[name]["time_s"],
                    "x": None if r[name]["run"].x is None else r[name]["run"].x.tolist(),
                }
                for name in ("alone", "object", "minimize")
            },
        }
        for r in results
    ]
    return data


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="3 problems per family")
    parser.add_argument("--family", choices=FAMILIES, action="append", help="one family (repeat)")
    parser.add_argument("--out", help="write the results as JSON here")
    args = parser.parse_args(argv)
    out = [run_family(family, args.smoke) for family in args.family or FAMILIES]
    if args.out:
        with open(args.out, "w") as f:
            json.dump(out, f, indent=1, default=str)
    return out


if __name__ == "__main__":
    main()
