"""Checks every problem of the collection (`collection.MGH`, `collection.HS`)
against its source, by computing, not by trust:

1. at the published solution x*: f(x*) against the published f* (within 1e-6
   relative to 1 + |f*|, or within what the printed digits of x* and f* allow:
   'digits' in the table), and x*'s violation of the constraints and bounds
   (<= 1e-6, or within the printed digits of x*), in NumPy float64;
2. the same functions through JAX, PyTorch and TensorFlow (`Ops("jax")` ...),
   eagerly and compiled (jax.jit, tf.function on a symbolic vector, as extopt
   runs them), against NumPy at x0 and at x* (or at SciPy's solution where no
   x* is published): f and every constraint, |a - b| <= 1e-12 max(1, |a|, s),
   s = sum_j |x_j da/dx_j| the size of the terms that a sums (compiled code
   reorders sums, and a constraint that cancels terms of 1e5 down to 0 differs
   by rounding at 1e5, not at 0);
3. from x0, SciPy's own solvers with finite-difference derivatives and tight
   stopping rules, tried in turn until one reaches f* (as in 1.) with a
   violation <= 1e-6: the table names the first that does and its f. The
   derivative-free ones (Nelder-Mead, COBYLA, COBYQA) come last, as the second
   method for the few problems that the others do not solve (named in the
   problems' notes).

    cd benchmarks; python check_collection.py            # every problem, a few minutes
    python check_collection.py HS1 MGH35                 # problems whose name starts so

It exits non-zero when any check fails."""

from __future__ import annotations

import math
import sys
import time
import warnings

import _common
import numpy as np

_common.pin_frameworks()

import scipy.optimize as so  # noqa: E402
from collection import HS, MGH, Ops  # noqa: E402
from collection_base import TestProblem  # noqa: E402

FRAMEWORKS = ("jax", "torch", "tensorflow")
NUMPY = Ops("numpy")


def _float(v) -> float:
    return float(np.asarray(v))


def _values(problem: TestProblem, x, o: Ops) -> list[float]:
    """f, then every equality, then every inequality, at x."""
    out = [_float(problem.f(x, o))]
    out += [_float(c(x, o)) for c in problem.eq]
    out += [_float(c(x, o)) for c in problem.ineq]
    return out


def _bounds(problem: TestProblem):
    n = problem.n
    if problem.bounds is None:
        return np.full(n, -np.inf), np.full(n, np.inf)
    lower, upper = problem.bounds
    return (
        np.array([-np.inf if v is None else v for v in lower], dtype=float),
        np.array([np.inf if v is None else v for v in upper], dtype=float),
    )


def _violations(problem: TestProblem, x: np.ndarray) -> np.ndarray:
    """Each constraint's and bound's violation at x (>= 0)."""
    lower, upper = _bounds(problem)
    parts = [np.abs([_float(c(x, NUMPY)) for c in problem.eq])]
    parts.append(np.maximum(-np.array([_float(c(x, NUMPY)) for c in problem.ineq]), 0.0))
    parts.append(np.maximum(lower - x, 0.0))
    parts.append(np.maximum(x - upper, 0.0))
    return np.concatenate([np.ravel(p) for p in parts])


def _last_unit(v: float) -> float:
    """One unit in the last printed digit of v (printed values are cut off or
    rounded): 0 for an integer or a value computed to full precision (15 or
    more significant digits)."""
    if v == 0 or (float(v).is_integer() and abs(v) < 1e15):
        return 0.0
    mantissa = repr(abs(float(v))).split("e")[0]
    digits = len(mantissa.replace(".", "").lstrip("0"))
    if digits >= 15:
        return 0.0
    return 10.0 ** (math.floor(math.log10(abs(v))) - digits + 1)


def _gradient(fun, x: np.ndarray) -> np.ndarray:
    """Central differences of a scalar function of x."""
    g = np.zeros_like(x)
    for j in range(len(x)):
        h = 1e-6 * max(abs(x[j]), 1e-2)
        e = np.zeros_like(x)
        e[j] = h
        g[j] = (fun(x + e) - fun(x - e)) / (2 * h)
    return g


