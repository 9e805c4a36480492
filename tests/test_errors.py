"""Every kind of bad input gives an extopt error naming the argument, what was
given and what is accepted; never a traceback from inside SciPy or JAX."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize as so

import extopt


def quad(x):
    return np.sum(x**2)


def quad_grad(x):
    return 2 * x


X0 = np.array([1.0, 2.0])


def test_extopt_errors_are_value_and_type_errors():
    assert issubclass(extopt.InputError, ValueError)
    assert issubclass(extopt.InputError, TypeError)
    assert issubclass(extopt.MethodError, extopt.InputError)
    assert issubclass(extopt.ShapeError, extopt.InputError)
    assert issubclass(extopt.BackendError, ImportError)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        # fun and x0
        ({"fun": "quad"}, extopt.InputError, r"fun must be callable"),
        (
            {"fun": lambda x: x},
            extopt.InputError,
            r"fun must return a real scalar; it returned "
            r"ndarray of shape \(2,\)",
        ),
        ({"x0": np.zeros(0)}, extopt.InputError, r"x0 has no elements"),
        ({"x0": {}}, extopt.InputError, r"x0 has no elements"),
        ({"x0": np.array([1.0, np.nan])}, extopt.InputError, r"x0 must be finite; x0\[1\] is nan"),
        ({"x0": [1.0, "2"]}, extopt.InputError, r"x0\[1\] is '2'"),
        # method
        ({"method": "LBFGSB"}, extopt.MethodError, r"Did you mean 'L-BFGS-B'"),
        (
            {"method": "newton"},
            extopt.MethodError,
            r"'newton' is not a method extopt knows.*Did you mean 'Newton-CG'",
        ),
        ({"method": 3}, extopt.MethodError, r"method must be a string"),
        # backend
        ({"backend": "jaxx"}, extopt.BackendError, r"Did you mean 'jax'"),
        ({"backend": 1}, extopt.InputError, r"backend must be None, one of"),
        # options and tol
        (
            {"method": "L-BFGS-B", "options": {"maxitr": 5}},
            extopt.MethodError,
            r"options\['maxitr'\] is not an option of L-BFGS-B.*Did you mean 'maxiter'",
        ),
        ({"options": {"maxiter": "10"}}, extopt.MethodError, r"must be a number \(a count\)"),
        (
            {"method": "L-BFGS-B", "options": {"ftol": -1.0}},
            extopt.MethodError,
            r"non-negative number; got -1.0",
        ),
        ({"options": {"disp": "yes"}}, extopt.MethodError, r"True or False"),
        ({"options": [("maxiter", 3)]}, extopt.MethodError, r"options must be a dict"),
        (
            {"method": "trust-constr", "options": {"factorization_method": "LU"}},
            extopt.MethodError,
            r"one of \[None, 'NormalEquation'",
        ),
        ({"tol": -1}, extopt.InputError, r"tol must be None or a non-negative number"),
        ({"tol": "small"}, extopt.InputError, r"tol must be"),
        # jac
        ({"jac": "forward"}, extopt.InputError, r"jac must be None, True, a callable or one of"),
        ({"jac": 3}, extopt.InputError, r"jac must be None, True, a callable"),
        (
            {"jac": "2-point", "method": "dogleg"},
            extopt.MethodError,
            r"dogleg needs the gradient as a function",
        ),
        ({"jac": lambda x: x[:1]}, extopt.InputError, r"the gradient from jac has shape \(1,\)"),
        # hess
        (
            {"hess": "exact"},
            extopt.InputError,
            r"hess must be None, a callable, a "
            r"HessianUpdateStrategy or one of",
        ),
        ({"hess": 2}, extopt.InputError, r"hess must be None, a callable"),
        (
            {"hess": so.BFGS(), "method": "dogleg"},
            extopt.MethodError,
            r"dogleg cannot use a quasi-Newton Hessian.*'Newton-CG'",
        ),
        (
            {"hess": "2-point", "method": "trust-exact"},
            extopt.MethodError,
            r"trust-exact cannot estimate the Hessian by finite differences",
        ),
        (
            {"hess": "2-point", "jac": "2-point", "method": "trust-constr"},
            extopt.MethodError,
            r"cannot also be finite differences",
        ),
        (
            {"hess": lambda x: np.eye(3), "method": "trust-exact"},
            extopt.InputError,
            r"hess must return an \(2, 2\) matrix",
        ),
        # constraints
        (
            {"equalities": [lambda x: x[0], "x1"]},
            extopt.InputError,
            r"equalities\[1\] must be a function",
        ),
        ({"inequalities": 3}, extopt.InputError, r"inequalities must be a function"),
        (
            {"equalities": lambda x: x[0] - 1, "method": "L-BFGS-B"},
            extopt.MethodError,
            r"L-BFGS-B cannot take equality constraints.*'SLSQP'",
        ),
        (
            {"inequalities": lambda x: x[0], "method": "trust-ncg"},
            extopt.MethodError,
            r"trust-ncg cannot take inequality constraints",
        ),
        (
            {"inequalities": lambda x: x[:0]},
            extopt.InputError,
            r"the output of inequalities\[0\] has no elements",
        ),
        (
            {"equalities": lambda x: x.astype(complex)},
            extopt.InputError,
            r"the output of equalities\[0\] has complex dtype",
        ),
        ({"constraints": "x >= 0"}, extopt.InputError, r"constraints must be a SciPy constraint"),
        (
            {"constraints": [{"type": "geq", "fun": quad}]},
            extopt.InputError,
            r"constraints\[0\]\['type'\] must be 'eq' or 'ineq'",
        ),
        (
            {"constraints": [{"type": "eq", "fun": quad, "jacobian": quad}]},
            extopt.InputError,
            r"constraints\[0\] has unknown keys \['jacobian'\]",
        ),
        (
            {"constraints": [so.LinearConstraint(np.ones((1, 3)), 0, 1)]},
            extopt.InputError,
            r"constraints\[0\].A has 3 columns",
        ),
        ({"constraints": [object()]}, extopt.InputError, r"constraints\[0\] must be a dict"),
        # callbacks
        ({"callback": "print"}, extopt.InputError, r"callback must be callable or None"),
        ({"loss_callback": 1}, extopt.InputError, r"loss_callback must be callable or None"),
    ],
)
def test_bad_input(kwargs, error, message):
    call = {"fun": quad, "x0": X0, "jac": quad_grad}
    call.update(kwargs)
    fun, x0 = call.pop("fun"), call.pop("x0")
    with pytest.raises(error, match=message):
        extopt.minimize(fun, x0, **call)


def test_jac_true_with_a_scalar_function_is_explained():
    with pytest.raises(extopt.InputError, match="with jac=True, fun must return a pair"):
        extopt.minimize(quad, X0, jac=True)


def test_jax_fun_returning_a_vector_is_explained(jnp):
    with pytest.raises(extopt.InputError, match=r"fun must return a real scalar.*\(3,\)"):
        extopt.minimize(lambda x: x**2, jnp.ones(3))


def test_mixed_frameworks_in_x0_are_refused(jnp):
    torch = pytest.importorskip("torch")
    with pytest.raises(extopt.InputError, match="mixes leaves of several frameworks"):
        extopt.minimize(lambda p: 0.0, {"a": jnp.ones(2), "b": torch.ones(2)})


def test_user_exceptions_propagate_unchanged():
    class Boom(Exception):
        pass

    def loss(x):
        if x[0] < 0.5:
            raise Boom("inside the user's loss")
        return quad(x)

    with pytest.raises(Boom, match="inside the user's loss"):
        extopt.minimize(loss, X0, jac=quad_grad)


def test_a_framework_value_from_a_numpy_inferred_problem_names_the_backend_to_pass():
    jnp = pytest.importorskip("jax.numpy")
    with pytest.raises(extopt.InputError, match=r"jax value: pass backend='jax'"):
        extopt.minimize(
            lambda p: p @ p, np.zeros(2), jac="2-point", equalities=lambda p: jnp.sum(p) - 1.0
        )


def test_extopt_minimize_takes_what_an_extopt_loss_carries():
    jnp = pytest.importorskip("jax.numpy")
    loss = extopt.Loss(
        lambda p, c: jnp.sum((p - c) ** 2),
        args=(2.0,),
        backend="jax",
        equalities=lambda p, c: jnp.sum(p) - c,
    )
    res = extopt.minimize(loss, np.zeros(2), method="SLSQP")  # NumPy x0, JAX loss
    assert res.backend == "jax"
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-6)  # on the line sum(p) = 2
    with pytest.raises(extopt.InputError, match="backend is given both"):
        extopt.minimize(loss, np.zeros(2), backend="numpy")


def test_warnings_point_at_the_users_line():
    """However deep inside extopt a warning is made, it names the caller's line."""

    def loss(p):
        return np.sum((p - 1.0) ** 2)

    with pytest.warns(extopt.ExtoptWarning, match="finite differences") as record:
        extopt.minimize(loss, np.zeros(2), method="BFGS")
    assert record[0].filename == __file__
    with pytest.warns(extopt.ExtoptWarning, match="outside the bounds") as record:
        extopt.minimize(loss, np.full(2, 3.0), jac="2-point", bounds=(0, 2))
    assert record[0].filename == __file__
    pytest.importorskip("nlopt")
    with pytest.warns(extopt.ExtoptWarning, match=r"jac='2-point' \(extopt.minimize\)") as record:
        extopt.NLoptLBFGS().minimize(loss, np.zeros(2))
    assert record[0].filename == __file__


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"jac": lambda x: 2 * (x - 1.0), "method": "Nelder-Mead"},
            r"Nelder-Mead does not use gradient",
        ),
        (
            {"hess": so.BFGS(), "method": "L-BFGS-B"},
            r"L-BFGS-B does not use Hessian information \(hess\)",
        ),
        ({"hess": lambda x: 2 * np.eye(2), "method": "BFGS"}, r"BFGS does not use Hessian"),
        ({"hessp": lambda x, p: 2 * p, "method": "CG"}, r"CG does not use Hessian-vector"),
        (
            {"hessp": lambda x, p: 2 * p, "method": "dogleg", "hess": lambda x: 2 * np.eye(2)},
            r"dogleg does not use Hessian-vector",
        ),
    ],
)
def test_a_derivative_the_method_does_not_use_is_scipys_warning_not_an_error(kwargs, message):
    """As scipy.optimize.minimize: RuntimeWarning, and the same answer."""
    kwargs = {"jac": lambda x: 2 * (x - 1.0), **kwargs}
    with pytest.warns(RuntimeWarning, match=message):
        res = extopt.minimize(lambda x: np.sum((x - 1.0) ** 2), np.zeros(2), **kwargs)
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-3)


def test_keep_feasible_of_a_general_constraint_is_scipys_warning():
    """SciPy's SLSQP ignores it with an OptimizeWarning; so does extopt (it changes
    the path, not the answer), and the warning is both an OptimizeWarning and an
    ExtoptWarning."""
    con = so.LinearConstraint(np.ones((1, 2)), 0, 1, keep_feasible=True)
    with pytest.warns(so.OptimizeWarning, match="keep_feasible") as seen:
        res = extopt.minimize(
            lambda x: np.sum((x - 1.0) ** 2),
            np.zeros(2),
            jac=lambda x: 2 * (x - 1),
            constraints=[con],
        )
    assert any(issubclass(w.category, extopt.ExtoptWarning) for w in seen)
    ref = so.minimize(lambda x: np.sum((x - 1.0) ** 2), np.zeros(2), constraints=[con])
    np.testing.assert_allclose(res.x, ref.x, atol=1e-6)
