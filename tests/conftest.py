"""Shared problems with independent truths: hand-written NumPy values,
gradients and Hessians, and their published minima."""

from __future__ import annotations

import os

import numpy as np
import pytest


def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosen_grad(x):
    g = np.zeros_like(x, dtype=np.float64)
    g[:-1] = -400.0 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * (x[1:] - x[:-1] ** 2)
    return g


def rosen_hess(x):
    n = x.size
    h = np.zeros((n, n))
    i = np.arange(n - 1)
    h[i, i] = 1200.0 * x[:-1] ** 2 - 400.0 * x[1:] + 2.0
    h[i + 1, i + 1] += 200.0
    h[i, i + 1] = -400.0 * x[:-1]
    h[i + 1, i] = -400.0 * x[:-1]
    return h


def rosen_jax(x):
    import jax.numpy as jnp

    return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


@pytest.fixture
def jnp():
    jax = pytest.importorskip("jax")
    return jax.numpy


# Graph-mode tests run in processes of their own (tests/test_tensorflow_graph.py).
collect_ignore = [] if os.environ.get("EXTOPT_TF1_MODE") else ["graph_mode"]
