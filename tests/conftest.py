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


# -- the audit of every valid result (tests/audit.py) ------------------------------------


def _install_audit():
    import audit
    from extopt import _minimizers

    complete = _minimizers.BaseMinimizer._complete

    def audited(self, result, *args, **kwargs):
        complete(self, result, *args, **kwargs)
        audit.record(result)

    _minimizers.BaseMinimizer._complete = audited
    return audit


_AUDIT = _install_audit() if not os.environ.get("EXTOPT_NO_AUDIT") else None


@pytest.fixture(autouse=True)
def _audit_names_the_test(request):
    if _AUDIT is not None:
        _AUDIT.CURRENT["test"] = request.node.nodeid
    yield


def pytest_sessionfinish(session, exitstatus):
    if _AUDIT is None or not _AUDIT.KEPT:
        return
    failures = _AUDIT.audit()
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line("")
        reporter.write_line(
            f"audit: {len(_AUDIT.KEPT)} valid results checked again in float64, "
            f"{len(failures)} failed"
        )
        for line in failures:
            reporter.write_line(f"  AUDIT FAILED {line}")
    if failures:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
