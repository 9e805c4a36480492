"""Bad input to the stateful-variable interfaces: clear extopt errors that name
the argument, and variables left exactly as they were."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize as so

import extopt


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


@pytest.fixture
def tf():
    return pytest.importorskip("tensorflow")


def test_torch_var_list_errors(torch):
    from extopt.torch import ScipyOptimizerInterface

    w = torch.zeros(2, requires_grad=True)

    def loss():
        return torch.sum(w**2)

    with pytest.raises(extopt.InputError, match="var_list is required with PyTorch"):
        ScipyOptimizerInterface(loss)
    with pytest.raises(extopt.InputError, match=r"var_list\[0\] has dtype torch.int64"):
        ScipyOptimizerInterface(loss, [torch.zeros(2, dtype=torch.int64)])
    with pytest.raises(
        extopt.InputError,
        match=r"var_list\[0\] must be a leaf tensor with "
        r"requires_grad=True",
    ):
        ScipyOptimizerInterface(loss, [torch.zeros(2)])
    with pytest.raises(extopt.InputError, match=r"var_list\[1\] appears twice"):
        ScipyOptimizerInterface(loss, [w, w])
    with pytest.raises(extopt.InputError, match=r"var_list\[0\] must be a torch tensor"):
        ScipyOptimizerInterface(loss, [np.zeros(2)])
    with pytest.raises(extopt.InputError, match="loss must be a zero-argument callable"):
        ScipyOptimizerInterface(torch.sum(w**2), [w])
    with pytest.raises(extopt.InputError, match=r"equalities\[0\] must be a zero-argument"):
        ScipyOptimizerInterface(loss, [w], equalities=[w[0]])


def test_torch_module_parameters_have_names_for_bounds(torch):
    from extopt.torch import ScipyOptimizerInterface

    model = torch.nn.Linear(2, 1).double()
    x = torch.tensor([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]], dtype=torch.float64)
    y = torch.tensor([[1.0], [2.0], [0.0]], dtype=torch.float64)
    with torch.no_grad():
        model.bias.fill_(0.5)  # start inside the bounds: no warning
    opt = ScipyOptimizerInterface(
        lambda: torch.sum((model(x) - y) ** 2), model, var_to_bounds={"bias": (0.5, 0.5)}
    )
    result = opt.minimize()
    assert abs(model.bias.item() - 0.5) < 1e-12
    assert result.success
    with pytest.raises(
        extopt.InputError,
        match=r"var_to_bounds has the key 'biass'.*"
        r"\['weight', 'bias'\]",
    ):
        ScipyOptimizerInterface(lambda: torch.sum(model(x)), model, var_to_bounds={"biass": (0, 1)})


def test_var_to_bounds_errors_name_the_variable(torch):
    from extopt.torch import ScipyOptimizerInterface

    w = torch.zeros((2, 3), requires_grad=True)
    v = torch.zeros(2, requires_grad=True)

    def loss():
        return torch.sum(w**2) + torch.sum(v**2)

    with pytest.raises(
        extopt.ShapeError,
        match=r"upper bound of var_list\[0\] has shape "
        r"\(2,\).*var_list\[0\], \(2, 3\)",
    ):
        ScipyOptimizerInterface(loss, [w, v], var_to_bounds={w: (None, [1, 2])})
    with pytest.raises(extopt.InputError, match="must be a pair"):
        ScipyOptimizerInterface(loss, [w, v], var_to_bounds={w: 1.0})
    with pytest.raises(extopt.InputError, match="index 5; var_list has 2"):
        ScipyOptimizerInterface(loss, [w, v], var_to_bounds={5: (0, 1)})
    with pytest.raises(extopt.InputError, match="var_to_bounds must be a dict"):
        ScipyOptimizerInterface(loss, [w, v], var_to_bounds=(0, 1))
    with pytest.raises(
        extopt.InputError,
        match=r"unknown optimizer keyword argument\(s\) "
        r"\['x0'\]",
    ):
        ScipyOptimizerInterface(loss, [w, v], x0=np.zeros(8))
    with pytest.raises(extopt.MethodError, match="Did you mean 'SLSQP'"):
        ScipyOptimizerInterface(loss, [w, v], method="SLSQPP")
    # index keys and (variable, bounds) pairs work too
    opt = ScipyOptimizerInterface(
        lambda: torch.sum((w - 3) ** 2) + torch.sum((v + 3) ** 2),
        [w, v],
        var_to_bounds=[(w, (None, 1.0)), (1, (-1.0, None))],
    )
    opt.minimize()
    np.testing.assert_allclose(w.detach().numpy(), 1.0)
    np.testing.assert_allclose(v.detach().numpy(), -1.0)


def test_callbacks_must_be_callable_and_variables_stay(torch):
    from extopt.torch import ScipyOptimizerInterface

    w = torch.tensor([3.0, 4.0], requires_grad=True)
    opt = ScipyOptimizerInterface(lambda: torch.sum(w**2), [w])
    with pytest.raises(extopt.InputError, match="step_callback must be callable"):
        opt.minimize(step_callback=1)
    np.testing.assert_array_equal(w.detach().numpy(), [3.0, 4.0])


def test_tf2_errors(tf):
    from extopt.tensorflow import ScipyOptimizerInterface

    v = tf.Variable([1.0, 2.0], name="vec")
    with pytest.raises(extopt.InputError, match="eager tensor is already a number"):
        ScipyOptimizerInterface(tf.reduce_sum(v**2))
    with pytest.raises(extopt.InputError, match=r"var_list\[0\] must be a tf.Variable"):
        ScipyOptimizerInterface(lambda: tf.reduce_sum(v**2), [tf.constant([1.0])])
    with pytest.raises(extopt.InputError, match=r"var_list\[0\] \(Variable:0\) has dtype int32"):
        ScipyOptimizerInterface(lambda: tf.reduce_sum(v**2), [tf.Variable([1, 2])])
    with pytest.raises(extopt.InputError, match="the loss reads no trainable variable"):
        ScipyOptimizerInterface(lambda: tf.constant(1.0))
    opt = ScipyOptimizerInterface(lambda: tf.reduce_sum(v**2))
    with pytest.raises(extopt.InputError, match=r"\['session'\] apply to TensorFlow 1 graph"):
        opt.minimize(session=object())
    with pytest.raises(extopt.InputError, match=r"the loss must return a real scalar"):
        ScipyOptimizerInterface(lambda: v**2).minimize()
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])


def test_tf2_bounds_by_ref_name_and_index_and_keras_model(tf):
    from extopt.tensorflow import ScipyOptimizerInterface

    a = tf.Variable([5.0, 5.0], name="alpha")
    b = tf.Variable(5.0, name="beta")

    def loss():
        return tf.reduce_sum(a**2) + b**2

    for bounds in (
        {a.ref(): (1.0, None), "beta": (None, -1.0)},
        {0: (1.0, None), "beta:0": (None, -1.0)},
        [(a, (1.0, None)), (b, (None, -1.0))],
    ):
        a.assign([5.0, 5.0])
        b.assign(5.0)
        with pytest.warns(extopt.ExtoptWarning, match=r"var_list\[1\] \(beta:0\) = 5.0 is above"):
            ScipyOptimizerInterface(loss, [a, b], var_to_bounds=bounds).minimize()
        np.testing.assert_allclose(a.numpy(), [1.0, 1.0], atol=1e-6)
        np.testing.assert_allclose(b.numpy(), -1.0, atol=1e-6)

    module = tf.Module()
    module.w = tf.Variable([3.0, -3.0])
    result = ScipyOptimizerInterface(
        lambda: tf.reduce_sum((module.w - 1.0) ** 2), module
    ).minimize()
    np.testing.assert_allclose(module.w.numpy(), [1.0, 1.0], atol=1e-5)
    assert result.backend == "tensorflow"


def test_extension_point_wraps_a_new_algorithm_in_a_few_lines(torch):
    """A user's gradient descent with the seed's _minimize contract."""
    from extopt.torch import ExternalOptimizerInterface

    class GradientDescent(ExternalOptimizerInterface):
        def _minimize(
            self,
            initial_val,
            loss_grad_func,
            packed_bounds,
            step_callback,
            optimizer_kwargs,
            **unused,
        ):
            x = initial_val
            for _ in range(optimizer_kwargs.get("steps", 200)):
                _, g = loss_grad_func(x)
                x = x - optimizer_kwargs.get("rate", 0.1) * g
                if packed_bounds is not None:
                    x = np.clip(
                        x,
                        [lo if lo is not None else -np.inf for lo, _ in packed_bounds],
                        [hi if hi is not None else np.inf for _, hi in packed_bounds],
                    )
                step_callback(x)
            return x

    w = torch.tensor([1.5, -4.0], dtype=torch.float64, requires_grad=True)
    steps = []
    result = GradientDescent(
        lambda: torch.sum((w - 1.0) ** 2), [w], var_to_bounds={w: (None, [2.0, 0.5])}, rate=0.2
    ).minimize(step_callback=steps.append)
    np.testing.assert_allclose(w.detach().numpy(), [1.0, 0.5], atol=1e-8)
    assert len(steps) == 200 and result.method == "GradientDescent"
    _, z_upper = result.bound_multipliers
    np.testing.assert_allclose(z_upper[0].numpy(), [0.0, 1.0], atol=1e-8)  # d(w-1)^2 at 0.5
    assert result.optimality < 1e-8


def test_tf2_keras_model_as_var_list(tf):
    keras = pytest.importorskip("keras")
    from extopt.tensorflow import ScipyOptimizerInterface

    model = keras.Sequential([keras.layers.Dense(1, dtype="float64")])
    model.build((None, 2))
    # a fixed start: from some random ones SciPy's L-BFGS-B itself stops short
    # of the bound ("relative reduction of f"), the same with NumPy functions
    start = [np.array([[1.0], [-1.0]]), np.array([0.1])]
    model.set_weights(start)
    x = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5], [2.0, 2.0]])
    y = x @ np.array([[1.5], [-0.5]]) + 0.25
    bias_name = model.trainable_variables[1].path  # "sequential.../dense.../bias"
    opt = ScipyOptimizerInterface(
        lambda: tf.reduce_mean((model(x) - y) ** 2),
        model,
        var_to_bounds={bias_name: (None, 0.2)},
    )
    result = opt.minimize()
    kernel, bias = (v.numpy() for v in model.trainable_variables)

    # the truth: SciPy's L-BFGS-B on the NumPy loss and its hand-written gradient
    def loss(w):
        r = x @ w[:2] + w[2] - y[:, 0]
        return np.mean(r**2), np.concatenate([x.T @ r, [r.sum()]]) / 2

    truth = so.minimize(
        loss,
        np.array([1.0, -1.0, 0.1]),
        jac=True,
        method="L-BFGS-B",
        bounds=[(None, None), (None, None), (None, 0.2)],
    )
    assert truth.x[2] == pytest.approx(0.2)  # the bound is active
    np.testing.assert_allclose(np.concatenate([kernel.ravel(), bias]), truth.x, atol=1e-6)
    assert result.fun == pytest.approx(truth.fun, rel=1e-6) and kernel.shape == (2, 1)