def check_xstar(problem: TestProblem) -> dict:
    """Check 1: f(x*) against f*, and x*'s feasibility."""
    if problem.xstar is None:
        return {"f(x*)-f*": None, "viol(x*)": None, "x*": "-"}
    x = np.array(problem.xstar, dtype=float)
    delta = np.array([_last_unit(v) for v in problem.xstar])
    diff = _float(problem.f(x, NUMPY)) - problem.fstar
    violation = float(np.max(_violations(problem, x), initial=0.0))
    strict = abs(diff) <= problem.ftol() and violation <= 1e-6
    verdict = "yes" if strict else "NO"
    if not strict and delta.any():
        # how far the printed digits of x* can move f and each constraint
        f_slack = abs(_gradient(lambda z: _float(problem.f(z, NUMPY)), x)) @ delta
        f_ok = abs(diff) <= problem.ftol() + f_slack
        c_ok = True
        for c in [*problem.eq, *problem.ineq]:
            slack = abs(_gradient(lambda z, c=c: _float(c(z, NUMPY)), x)) @ delta
            value = _float(c(x, NUMPY))
            is_eq = any(c is e for e in problem.eq)
            miss = abs(value) if is_eq else max(-value, 0.0)
            c_ok = c_ok and miss <= 1e-6 + slack
        lower, upper = _bounds(problem)
        c_ok = c_ok and bool(
            np.all(x >= lower - 1e-6 - delta) and np.all(x <= upper + 1e-6 + delta)
        )
        verdict = "digits" if f_ok and c_ok else "NO"
    return {"f(x*)-f*": diff, "viol(x*)": violation, "x*": verdict}


def _as(framework: str, x: np.ndarray):
    if framework == "jax":
        import jax.numpy as jnp

        return jnp.asarray(x, dtype=jnp.float64)
    if framework == "torch":
        import torch

        return torch.tensor(x, dtype=torch.float64)
    import tensorflow as tf

    return tf.constant(x, dtype=tf.float64)


def _compiled(framework: str, fn, n: int):
    """fn compiled as extopt compiles it: jax.jit, or tf.function on a float64
    vector of n (a symbolic tensor: no len, no iteration)."""
    if framework == "jax":
        import jax

        return jax.jit(fn)
    import tensorflow as tf

    return tf.function(fn, input_signature=[tf.TensorSpec([n], tf.float64)], autograph=False)


def check_frameworks(problem: TestProblem, points: list[np.ndarray], ops: dict) -> float:
    """Check 2: the largest |a - b| / max(1, |a|, |x . grad a|) between NumPy and a
    framework, eager and (JAX, TensorFlow) compiled, over f and the constraints at
    the points."""
    functions = [problem.f, *problem.eq, *problem.ineq]
    variants = []
    for framework, o in ops.items():
        eager = [lambda x, g=g, o=o: g(x, o) for g in functions]
        variants.append((framework, eager))
        if framework != "torch":
            compiled = [_compiled(framework, g, problem.n) for g in eager]
            variants.append((framework, compiled))
    worst = 0.0
    for x in points:
        reference = np.array(_values(problem, x, NUMPY))
        # the size of the terms a value is summed from, |x . grad| to first order:
        # a constraint that cancels terms of 1e5 to 0 is compared at 1e5, not at 0
        terms = np.array(
            [abs(x * _gradient(lambda z, g=g: _float(g(z, NUMPY)), x)).sum() for g in functions]
        )
        scale = np.maximum(1.0, np.maximum(np.abs(reference), np.nan_to_num(terms)))
        for framework, fns in variants:
            other = np.array([_float(g(_as(framework, x))) for g in fns])
            with np.errstate(invalid="ignore"):
                rel = np.abs(other - reference) / scale
            rel[np.isnan(reference) & np.isnan(other)] = 0.0
            worst = max(worst, float(np.max(np.nan_to_num(rel, nan=np.inf))))
    return worst


