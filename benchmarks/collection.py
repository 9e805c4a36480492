"""A collection of published test problems, solved through every backend with
exact derivatives, next to SciPy with finite differences.

Unconstrained problems from J. J. More, B. S. Garbow, K. E. Hillstrom,
"Testing unconstrained optimization software", ACM TOMS 7 (1981) 17-41
(`collection_mgh.MGH`), and constrained ones from W. Hock, K. Schittkowski,
"Test examples for nonlinear programming codes", Lecture Notes in Economics and
Mathematical Systems 187 (1981) (`collection_hs.HS`), each written from its
published definition with its published start point and optimal value; the
operations they use and the problem record are in `collection_base`. A run
succeeds when its loss is within 1e-6 (relative to 1 + |f*|) of the published
optimum, or within the digits the source prints of it where it prints fewer,
and it violates no constraint by more than 1e-6.

    python benchmarks/collection.py          # the table and performance_profile.png
    python benchmarks/check_collection.py    # every definition checked against its source
"""

from __future__ import annotations

import time
from typing import Any

import _common
import numpy as np
from collection_base import Ops, TestProblem
from collection_hs import HS
from collection_mgh import MGH

_common.pin_frameworks()

__all__ = ["HS", "MGH", "Ops", "TestProblem", "main", "solve"]


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
    ok = problem.reached(fun) and violation <= 1e-6
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
