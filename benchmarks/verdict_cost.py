"""What the verdict costs: the second-order check and the exact EDM at the end
of every fit, as a fraction of the fit's time, and its memory at n = 10^6.

- The collection (`collection.py`, MGH and HS problems, JAX backend): each
  problem is fitted by extopt's minimizer objects (L-BFGS-B, SLSQP for the
  constrained ones) and by `extopt.minimize`, once to compile, then five
  times; the time spent gathering the evidence (`extopt._verdict.gather`:
  the Hessian of the Lagrangian in the free directions, its eigenvalues, the
  EDM) is measured inside each fit. Reported: the sum over the collection of
  the verdict's time over the sum of the fits' times (the target: under 5%),
  and the median of the per-problem fractions.
- Large: the extended Rosenbrock function at n = 10^6 (JAX) fitted with
  L-BFGS-B from its published start; the verdict there is matrix-free (Lanczos on Hessian-vector
  products, conjugate gradients for the EDM). Reported: its time against the
  fit's, and the peak of the memory NumPy allocates for it (tracemalloc), in
  bytes per parameter: O(n), a few dozen vectors.

    python benchmarks/verdict_cost.py            # about a minute
    python benchmarks/verdict_cost.py --smoke    # five problems, n = 10^5
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
import warnings

import _common  # first: it pins the thread pools
import collection
import jax.numpy as jnp

import extopt
from extopt import _verdict

_SPENT = [0.0]
_original_gather = _verdict.gather


def _timed_gather(result):
    if result.__dict__.get("_evidence") is not None:
        return _original_gather(result)
    start = time.perf_counter()
    try:
        return _original_gather(result)
    finally:
        _SPENT[0] += time.perf_counter() - start


def _fit_once(fit) -> tuple[float, float]:
    _SPENT[0] = 0.0
    start = time.perf_counter()
    fit()
    return time.perf_counter() - start, _SPENT[0]


def collection_rows(smoke: bool, repeats: int = 5) -> list[dict]:
    problems = collection.MGH + collection.HS
    if smoke:
        problems = problems[:3] + collection.HS[:2]
    rows = []
    for problem in problems:
        loss, eqs, ineqs = collection._functions(problem, "jax")
        x0 = jnp.asarray(problem.x0, dtype=jnp.float64)
        constrained = bool(problem.eq or problem.ineq)
        kwargs = {"bounds": collection._bounds(problem), "equalities": eqs, "inequalities": ineqs}
        minimizer = extopt.ScipySLSQP() if constrained else extopt.ScipyLBFGSB()
        method = "SLSQP" if constrained else "L-BFGS-B"

        def fit_object(m=minimizer, loss=loss, x0=x0, kwargs=kwargs):
            return m.minimize(loss, x0, **kwargs)

        def fit_minimize(m=method, loss=loss, x0=x0, kwargs=kwargs):
            return extopt.minimize(loss, x0, method=m, **kwargs)

        for api, fit in (("object", fit_object), ("minimize", fit_minimize)):
            fit()  # compile
            samples = [_fit_once(fit) for _ in range(repeats)]
            total = statistics.median(s[0] for s in samples)
            spent = statistics.median(s[1] for s in samples)
            rows.append(
                {
                    "problem": problem.name,
                    "api": api,
                    "n": len(problem.x0),
                    "fit ms": round(total * 1e3, 3),
                    "verdict ms": round(spent * 1e3, 3),
                    "fraction": spent / total if total else 0.0,
                }
            )
    return rows


def large(n: int) -> dict:
    """The extended Rosenbrock function (MGH21) at n parameters from its
    published start, with the matrix-free verdict."""

    def loss(x):
        return jnp.sum(100 * (x[1::2] - x[0::2] ** 2) ** 2 + (1 - x[0::2]) ** 2)

    x0 = jnp.tile(jnp.array([-1.2, 1.0]), n // 2)
    extopt.minimize(loss, x0, method="L-BFGS-B")  # compile
    _SPENT[0] = 0.0
    start = time.perf_counter()
    res = extopt.minimize(loss, x0, method="L-BFGS-B")
    total = time.perf_counter() - start
    spent = _SPENT[0]
    # the verdict's memory, alone: its NumPy allocations at their peak
    res.__dict__.pop("_evidence", None)
    tracemalloc.start()
    _original_gather(res)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "n": n,
        "fit s": round(total, 3),
        "verdict s": round(spent, 3),
        "fraction": spent / total,
        "verdict peak MB": round(peak / 2**20, 1),
        "bytes per parameter": round(peak / n, 1),
        "valid": bool(res.valid),
        "min curvature": res.min_curvature,
    }


def main(smoke: bool = False) -> dict:
    _verdict.gather = _timed_gather
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rows = collection_rows(smoke)
            big = large(10**5 if smoke else 10**6)
    finally:
        _verdict.gather = _original_gather
    print(
        _common.table(
            rows,
            ["problem", "api", "n", "fit ms", "verdict ms", "fraction"],
            "\nthe verdict's share of each fit (median of 5, warm)",
        )
    )
    summary = []
    for api in ("object", "minimize"):
        mine = [r for r in rows if r["api"] == api]
        summary.append(
            {
                "api": api,
                "problems": len(mine),
                "total fraction": sum(r["verdict ms"] for r in mine)
                / sum(r["fit ms"] for r in mine),
                "median fraction": statistics.median(r["fraction"] for r in mine),
                "max fraction": max(r["fraction"] for r in mine),
            }
        )
    print(
        _common.table(
            summary,
            ["api", "problems", "total fraction", "median fraction", "max fraction"],
            "\nover the collection (target: under 5%)",
        )
    )
    print(_common.table([big], list(big), "\nlarge: the matrix-free verdict"))
    return {"rows": rows, "summary": summary, "large": big}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--smoke", action="store_true")
    main(parser.parse_args().smoke)