def _attempts(problem: TestProblem) -> list[tuple[str, str]]:
    if problem.kind == "unconstrained":
        return [("L-BFGS-B", "2-point"), ("BFGS", "2-point"), ("L-BFGS-B", "3-point"),
                ("BFGS", "3-point"), ("trust-constr", "2-point"),
                ("Nelder-Mead", "no derivatives")]  # fmt: skip
    if problem.kind == "bounds":
        return [("L-BFGS-B", "2-point"), ("SLSQP", "2-point"), ("L-BFGS-B", "3-point"),
                ("trust-constr", "2-point"), ("COBYQA", "no derivatives")]  # fmt: skip
    return [("SLSQP", "2-point"), ("SLSQP", "3-point"), ("trust-constr", "2-point"),
            ("trust-constr", "3-point"), ("COBYLA", "no derivatives"),
            ("COBYQA", "no derivatives")]  # fmt: skip


def _scipy(problem: TestProblem, method: str, scheme: str) -> so.OptimizeResult:
    from scipy.optimize._numdiff import approx_derivative

    def f(x):
        return _float(problem.f(x, NUMPY))

    def fd(fun):
        return lambda x: approx_derivative(fun, x, method=scheme)

    x0 = np.array(problem.x0, dtype=float)
    lower, upper = _bounds(problem)
    bounds = so.Bounds(lower, upper) if problem.bounds is not None else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method == "Nelder-Mead":
            options = {"maxiter": 400000, "maxfev": 400000, "xatol": 1e-12, "fatol": 1e-15,
                       "adaptive": True}  # fmt: skip
            return so.minimize(f, x0, method=method, options=options)
        if method in ("L-BFGS-B", "BFGS"):
            options = (
                {"maxiter": 20000, "maxfun": 200000, "ftol": 1e-15, "gtol": 1e-12}
                if method == "L-BFGS-B"
                else {"maxiter": 20000, "gtol": 1e-10}
            )
            return so.minimize(f, x0, jac=fd(f), method=method, bounds=bounds, options=options)
        eqs = [lambda x, c=c: np.atleast_1d(_float(c(x, NUMPY))) for c in problem.eq]
        ineqs = [lambda x, c=c: np.atleast_1d(_float(c(x, NUMPY))) for c in problem.ineq]
        if method in ("COBYLA", "COBYQA"):
            cons = [{"type": "eq", "fun": c} for c in eqs]
            cons += [{"type": "ineq", "fun": c} for c in ineqs]
            options = (
                {"maxiter": 100000, "tol": 1e-12, "rhobeg": 0.5}
                if method == "COBYLA"
                else {"maxiter": 100000, "maxfev": 100000, "final_tr_radius": 1e-12}
            )
            return so.minimize(
                f, x0, method=method, bounds=bounds, constraints=cons, options=options
            )
        if method == "SLSQP":
            cons = [{"type": "eq", "fun": c, "jac": fd(c)} for c in eqs]
            cons += [{"type": "ineq", "fun": c, "jac": fd(c)} for c in ineqs]
            return so.minimize(
                f,
                x0,
                jac=fd(f),
                method="SLSQP",
                bounds=bounds,
                constraints=cons,
                options={"maxiter": 3000, "ftol": 1e-14},
            )
        cons = [so.NonlinearConstraint(c, 0.0, 0.0, jac=scheme, hess=so.BFGS()) for c in eqs]
        cons += [so.NonlinearConstraint(c, 0.0, np.inf, jac=scheme, hess=so.BFGS()) for c in ineqs]
        return so.minimize(
            f,
            x0,
            jac=scheme,
            hess=so.BFGS(),
            method="trust-constr",
            bounds=bounds,
            constraints=cons,
            options={"maxiter": 3000, "gtol": 1e-12, "xtol": 1e-14},
        )


def check_scipy(problem: TestProblem) -> dict:
    """Check 3: the first SciPy method that reaches f* from x0."""
    best = None
    for method, scheme in _attempts(problem):
        try:
            res = _scipy(problem, method, scheme)
        except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
            print(f"  {problem.name}: {method} {scheme} raised {exc!r}", file=sys.stderr)
            continue
        fun = float(res.fun)
        violation = float(np.max(_violations(problem, res.x), initial=0.0))
        reached = problem.reached(fun) and violation <= 1e-6
        closer = best is None or abs(fun - problem.fstar) < abs(best["f"] - problem.fstar)
        if reached or (np.isfinite(fun) and closer):
            best = {
                "method": f"{method} {scheme}",
                "f": fun,
                "viol": violation,
                "reached": reached,
                "x": res.x,
            }
        if reached:
            break
    return best


