"""The extension point: a user wraps a fourth algorithm in a few lines with the
public names only (BaseMinimizer, Capabilities, Task, Outcome), and gets
everything extopt gives the built-in minimizers."""

from __future__ import annotations

import numpy as np
import pytest

import extopt

from conftest import rosen, rosen_grad


class GradientDescent(extopt.BaseMinimizer):
    """Projected gradient descent: the README's example, verbatim in spirit."""

    capabilities = extopt.Capabilities(bounds=True)
    option_names = ("rate",)

    def run(self, task: extopt.Task) -> extopt.Outcome:
        x, rate = task.x0, self.options.get("rate", 0.1)
        for nit in range(1, 100_000):  # noqa: B007 - nit is reported
            step = np.clip(x - rate * task.grad(x), task.lower, task.upper) - x
            x = x + step
            if task.callback(x) or np.max(np.abs(step)) < 1e-12:
                break
        return extopt.Outcome(x, success=True, message="steps became tiny", nit=nit)


def quadratic(p):
    """sum_i w_i (a_i - 1)^2 + (b - 2)^2 with w = 1, 2, 3: minimum a = 1, b = 2."""
    return np.sum(np.array([1.0, 2.0, 3.0]) * (p["a"] - 1.0) ** 2) + (p["b"] - 2.0) ** 2


def quadratic_grad(p):
    return {"a": 2.0 * np.array([1.0, 2.0, 3.0]) * (p["a"] - 1.0), "b": 2.0 * (p["b"] - 2.0)}


def test_a_wrapped_algorithm_gets_structures_bounds_and_uncertainties():
    loss = extopt.Loss(quadratic, jac=quadratic_grad)
    res = GradientDescent(rate=0.1).minimize(loss, {"a": np.zeros(3), "b": 0.0})
    assert res.valid and res.converged and res.method == "GradientDescent"
    np.testing.assert_allclose(res.x["a"], np.ones(3), atol=1e-8)
    assert res.x["b"] == pytest.approx(2.0, abs=1e-8)
    # The Hessian is diag(2, 4, 6, 2): errors sqrt(2 * errordef / h).
    errors = res.hesse(method="finite_difference")
    np.testing.assert_allclose(
        [errors[name]["error"] for name in ("a[0]", "a[1]", "a[2]", "b")],
        np.sqrt(2.0 / np.array([2.0, 4.0, 6.0, 2.0])),
        rtol=1e-5,
    )
    # A bound that binds: the answer sits on it, the bound multiplier is the gradient.
    bounded = GradientDescent().minimize(
        loss, {"a": np.zeros(3), "b": 0.0}, bounds=(None, {"a": 0.5, "b": None})
    )
    np.testing.assert_allclose(bounded.x["a"], np.full(3, 0.5))
    assert bounded.params_at_limit and not bounded.valid
    _, z_upper = bounded.bound_multipliers
    np.testing.assert_allclose(z_upper["a"], 2.0 * np.array([1.0, 2.0, 3.0]) * 0.5, rtol=1e-6)


def test_a_wrapped_algorithm_runs_on_every_autodiff_backend(jnp):
    weights = np.array([1.0, 2.0, 3.0])
    res = GradientDescent().minimize(
        extopt.Loss(lambda x: jnp.sum(weights * (x - 1.0) ** 2), backend="jax"), np.zeros(3)
    )
    np.testing.assert_allclose(res.x, np.ones(3), atol=1e-8)
    torch = pytest.importorskip("torch")
    x0 = torch.zeros(3, dtype=torch.float64)
    res = GradientDescent().minimize(
        lambda x: torch.sum(torch.from_numpy(weights) * (x - 1.0) ** 2), x0
    )
    assert isinstance(res.x, torch.Tensor)
    np.testing.assert_allclose(res.x.numpy(), np.ones(3), atol=1e-8)


def test_callback_budget_and_nan_strategies_need_nothing_from_the_wrapper():
    loss = extopt.Loss(rosen, jac=lambda x: rosen_grad(x))
    minimizer = GradientDescent(rate=1e-3, maxiter=50)
    limited = minimizer.minimize(loss, np.array([-1.2, 1.0]))
    assert limited.status == "maxiter" and not limited.valid and limited.nfev == 50

    class Stubborn(GradientDescent):
        """Swallows every error of the functions and goes on: extopt still ends
        the run with the budget's answer or the strategy's error."""

        def run(self, task):
            x = task.x0
            for _ in range(200):
                try:
                    x = x - 1e-3 * task.grad(x)
                except Exception:  # swallowing is the point of this test
                    continue
            return extopt.Outcome(x, success=True)

    limited = Stubborn(maxiter=20).minimize(loss, np.array([-1.2, 1.0]))
    assert limited.status == "maxiter" and limited.nfev == 20

    def nan_loss(x):
        return np.nan if x[0] > -1.0 else rosen(x)

    with pytest.raises(extopt.NaNError):
        Stubborn(strategy=extopt.FailFastStrategy).minimize(
            extopt.Loss(nan_loss, jac=lambda x: rosen_grad(x)), np.array([-0.5, 1.0])
        )


