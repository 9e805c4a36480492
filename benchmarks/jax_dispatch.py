"""JAX's asynchronous CPU dispatch inside an external optimizer's loop.

An external optimizer needs each value and gradient before it can take its
next step, so JAX's asynchronous dispatch on CPU (a hand-off to a worker
thread and back for every call) buys nothing there and costs a thread wake-up
per evaluation. The flag that turns it off is read once, when JAX creates its
CPU client, so it is the user's choice (extopt cannot scope it):

    jax.config.update("jax_cpu_enable_async_dispatch", False)  # before any JAX work

This script measures L-BFGS-B solves of the extended Rosenbrock through extopt,
in fresh interpreters with the flag on (JAX's default) and off.

    python benchmarks/jax_dispatch.py
"""

from __future__ import annotations

import _common

CODE = """
import sys, time, statistics
sys.path.insert(0, {here!r})
import _common
import jax
jax.config.update("jax_enable_x64", True)
jax.config.update("jax_cpu_enable_async_dispatch", {asynchronous})
import numpy as np, problems, extopt
x0 = jax.numpy.asarray(problems.rosen_x0({n}))
extopt.minimize(problems.rosen_jax, x0)
times = []
for _ in range(15):
    start = time.perf_counter()
    res = extopt.minimize(problems.rosen_jax, x0)
    times.append(time.perf_counter() - start)
RESULT = {{"time_s": statistics.median(times), "nfev": int(res.nfev), "fun": float(res.fun)}}
"""


def main(sizes=(10, 100, 10_000)) -> list[dict]:
    rows = []
    for n in sizes:
        out = {}
        for asynchronous in (True, False):
            r = _common.peak_rss_of(
                CODE.format(here=str(_common.HERE), n=n, asynchronous=asynchronous)
            )
            out[asynchronous] = r
        rows.append(
            {
                "n": n,
                "async_s": out[True]["time_s"],
                "sync_s": out[False]["time_s"],
                "speedup": out[True]["time_s"] / out[False]["time_s"],
                "nfev": out[False]["nfev"],
            }
        )
    print(
        _common.table(
            rows,
            ["n", "async_s", "sync_s", "speedup", "nfev"],
            "extopt L-BFGS-B on JAX: asynchronous CPU dispatch (default) against inline",
        )
    )
    return rows


if __name__ == "__main__":
    main()
