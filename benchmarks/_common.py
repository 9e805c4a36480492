"""What every benchmark shares: one thread everywhere, medians over repeats,
interleaved timing, peak memory, and the results file.

Import this module before any framework: it pins the thread pools."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

for _name in (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
):
    os.environ.setdefault(_name, "1")
os.environ.setdefault(
    "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

HERE = Path(__file__).parent
RESULTS = HERE / "results"


def pin_frameworks() -> None:
    """One thread in every framework that is installed (after the env vars), and
    float64 in JAX (jaxopt needs it globally; extopt's arrays then match)."""
    try:
        import jax

        jax.config.update("jax_enable_x64", True)
    except ImportError:
        pass
    try:
        import torch

        torch.set_num_threads(1)
        torch.set_num_interop_threads(1)
    except (ImportError, RuntimeError):
        pass
    try:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except (ImportError, RuntimeError):
        pass


def interleaved(
    functions: dict[str, Callable[[], Any]],
    repeats: int = 7,
    number: int = 1,
    samples: bool = False,
) -> dict[str, Any]:
    """Median seconds per call of each function, the functions taking turns in
    every repeat so that a noisy machine slows all of them alike (with
    `samples`, every repeat's time too)."""
    for fn in functions.values():  # warm-up (compilation) excluded
        fn()
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeats):
        for name, fn in functions.items():
            start = time.perf_counter()
            for _ in range(number):
                fn()
            times[name].append((time.perf_counter() - start) / number)
    medians = {name: statistics.median(values) for name, values in times.items()}
    return (medians, times) if samples else medians


def paired_ratio(times: dict[str, list[float]], a: str, b: str) -> float:
    """The median over repeats of time[a] / time[b] measured side by side: the
    ratio of two functions that took turns, robust to a machine whose speed
    drifts."""
    return statistics.median(x / y for x, y in zip(times[a], times[b], strict=True))


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def peak_rss_of(code: str) -> dict[str, Any]:
    """Run `code` in a fresh interpreter; its printed JSON plus its peak RSS (MiB)."""
    wrapper = (
        "import json, resource, sys\n" + code + "\nout = dict(RESULT)\nout['peak_rss_mib'] = "
        "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print('RESULT' + json.dumps(out))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", wrapper],
        capture_output=True,
        text=True,
        cwd=HERE,
        env=dict(os.environ),
    )
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT"):
            return json.loads(line[len("RESULT") :])
    raise RuntimeError(
        f"benchmark subprocess failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    )


def machine() -> dict[str, Any]:
    info = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
    }
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = {}
    for name in (
        "numpy",
        "scipy",
        "jax",
        "torch",
        "tensorflow",
        "jaxopt",
        "torchmin",
        "iminuit",
        "extopt",
    ):
        try:
            module = __import__(name)
            versions[name] = getattr(module, "__version__", "?")
        except ImportError:
            versions[name] = None
    info["versions"] = versions
    return info


def table(rows: list[dict[str, Any]], columns: list[str], title: str) -> str:
    """A plain text table."""

    def fmt(value: Any) -> str:
        if value is None:
            return "-"
        if isinstance(value, float):
            if value == 0 or 1e-3 <= abs(value) < 1e5:
                return f"{value:.4g}"
            return f"{value:.3e}"
        return str(value)

    cells = [[fmt(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    lines = [
        title,
        "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)),
        "  ".join("-" * w for w in widths),
    ]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(lines)