def test_extopt_minimize_takes_a_minimizer_object_and_its_callback_stops_the_run():
    seen = []

    def stop(info):
        seen.append(info.x.copy())
        return len(seen) == 5

    stopped = extopt.minimize(
        rosen,
        np.array([-1.2, 1.0]),
        jac=rosen_grad,
        method=GradientDescent(rate=1e-3),
        callback=stop,
    )
    assert not stopped.success and "callback at iteration 5" in stopped.message
    assert not stopped.valid and "not converged" not in stopped.message
    np.testing.assert_allclose(stopped.x, seen[-1])
    assert stopped.fun == pytest.approx(rosen(seen[-1]))
    full = extopt.minimize(
        quadratic, {"a": np.zeros(3), "b": 0.0}, jac=quadratic_grad, method=GradientDescent()
    )
    np.testing.assert_allclose(full.x["a"], np.ones(3), atol=1e-8)
    with pytest.raises(extopt.InputError, match="options are the minimizer's own"):
        extopt.minimize(
            rosen, np.zeros(2), jac=rosen_grad, method=GradientDescent(), options={"rate": 1.0}
        )


def test_what_a_wrapped_algorithm_cannot_take_is_refused():
    loss = extopt.Loss(quadratic, jac=quadratic_grad)
    start = {"a": np.zeros(3), "b": 0.0}
    with pytest.raises(extopt.MethodError, match="cannot take equality constraints"):
        GradientDescent().minimize(loss, start, equalities=lambda p: p["b"] - 1.0)
    with pytest.raises(extopt.MethodError, match="cannot take inequality constraints"):
        GradientDescent().minimize(loss, start, inequalities=lambda p: p["b"] - 1.0)
    with pytest.raises(extopt.InputError, match=r"'rat' is not an option.*Did you mean 'rate'"):
        GradientDescent(rat=0.1)
    with pytest.raises(extopt.MethodError, match="uses no Hessian"):
        GradientDescent(hessian="bfgs")

    class Forgetful(extopt.BaseMinimizer):
        capabilities = extopt.Capabilities()

    with pytest.raises(NotImplementedError, match="must implement run"):
        Forgetful().minimize(loss, start)

    class WrongAnswer(GradientDescent):
        def run(self, task):
            return task.x0

    with pytest.raises(extopt.ExtoptError, match=r"must return an extopt\.Outcome"):
        WrongAnswer().minimize(loss, start)


def test_the_modules_own_example_runs():
    import extopt._external as external

    doc = external.__doc__
    code = doc[doc.index("    class GradientDescent") : doc.index("Minuit, NLopt and Ipopt")]
    namespace = {"extopt": extopt, "np": np}
    exec(compile("\n".join(line[4:] for line in code.splitlines()), "example", "exec"), namespace)
    res = namespace["GradientDescent"]().minimize(
        extopt.Loss(quadratic, jac=quadratic_grad), {"a": np.zeros(3), "b": 0.0}
    )
    np.testing.assert_allclose(res.x["a"], np.ones(3), atol=1e-8)


def test_readme_table_of_other_optimizers_is_the_generated_one():
    import pathlib

    from extopt._external import markdown_table

    readme = (pathlib.Path(__file__).parents[1] / "README.md").read_text()
    start = readme.index("<!-- external table")
    block = readme[readme.index("\n", start) + 1 : readme.index("<!-- end of external table")]
    assert block.strip() == markdown_table()


def test_a_wrappers_own_mistakes_are_named():
    """What the author of a wrapper gets wrong is an extopt error naming the
    class and the mistake, never an AttributeError from inside extopt."""

    class ReturnsNothing(extopt.BaseMinimizer):
        capabilities = extopt.Capabilities()

        def run(self, task):
            task.fun(task.x0)

    class ReturnsNaN(extopt.BaseMinimizer):
        capabilities = extopt.Capabilities()

        def run(self, task):
            return extopt.Outcome(np.full(task.n, np.nan), success=True)

    class DictCapabilities(extopt.BaseMinimizer):
        capabilities = {"bounds": True}  # noqa: RUF012  (the mistake under test)

        def run(self, task):
            return extopt.Outcome(task.x0, success=True)

    start = np.zeros(2)
    with pytest.raises(extopt.ExtoptError, match=r"ReturnsNothing.run must return an extopt"):
        ReturnsNothing().minimize(extopt.Loss(rosen, jac=rosen_grad), start)
    with pytest.raises(extopt.ExtoptError, match=r"ReturnsNaN.run returned x with non-finite"):
        ReturnsNaN().minimize(extopt.Loss(rosen, jac=rosen_grad), start)
    with pytest.raises(extopt.ExtoptError, match=r"DictCapabilities.capabilities must be an"):
        DictCapabilities()
