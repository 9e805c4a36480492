"""TensorFlow: is the XLA-compiled value and gradient faster than the plain
tf.function here? Prints the median time per call as SciPy makes it (a NumPy
float64 vector in, the value and gradient out) for the extended Rosenbrock
function, and the one-time cost of the first call (tracing and compiling).

    TF_CPP_MIN_LOG_LEVEL=3 python benchmarks/xla_tensorflow.py
"""

import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import tensorflow as tf

from extopt._problem import Problem
from extopt.backends.tensorflow import TensorflowBackend

tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)


def rosen(x):
    return tf.reduce_sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


print(f"{'n':>7} {'plain':>10} {'XLA':>10} {'ratio':>6} {'first call plain/XLA':>22}")
for n in (2, 100, 10_000, 1_000_000):
    rng = np.random.default_rng(0)
    xs = [rng.normal(size=n) for _ in range(50)]
    times, first = {}, {}
    for jit in (False, True):
        problem = Problem.build(
            rosen, tf.zeros(n, dtype=tf.float64), backend=TensorflowBackend(jit_compile=jit)
        )
        vg = problem.functions.value_and_grad
        start = time.perf_counter()
        vg(xs[0])
        first[jit] = time.perf_counter() - start
        number = max(5, 20_000 // max(n // 100, 1))
        runs = []
        for _ in range(7):
            start = time.perf_counter()
            for i in range(number):
                vg(xs[i % 50])
            runs.append((time.perf_counter() - start) / number)
        times[jit] = statistics.median(runs)
    print(
        f"{n:>7} {times[False] * 1e6:>8.1f}us {times[True] * 1e6:>8.1f}us "
        f"{times[True] / times[False]:>6.2f} {first[False]:>10.2f}s / {first[True]:.2f}s"
    )
