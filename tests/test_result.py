"""FitResult (SciPy-like access, every SciPy field, readable, picklable) and
the callbacks (per iteration, per evaluation, clean early stop)."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest
import scipy.optimize as so

import extopt

from conftest import rosen, rosen_grad, rosen_hess


def test_attribute_and_key_access_like_optimize_result():
    res = extopt.minimize(rosen, np.zeros(3), jac=rosen_grad, method="BFGS")
    for key in ("x", "fun", "jac", "success", "status", "message", "nit", "nfev", "njev"):
        assert key in res and getattr(res, key) is res[key]
    # a flat NumPy call has SciPy's fields: BFGS reports no nhev; extopt's counts have all
    assert "nhev" not in res and "nhev" not in so.minimize(rosen, np.zeros(3), method="BFGS")
    assert res.counts["nhev"] == 0
    assert isinstance(res, dict) and isinstance(res, extopt.FitResult)
    assert "hess_inv" in res  # SciPy's own extra fields stay reachable
    assert res.scipy_result.x is not None
    with pytest.raises(AttributeError, match="FitResult has no field 'xx'"):
        _ = res.xx
    assert res.execution_time > 0


def test_trust_constr_result_fields_of_seed_003_are_all_reachable(jnp):
    res = extopt.minimize(
        lambda x: jnp.sum(x**2),
        jnp.array([2.0, 3.0]),
        method="trust-constr",
        equalities=lambda x: x[0] + x[1] - 1.0,
        inequalities=lambda x: x[0] - 0.8,
        bounds=(None, 5.0),
    )
    fields = [
        "x",
        "optimality",
        "constr_violation",
        "fun",
        "grad",
        "lagrangian_grad",
        "nit",
        "nfev",
        "njev",
        "nhev",
        "cg_niter",
        "algorithm",
        "constr",
        "constr_jac",
        "v",
        "constr_nfev",
        "constr_njev",
        "constr_nhev",
        "tr_radius",
        "constr_penalty",
        "barrier_parameter",
        "barrier_tolerance",
        "execution_time",
        "message",
        "status",
        "cg_stop_cond",
    ]
    missing = [f for f in fields if f not in res]
    assert not missing
    assert res.algorithm == "tr_interior_point" and res.method == "trust-constr"
    raw = res.scipy_result
    for name in ("constr", "jac", "method", "optimality", "constr_violation"):
        assert name in raw


def test_str_is_a_readable_summary(jnp):
    res = extopt.minimize(
        lambda x: jnp.sum(x**2),
        jnp.array([7.0, 7.0]),
        equalities=lambda x: x[1] - 1.0,
        inequalities=lambda x: x[0] - 1.0,
    )
    text = str(res)
    for part in (
        "SLSQP (jax backend)",
        "success",
        "fun",
        "optimality",
        "constr_violation",
        "multipliers eq[0]",
        "multipliers ineq[0]",
        "nit/nfev/njev/nhev",
    ):
        assert part in text
    assert repr(res) == text


def test_result_pickles(jnp):
    res = extopt.minimize(rosen, np.zeros(3), jac=rosen_grad, method="L-BFGS-B")
    back = pickle.loads(pickle.dumps(res))
    assert isinstance(back, extopt.FitResult)
    np.testing.assert_array_equal(back.x, res.x)
    assert back.message == res.message


def test_callback_sees_the_users_structure_and_each_iteration(jnp):
    seen = []

    def callback(intermediate_result):
        seen.append((intermediate_result.nit, intermediate_result.fun, intermediate_result.x))

    def loss(p):
        return rosen(np.concatenate([p["a"], [p["b"]]]))

    def grad(p):
        g = rosen_grad(np.concatenate([p["a"], [p["b"]]]))
        return {"a": g[:2], "b": g[2]}

    res = extopt.minimize(
        loss, {"a": np.zeros(2), "b": 0.0}, jac=grad, method="BFGS", callback=callback
    )
    assert [s[0] for s in seen] == list(range(1, res.nit + 1))
    assert all(set(p) == {"a", "b"} and isinstance(p["b"], float) for _, _, p in seen)
    assert seen[-1][1] == pytest.approx(res.fun)
    for _, f, p in seen:  # the value reported is the loss at that point
        assert f == pytest.approx(loss(p))


@pytest.mark.parametrize("how", ["xk", "intermediate_result"])
@pytest.mark.parametrize("method", extopt.method_names())
def test_callback_ends_the_run_cleanly_with_that_point_as_the_answer(method, how):
    """SciPy's rule: raising StopIteration ends the run (SciPy's message, status
    99 or the method's own), with the callback's last point as the answer."""
    spec = extopt.METHODS[method.lower()]
    kwargs = {}
    if spec.grad != "none":
        kwargs["jac"] = rosen_grad
    if spec.hess != "none":
        kwargs["hess"] = rosen_hess
    points = []

    def record(x):
        assert isinstance(x, np.ndarray) and x.shape == (3,)
        points.append(x.copy())
        if len(points) == 3:
            raise StopIteration

    def callback_xk(xk):
        record(xk)

    def callback_result(intermediate_result):
        record(intermediate_result.x)

    callback = callback_xk if how == "xk" else callback_result
    res = extopt.minimize(
        rosen, np.array([-1.2, 1.0, 0.5]), method=method, callback=callback, **kwargs
    )
    assert len(points) == 3
    # COBYQA calls a stop by the callback a success (SciPy's own status 3); extopt keeps it
    assert method == "COBYQA" or not res.success
    assert "callback" in res.message or "StopIteration" in res.message
    assert not res.valid
    if method not in ("COBYLA", "COBYQA"):  # those two answer with their best point, as SciPy
        np.testing.assert_array_equal(res.x_flat, points[-1])
    assert res.fun == pytest.approx(rosen(res.x_flat))


def test_loss_callback_sees_every_new_loss_value(jnp):
    values = []
    res = extopt.minimize(
        lambda x: jnp.sum((x - 2.0) ** 2),
        jnp.zeros(3),
        loss_callback=lambda info: values.append(info.fun),
    )
    assert len(values) == res.nfev
    assert values[-1] <= values[0]


def test_importing_extopt_imports_no_framework():
    code = (
        "import sys, extopt; bad = [m for m in ('jax', 'torch', 'tensorflow') "
        "if m in sys.modules]; assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_readme_method_table_is_the_generated_one():
    import pathlib

    from extopt._methods import markdown_table

    readme = (pathlib.Path(__file__).parents[1] / "README.md").read_text()
    start = readme.index("<!-- methods table")
    block = readme[readme.index("\n", start) + 1 : readme.index("<!-- end of methods table")]
    assert block.strip() == markdown_table()


def test_names_values_and_params_follow_the_tree():
    def loss(p):
        return np.sum((p["w"] - 1.0) ** 2) + (p["b"] + 2.0) ** 2

    res = extopt.minimize(loss, {"w": np.zeros((2, 2)), "b": 0.0}, jac="3-point")
    names = ["b", "w[0, 0]", "w[0, 1]", "w[1, 0]", "w[1, 1]"]
    assert res.names == names and list(res.names) == names
    assert res.names[-1] == "w[1, 1]" and res.names[1:3] == names[1:3]
    assert res.names.index("w[1, 0]") == 3 and "w[0, 1]" in res.names and "w" not in res.names
    assert res["values"] == pytest.approx(dict(zip(names, [-2.0, 1, 1, 1, 1], strict=True)))
    assert res.values["b"] == pytest.approx(-2.0)
    assert res["params"]["w[0, 1]"]["value"] == pytest.approx(1.0)
    with pytest.raises(KeyError):
        res["values"]["nope"]
    back = pickle.loads(pickle.dumps(res))
    assert back["names"] == names and isinstance(back["names"], list)
    assert back["values"] == res["values"] and isinstance(back["params"], dict)


def test_leaves_that_would_print_alike_are_named_by_position():
    tree = {"w": np.zeros(3), "w[1]": 0.0}  # the scalar's name is an element's name

    def loss(p):
        return sum(np.sum(leaf**2) for leaf in p.values())

    res = extopt.minimize(loss, tree, jac="2-point")
    assert list(res.names) == ["p0", "p1", "p2", "p3"]
    far = extopt.minimize(loss, {"w": np.zeros(3), "w[7]": 0.0}, jac="2-point")
    assert list(far.names) == ["w[0]", "w[1]", "w[2]", "w[7]"]


def test_a_large_result_prints_briefly_and_makes_no_entry_per_parameter():
    n = 200_000

    def loss(x):
        return 0.5 * np.sum((x - 3.0) ** 2)

    res = extopt.minimize(loss, np.zeros(n), jac=lambda x: x - 3.0)
    text = str(res)
    assert len(text) < 5000 and "x[199999]" not in text
    assert len(res["params"]._entries) == 0
    assert res["values"]["x[199999]"] == pytest.approx(3.0)
    assert "(200000 names)" in repr(res.names)


def test_a_callback_returning_true_does_not_stop_the_run_as_in_scipy():
    """scipy.optimize.minimize ignores what callback(xk) returns (only
    trust-constr's callback(xk, state) stops on True): so does extopt."""
    calls = {"extopt": 0, "scipy": 0}

    def make(key):
        def callback(xk):
            calls[key] += 1
            return True

        return callback

    import scipy.optimize as so

    res = extopt.minimize(
        rosen, [-1.2, 1.0], jac=rosen_grad, method="BFGS", callback=make("extopt")
    )
    ref = so.minimize(rosen, [-1.2, 1.0], jac=rosen_grad, method="BFGS", callback=make("scipy"))
    assert res.success and ref.success
    np.testing.assert_allclose(res.x, ref.x, rtol=1e-6)
    assert calls["extopt"] == calls["scipy"] == ref.nit
