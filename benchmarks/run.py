"""extopt against the floor and against its peers, in one run, as ratios.

    python benchmarks/run.py                 # everything (about 15 minutes here)
    python benchmarks/run.py --smoke         # tiny sizes, seconds (run by the tests)
    python benchmarks/run.py --only overhead solves

Prints a table per section and writes benchmarks/results/benchmarks.json (or
--out). Threads are pinned to one everywhere; warm-up (tracing, compiling) is
excluded from the medians and reported on its own; every ratio is measured
side by side in this one process.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from typing import Any

import _common
import numpy as np
import problems

_common.pin_frameworks()  # one thread each; float64 in JAX
try:
    import jax
except ImportError:  # pragma: no cover
    jax = None


def have(module: str) -> bool:
    try:
        __import__(module)
        return True
    except ImportError:
        return False


def solve_times(solvers: dict[str, Any], repeats: int) -> dict[str, dict[str, Any]]:
    """Each solver's first run (with tracing and compiling) and the median of
    `repeats` more, the solvers taking turns."""
    out: dict[str, dict[str, Any]] = {}
    for name, solve in solvers.items():
        result, first = _common.timed(solve)
        out[name] = {"first_s": first, "result": result, "times": []}
    for _ in range(repeats):
        for name, solve in solvers.items():
            result, elapsed = _common.timed(solve)
            out[name]["times"].append(elapsed)
    for entry in out.values():
        entry["median_s"] = statistics.median(entry["times"])
        entry["compile_s"] = max(entry["first_s"] - entry["median_s"], 0.0)
    return out


#: The columns every table of solves starts with.
SOLVE_COLUMNS = ["problem", "n", "contender", "time_s", "compile_s", "nfev", "fun"]


def rows_of(problem: str, n: int, timings: dict, reference: str | None = None) -> list[dict]:
    rows = []
    base = timings[reference]["median_s"] if reference in timings else None
    for name, entry in timings.items():
        r = entry["result"]
        rows.append(
            {
                "problem": problem,
                "n": n,
                "contender": name,
                "time_s": entry["median_s"],
                "compile_s": entry["compile_s"],
                "per_eval_us": entry["median_s"] / max(r["nfev"], 1) * 1e6,
                "nfev": r["nfev"],
                "njev": r.get("njev"),
                "nhev": r.get("nhev"),
                "calls_per_point": r.get("calls_per_point"),
                "fun": r["fun"],
                "vs_" + (reference or "ref"): entry["median_s"] / base if base else None,
            }
        )
    return rows


# -- sections ---------------------------------------------------------------------------


def section_overhead(smoke: bool) -> list[dict]:
    import overhead

    frameworks = [fw for fw in ("jax", "torch", "tensorflow") if have(fw)]
    sizes = (2, 100) if smoke else (2, 100, 10_000)
    rows = [
        overhead.measure(fw, n, points=50 if smoke else 400, repeats=3 if smoke else 41)
        for fw in frameworks
        for n in sizes
    ]
    print(
        _common.table(
            rows,
            ["framework", "n", "floor_us", "extopt_us", "ratio", "target"],
            "\nper-evaluation bridge overhead (value and gradient at a new point)",
        )
    )
    return rows


def rosen_solvers(n: int, with_fd: bool, peers: bool) -> dict[str, Any]:
    import contenders as c

    x0 = problems.rosen_x0(n)
    solvers: dict[str, Any] = {
        "numpy analytic (floor)": c.numpy_floor(problems.rosen_value_grad_np, x0),
    }
    if with_fd:
        solvers["scipy finite differences"] = c.scipy_fd(problems.rosen_np, x0)
    solvers["extopt numpy (jac=analytic)"] = c.extopt_solve(
        problems.rosen_np, x0, jac=problems.rosen_grad_np
    )
    for fw, floor in (("jax", c.jax_floor), ("torch", c.torch_floor), ("tensorflow", c.tf_floor)):
        if not have(fw):
            continue
        solvers[f"{fw} bridge (floor)"] = floor(problems.ROSEN[fw], x0)
        solvers[f"extopt {fw}"] = c.extopt_solve(problems.ROSEN[fw], c.leaf(fw, x0))
        if with_fd:  # SciPy's finite differences of the same compiled loss
            solvers[f"extopt {fw} jac=2-point"] = c.extopt_solve(
                problems.ROSEN[fw], c.leaf(fw, x0), jac="2-point"
            )
    if peers:
        if have("jaxopt"):
            solvers["jaxopt ScipyMinimize"] = c.jaxopt_solve(
                problems.rosen_jax, jax.numpy.asarray(x0)
            )
        if have("torchmin"):
            solvers["torchmin ScipyMinimizer"] = c.torchmin_solve(problems.rosen_torch, x0)
        if have("autograd_minimize"):
            solvers["autograd-minimize torch"] = c.autograd_minimize_solve(
                problems.rosen_torch, x0, "torch"
            )
            solvers["autograd-minimize tf"] = c.autograd_minimize_solve(problems.rosen_tf, x0, "tf")
        if have("iminuit") and n <= 100:
            solvers["iminuit migrad (jax grad)"] = c.iminuit_solve(problems.rosen_jax, x0)
    return solvers


def section_solves(smoke: bool) -> list[dict]:
    rows = []
    for n in (2, 10) if smoke else (2, 10, 100, 10_000):
        timings = solve_times(
            rosen_solvers(n, with_fd=n <= 100, peers=True), repeats=1 if smoke else 7
        )
        rows += rows_of("rosenbrock L-BFGS-B", n, timings, "numpy analytic (floor)")
    columns = [
        "problem",
        "n",
        "contender",
        "time_s",
        "compile_s",
        "per_eval_us",
        "nfev",
        "calls_per_point",
        "fun",
        "vs_numpy analytic (floor)",
    ]
    print(_common.table(rows, columns, "\nfull L-BFGS-B solves of the extended Rosenbrock"))
    return rows


def section_pytrees(smoke: bool) -> list[dict]:
    import contenders as c

    n, k = (100, 10) if smoke else (1000, 50)
    x0 = problems.rosen_x0(n)
    tree = problems.leaves_of(x0, k)
    keys, size = sorted(tree), n // k
    loss_tree = problems.rosen_tree("jax")

    def flat_tree_loss(x):  # the same loss behind a hand-written flat-vector bridge
        return loss_tree({key: x[i * size : (i + 1) * size] for i, key in enumerate(keys)})

    solvers = {
        "jax bridge (floor), 1 leaf": c.jax_floor(problems.rosen_jax, x0),
        f"jax bridge (floor), {k} leaves": c.jax_floor(flat_tree_loss, x0),
        "extopt jax, 1 leaf": c.extopt_solve(problems.rosen_jax, jax.numpy.asarray(x0)),
        f"extopt jax, {k} leaves": c.extopt_solve(
            problems.rosen_tree("jax"), {key: jax.numpy.asarray(v) for key, v in tree.items()}
        ),
    }
    if have("jaxopt"):
        solvers["jaxopt, 1 leaf"] = c.jaxopt_solve(problems.rosen_jax, jax.numpy.asarray(x0))
        solvers[f"jaxopt, {k} leaves"] = c.jaxopt_solve(
            problems.rosen_tree("jax"), {key: jax.numpy.asarray(v) for key, v in tree.items()}
        )
    timings = solve_times(solvers, repeats=1 if smoke else 7)
    rows = rows_of("rosenbrock pytree", n, timings, "extopt jax, 1 leaf")
    # A loss over many leaves is a different (slower) program in the framework
    # itself; what the pytree costs in the bridge is the ratio to the
    # hand-written bridge of the same loss.
    for row in rows:
        leaves = "1 leaf" if row["contender"].endswith("1 leaf") else f"{k} leaves"
        row["vs_bridge_same_loss"] = (
            row["time_s"] / timings[f"jax bridge (floor), {leaves}"]["median_s"]
        )
    print(
        _common.table(
            rows,
            [
                *SOLVE_COLUMNS,
                "vs_extopt jax, 1 leaf",
                "vs_bridge_same_loss",
            ],
            f"\npytrees: {k} leaves against one (L-BFGS-B)",
        )
    )
    return rows


def section_logistic(smoke: bool) -> list[dict]:
    import contenders as c

    data = problems.logistic_data(samples=500 if smoke else 10_000)
    w0 = np.zeros(data[0].shape[1])
    solvers = {"numpy analytic (floor)": c.numpy_floor(problems.logistic_np(data), w0)}
    for fw in ("jax", "torch", "tensorflow"):
        if have(fw):
            solvers[f"extopt {fw}"] = c.extopt_solve(problems.logistic(fw, data), c.leaf(fw, w0))
    if have("jaxopt"):
        solvers["jaxopt ScipyMinimize"] = c.jaxopt_solve(
            problems.logistic("jax", data), jax.numpy.asarray(w0)
        )
    if have("torchmin"):
        solvers["torchmin ScipyMinimizer"] = c.torchmin_solve(problems.logistic("torch", data), w0)
    if have("autograd_minimize"):
        solvers["autograd-minimize torch"] = c.autograd_minimize_solve(
            problems.logistic("torch", data), w0, "torch"
        )
    timings = solve_times(solvers, repeats=1 if smoke else 7)
    rows = rows_of("logistic regression", data[0].shape[0], timings, "numpy analytic (floor)")
    print(
        _common.table(
            rows,
            [
                *SOLVE_COLUMNS,
                "vs_numpy analytic (floor)",
            ],
            f"\nlogistic regression, {data[0].shape[0]} samples (L-BFGS-B)",
        )
    )
    return rows


def section_constrained(smoke: bool) -> list[dict]:
    import contenders as c

    import extopt

    n = 10 if smoke else 50
    data = problems.constrained_data(n=n)
    solvers = {}
    for fw in ("jax", "torch", "tensorflow"):
        if not have(fw):
            continue
        loss, eq, ineq = problems.constrained(fw, data)
        x0 = c.leaf(fw, np.zeros(n))
        for method in ("SLSQP", "trust-constr"):

            def solve(loss=loss, eq=eq, ineq=ineq, x0=x0, method=method):
                res = extopt.minimize(loss, x0, method=method, equalities=eq, inequalities=ineq)
                counts = res.counts
                return {
                    "x": res.x_flat,
                    "fun": res.fun,
                    "nfev": res.nfev,
                    "njev": res.counts["njev"],
                    "nhev": res.counts["nhev"],
                    "optimality": res.optimality,
                    "calls_per_point": counts["ncalls"] / max(counts["points"], 1),
                }

            solvers[f"extopt {fw} {method}"] = solve
    timings = solve_times(solvers, repeats=1 if smoke else 5)
    rows = rows_of("vector constraints (5 eq + n ineq rows)", n, timings)
    print(
        _common.table(
            rows,
            [
                "problem",
                "n",
                "contender",
                "time_s",
                "compile_s",
                "nfev",
                "njev",
                "nhev",
                "calls_per_point",
                "fun",
            ],
            "\nvector equality and inequality constraints",
        )
    )
    return rows + section_torchmin(smoke)


def section_torchmin(smoke: bool) -> list[dict]:
    """trust-constr with extopt's exact Lagrangian Hessian against pytorch-minimize's
    minimize_constr, on a problem it can take: one scalar constraint (its
    minimize_constr takes a single constraint and differentiates it as a
    scalar; vector constraints fail there with "grad can be implicitly created
    only for scalar outputs")."""
    if not (have("torchmin") and have("torch")):
        return []
    import torch
    from torchmin import minimize_constr

    import extopt

    n = 10 if smoke else 50
    t = torch.from_numpy(problems.constrained_data(n=n)[0])

    def loss(x):
        return torch.sum((x - t) ** 2) + torch.sum(x**4) / 4

    def ball(x):
        return 1.0 - torch.sum(x**2) / n

    def ours():
        res = extopt.minimize(
            loss, torch.zeros(n, dtype=torch.float64), method="trust-constr", inequalities=ball
        )
        return {
            "x": res.x_flat,
            "fun": res.fun,
            "nfev": res.nfev,
            "njev": res.counts["njev"],
            "nhev": res.counts["nhev"],
        }

    def theirs():
        res = minimize_constr(
            loss,
            torch.zeros(n, dtype=torch.float64),
            method="trust-constr",
            constr={"fun": ball, "lb": 0.0, "ub": float("inf")},
        )
        return {
            "x": res.x.numpy(),
            "fun": float(res.fun),
            "nfev": int(res.nfev),
            "njev": None,
            "nhev": None,
        }

    timings = solve_times(
        {"extopt torch trust-constr": ours, "torchmin minimize_constr": theirs},
        repeats=1 if smoke else 5,
    )
    rows = rows_of("ball constraint (1 ineq)", n, timings, "torchmin minimize_constr")
    for row in rows:
        row["target"] = 0.5 if row["contender"].startswith("extopt") else None
    print(
        _common.table(
            rows,
            [
                "problem",
                "n",
                "contender",
                "time_s",
                "nfev",
                "njev",
                "nhev",
                "fun",
                "vs_torchmin minimize_constr",
                "target",
            ],
            "\ntrust-constr: extopt against pytorch-minimize",
        )
    )
    return rows


SCALE_CODE = """
import sys, time
sys.path.insert(0, {here!r})
import _common  # thread pools pinned through the environment; no framework imported
import numpy as np, problems
n, method, who = {n}, {method!r}, {who!r}
fw = None if who == "numpy analytic (floor)" else who.split()[1]
if fw == "jax":
    import jax
    jax.config.update("jax_enable_x64", True)
elif fw == "torch":
    import torch
    torch.set_num_threads(1)
import scipy.optimize as so
import contenders as c
import extopt

def status(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field)) / 1024

x0 = problems.rosen_x0(n)
start_leaf = c.leaf(fw, x0) if fw else x0
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak (VmHWM) to the current RSS: the solve's own peak follows
base = status("VmRSS")
start = time.perf_counter()
if fw is None:
    res = so.minimize(problems.rosen_value_grad_np, x0, jac=True, hessp=problems.rosen_hessp_np,
                      method=method)
    fun, nfev, nhev = res.fun, res.nfev, res.get("nhev", 0)
else:
    res = extopt.minimize(problems.ROSEN[fw], start_leaf, method=method)
    fun, nfev, nhev = res.fun, res.nfev, res.counts["nhev"]
elapsed = time.perf_counter() - start
RESULT = {{"time_s": elapsed, "fun": float(fun), "nfev": int(nfev), "nhev": int(nhev),
          "solve_peak_mib": status("VmHWM") - base}}
"""


def section_scale(smoke: bool) -> list[dict]:
    """Hessian-free Newton at scale in fresh interpreters: time and the memory
    the solve itself adds at its peak (compilation included), per parameter."""
    sizes = (10_000,) if smoke else (100_000, 1_000_000)
    rows = []
    for n in sizes:
        for method in ("Newton-CG", "trust-krylov"):
            for who in ("numpy analytic (floor)", "extopt jax", "extopt torch"):
                if who != "numpy analytic (floor)" and not have(who.split()[1]):
                    continue
                out = _common.peak_rss_of(
                    SCALE_CODE.format(here=str(_common.HERE), n=n, method=method, who=who)
                )
                out.update(
                    method=method,
                    contender=who,
                    n=n,
                    bytes_per_param=out["solve_peak_mib"] * 2**20 / n,
                )
                rows.append(out)
    print(
        _common.table(
            rows,
            [
                "method",
                "n",
                "contender",
                "time_s",
                "nfev",
                "nhev",
                "fun",
                "solve_peak_mib",
                "bytes_per_param",
            ],
            "\nHessian-free at scale: Hessian-vector products; the memory the solve adds",
        )
    )
    if len(sizes) > 1:  # the memory per extra parameter: the slope between the sizes
        small, large = sizes[0], sizes[-1]
        slopes = []
        for r in rows:
            if r["n"] != large:
                continue
            other = next(
                o
                for o in rows
                if o["n"] == small
                and (o["method"], o["contender"]) == (r["method"], r["contender"])
            )
            slopes.append(
                {
                    "method": r["method"],
                    "contender": r["contender"],
                    "bytes_per_extra_param": (r["solve_peak_mib"] - other["solve_peak_mib"])
                    * 2**20
                    / (large - small),
                    "time_ratio": r["time_s"] / other["time_s"],
                    "size_ratio": large / small,
                }
            )
        print(
            _common.table(
                slopes,
                ["method", "contender", "bytes_per_extra_param", "time_ratio", "size_ratio"],
                f"\nmemory per extra parameter from n = {small} to {large}",
            )
        )
        rows.extend(slopes)
    return rows


def section_import(smoke: bool) -> list[dict]:
    def import_time(module: str) -> float:
        code = (
            f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
        )
        times = [
            float(
                subprocess.run(
                    [sys.executable, "-c", code], capture_output=True, text=True, check=True
                ).stdout
            )
            for _ in range(3 if smoke else 9)
        ]
        return statistics.median(times)

    frameworks = json.loads(
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import json, sys, extopt; print(json.dumps([m for m in ('jax', 'torch', "
                "'tensorflow') if m in sys.modules]))",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    scipy_t, extopt_t = import_time("scipy.optimize"), import_time("extopt")
    rows = [
        {"import": "scipy.optimize", "time_s": scipy_t},
        {
            "import": "extopt",
            "time_s": extopt_t,
            "ratio": extopt_t / scipy_t,
            "target": 1.5,
            "frameworks imported": frameworks,
        },
    ]
    print(
        _common.table(
            rows,
            ["import", "time_s", "ratio", "target", "frameworks imported"],
            "\nimport time (fresh interpreters)",
        )
    )
    return rows


def section_collection(smoke: bool) -> list[dict]:
    import collection

    return collection.main(smoke=smoke)


def section_alone(smoke: bool) -> list[dict]:
    import alone

    return alone.main(["--smoke"] if smoke else [])


def section_verdict(smoke: bool) -> dict:
    import verdict_cost

    return verdict_cost.main(smoke=smoke)


SECTIONS = {
    "overhead": section_overhead,
    "solves": section_solves,
    "pytrees": section_pytrees,
    "logistic": section_logistic,
    "constrained": section_constrained,
    "scale": section_scale,
    "import": section_import,
    "collection": section_collection,
    "alone": section_alone,
    "verdict": section_verdict,
}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, seconds")
    parser.add_argument("--only", nargs="*", choices=list(SECTIONS), help="these sections")
    parser.add_argument("--out", default=None, help="the JSON file to write")
    args = parser.parse_args(argv)
    names = args.only or list(SECTIONS)
    report: dict[str, Any] = {"machine": _common.machine(), "smoke": args.smoke}
    start = time.perf_counter()
    for name in names:
        report[name] = SECTIONS[name](args.smoke)
    report["total_s"] = time.perf_counter() - start
    report["targets"] = targets(report)
    print(_common.table(report["targets"], ["target", "measured", "limit", "met"], "\ntargets"))
    out = args.out or str(_common.RESULTS / ("smoke.json" if args.smoke else "benchmarks.json"))
    _common.RESULTS.mkdir(exist_ok=True)
    with open(out, "w") as f:
        json.dump(report, f, indent=1, default=_jsonable)
    print(f"\nwrote {out} ({report['total_s']:.1f} s)")
    return report


def targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 5's targets against what this run measured (a section that did not
    run, or a contender that is not installed, leaves its rows out)."""
    out: list[dict[str, Any]] = []

    def add(target: str, measured: float, limit: float, at_most: bool = True) -> None:
        met = measured <= limit if at_most else measured >= limit
        out.append(
            {
                "target": target,
                "measured": f"{measured:.3g}",
                "limit": f"{'<=' if at_most else '>='} {limit:g}",
                "met": "yes" if met else "no",
            }
        )

    def time_of(rows: list[dict], contender: str, n: int | None = None) -> float | None:
        for r in rows:
            if r.get("contender") == contender and (n is None or r.get("n") == n):
                return r["time_s"]
        return None

    for r in report.get("overhead", []):
        add(f"bridge overhead, {r['framework']}, n = {r['n']}", r["ratio"], 1.15)
    pytrees = report.get("pytrees", [])
    if pytrees:
        k = max(int(r["contender"].split(",")[1].split()[0]) for r in pytrees)
        one, many = (
            time_of(pytrees, "extopt jax, 1 leaf"),
            time_of(pytrees, f"extopt jax, {k} leaves"),
        )
        add(f"{k} leaves / 1 leaf, extopt jax", many / one, 1.3)
        bridge = time_of(pytrees, f"jax bridge (floor), {k} leaves")
        if bridge:
            add(f"{k} leaves / hand-written bridge of the same loss", many / bridge, 1.3)
        jaxopt = time_of(pytrees, f"jaxopt, {k} leaves")
        if jaxopt:
            add(f"extopt / jaxopt, {k} leaves", many / jaxopt, 0.1)
    solves = report.get("solves", [])
    ours, jaxopt = time_of(solves, "extopt jax", 10), time_of(solves, "jaxopt ScipyMinimize", 10)
    if ours and jaxopt:
        add("extopt / jaxopt, L-BFGS-B, n = 10", ours / jaxopt, 0.5)
    big = max((r["n"] for r in solves), default=None)
    ours, floor = time_of(solves, "extopt jax", big), time_of(solves, "numpy analytic (floor)", big)
    if ours and floor:
        add(f"extopt jax / NumPy analytic, n = {big}", ours / floor, 1.2)
    for fw in ("jax", "torch", "tensorflow"):
        ours = time_of(solves, f"extopt {fw}", 100)
        fd = time_of(solves, f"extopt {fw} jac=2-point", 100)
        if ours and fd:
            add(f"differences of the {fw} loss / exact, n = 100", fd / ours, 50, at_most=False)
        fd = time_of(solves, "scipy finite differences", 100)
        if ours and fd:
            add(f"differences of the NumPy loss / extopt {fw}, n = 100", fd / ours, 50, False)
    for r in report.get("constrained", []):
        if "SLSQP" in r["contender"]:
            add(f"framework calls per point, {r['contender']}", r["calls_per_point"], 1)
        if "vs_torchmin minimize_constr" in r and r["contender"].startswith("extopt"):
            add(
                "trust-constr time / torchmin minimize_constr",
                r["vs_torchmin minimize_constr"],
                0.5,
            )
    for r in report.get("scale", []):
        if "bytes_per_extra_param" in r and not r["contender"].startswith("numpy"):
            add(
                f"memory per extra parameter, {r['method']}, {r['contender']} (bytes)",
                r["bytes_per_extra_param"],
                1000,
            )
    for r in report.get("import", []):
        if r["import"] == "extopt":
            add("import extopt / import scipy.optimize", r["ratio"], 1.5)
            add("frameworks imported by import extopt", len(r["frameworks imported"]), 0)
    for r in report.get("collection", []):
        if "summary" in r:
            rates = {row["contender"]: row["rate"] for row in r["summary"]}
            scipy_rate = rates.get("scipy finite differences", 0.0)
            for contender, rate in rates.items():
                if contender.startswith("extopt"):
                    add(
                        f"collection solved, {contender} (SciPy FD: {scipy_rate:.3g})",
                        rate,
                        scipy_rate,
                        at_most=False,
                    )
    for family in report.get("alone", []):
        for c in ("object", "minimize"):
            who = "objects" if c == "object" else "extopt.minimize"
            add(f"{family['family']}: solved alone, not by {who}", len(family["lost"][c]), 0)
            add(
                f"{family['family']}: valid by {who}, not a minimum independently",
                len(family["valid_unverified"][c]),
                0,
            )
    verdict = report.get("verdict")
    if verdict:
        for row in verdict["summary"]:
            add(f"verdict's share of the fit time, {row['api']}", row["total fraction"], 0.05)
        big = verdict["large"]
        add(
            f"verdict memory per parameter at n = {big['n']} (bytes)",
            big["bytes per parameter"],
            1000,
        )
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


if __name__ == "__main__":
    main()
