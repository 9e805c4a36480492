"""Each point is evaluated once: SciPy asks for the value, the gradient and the
constraints at a point in separate calls; extopt answers them from one call."""

from __future__ import annotations

import numpy as np
import pytest

import extopt

from conftest import rosen, rosen_grad, rosen_hess


class Recorder:
    """The user's functions, recording every point they are called at."""

    def __init__(self):
        self.points = {"fun": [], "jac": [], "con": []}

    def fun(self, x):
        self.points["fun"].append(x.tobytes())
        return rosen(x)

    def jac(self, x):
        self.points["jac"].append(x.tobytes())
        return rosen_grad(x)

    def con(self, x):
        self.points["con"].append(x.tobytes())
        return np.array([2.0 - x[0] - x[1], x[2] + 1.0])

    def assert_each_point_once(self, *names, again=None):
        """`again`: the answer, where extopt.minimize's verdict evaluates the loss
        once more when it is read (to catch data changed since the fit)."""
        for name in names:
            calls = list(self.points[name])
            if name == "fun" and again is not None:
                assert calls.count(again.tobytes()) == 2, "the verdict re-evaluates the answer"
                calls.remove(again.tobytes())
            assert len(calls) == len(set(calls)), f"{name} called twice at a point"


@pytest.mark.parametrize("method", ["L-BFGS-B", "BFGS", "CG", "TNC", "trust-ncg", "Newton-CG"])
def test_gradient_methods_evaluate_each_point_once(method):
    rec = Recorder()
    hess = rosen_hess if extopt.METHODS[method.lower()].hess != "none" else None
    res = extopt.minimize(
        rec.fun, np.array([-1.2, 1.0, 0.5]), jac=rec.jac, hess=hess, method=method
    )
    assert "reproducible" in res.verdict
    rec.assert_each_point_once("fun", "jac", again=res.x)
    # the algorithm's evaluations, and apart from them the verdict's own
    counts = res.counts
    assert counts["nfev"] + counts["verify_nfev"] == len(rec.points["fun"])
    assert counts["njev"] + counts["verify_njev"] == len(rec.points["jac"])


@pytest.mark.parametrize("method", ["SLSQP", "trust-constr", "COBYLA", "COBYQA"])
def test_constrained_methods_evaluate_each_point_once(method):
    rec = Recorder()
    spec = extopt.METHODS[method.lower()]
    res = extopt.minimize(
        rec.fun,
        np.array([-1.2, 1.0, 0.5]),
        jac=None if spec.derivative_free else rec.jac,
        inequalities=[rec.con],
        method=method,
        options={"maxiter": 200},
    )
    assert "reproducible" in res.verdict
    rec.assert_each_point_once("fun", "jac", "con", again=res.x)
    counts = res.counts
    assert counts["nfev"] + counts["verify_nfev"] == len(rec.points["fun"])
    assert counts["ncev"] + counts["verify_ncev"] == len(rec.points["con"])


def test_jax_fused_calls_are_one_per_point(jnp):
    res = extopt.minimize(
        lambda x: jnp.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2), jnp.zeros(4)
    )
    assert res.counts["ncalls"] == res.counts["points"] == res.nfev == res.njev