def feasible(problem: TestProblem) -> str:
    if problem.kind == "unconstrained":
        return "-"
    x0 = np.array(problem.x0, dtype=float)
    with np.errstate(all="ignore"):
        return "yes" if float(np.max(_violations(problem, x0), initial=0.0)) <= 0 else "no"


def _fmt(v, spec: str) -> str:
    return "-" if v is None else format(v, spec)


def main(argv: list[str]) -> int:
    problems = [p for p in MGH + HS if not argv or any(p.name.startswith(a) for a in argv)]
    ops = {}
    for framework in FRAMEWORKS:
        try:
            ops[framework] = Ops(framework)
        except ImportError:
            print(f"{framework} is not installed: not compared", file=sys.stderr)
    rows, failures = [], []
    start = time.perf_counter()
    for problem in problems:
        t0 = time.perf_counter()
        one = check_xstar(problem)
        found = check_scipy(problem)
        points = [np.array(problem.x0, dtype=float)]
        points.append(np.array(problem.xstar if problem.xstar is not None else found["x"]))
        with np.errstate(all="ignore"):
            agree = check_frameworks(problem, points, ops)
        row = {
            "problem": problem.name,
            "n": problem.n,
            "kind": problem.kind,
            "x0 feasible": feasible(problem),
            "f(x*)-f*": _fmt(one["f(x*)-f*"], ".1e"),
            "viol(x*)": _fmt(one["viol(x*)"], ".1e"),
            "x* ok": one["x*"],
            "frameworks": agree,
            "scipy reaching f*": (
                found["method"] if found["reached"] else f"NONE (best {found['method']})"
            ),
            "its f": _fmt(found["f"], ".10g"),
            "f*": _fmt(problem.fstar, ".10g"),
            "s": _fmt(time.perf_counter() - t0, ".2f"),
        }
        rows.append(row)
        failed = [
            name
            for name, bad in (
                ("x*", one["x*"] == "NO"),
                ("frameworks", not agree <= 1e-12),
                ("scipy", not found["reached"]),
            )
            if bad
        ]
        if failed:
            failures.append((problem.name, failed))
        print(
            f"{problem.name:<40} x* {one['x*']:<6} fw {agree:8.1e}  "
            f"{row['scipy reaching f*']:<28} f {found['f']:.10g}",
            file=sys.stderr,
        )
    columns = list(rows[0]) if rows else []
    print(
        _common.table(
            [{**r, "frameworks": _fmt(r["frameworks"], ".1e")} for r in rows],
            columns,
            "\nMGH and HS problems checked against their sources",
        )
    )
    print("\nnotes")
    for p in problems:
        if p.note:
            print(f"  {p.name}: {p.note}")
    kinds = {}
    for p in problems:
        kinds[p.kind] = kinds.get(p.kind, 0) + 1
    print(
        f"\n{len(problems)} problems ({len([p for p in problems if p in MGH])} MGH, "
        f"{len([p for p in problems if p in HS])} HS; "
        + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
        + ")"
    )
    n_xstar = sum(r["x* ok"] != "-" for r in rows)
    print(
        f"1. x* published for {n_xstar}: f(x*) = f* and feasible for "
        f"{sum(r['x* ok'] == 'yes' for r in rows)}, within the printed digits for "
        f"{sum(r['x* ok'] == 'digits' for r in rows)}"
    )
    print(
        f"2. NumPy = {', '.join(ops)} within 1e-12 for "
        f"{sum(r['frameworks'] <= 1e-12 for r in rows)} of {len(rows)} "
        f"(largest difference {max((r['frameworks'] for r in rows), default=0):.1e})"
    )
    print(
        f"3. a SciPy method reaches f* from x0 for "
        f"{sum(not r['scipy reaching f*'].startswith('NONE') for r in rows)} of {len(rows)}"
    )
    print(f"{time.perf_counter() - start:.0f} s")
    for name, failed in failures:
        print(f"FAILED {name}: {', '.join(failed)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
