"""The three examples of TensorFlow 1's ScipyOptimizerInterface, with JAX.

1. Make a vector's norm as small as possible: [7, 7] -> [0, 0].
2. The same with bounds: vector >= [1, 2] -> [1, 2].
3. With an equality (y == 1) and an inequality (x >= 1) -> [1, 1].
"""

import jax.numpy as jnp
import numpy as np

import extopt


def loss(vector):
    return jnp.sum(jnp.square(vector))


start = jnp.array([7.0, 7.0])

# 1. Unconstrained: L-BFGS-B by default.
res = extopt.minimize(loss, start, options={"maxiter": 100})
print("norm:       ", res.x)
np.testing.assert_allclose(res.x, [0.0, 0.0], atol=1e-6)

# 2. Bounds: each side None, a scalar, an array or a tree shaped like the parameters.
res = extopt.minimize(loss, start, bounds=([1.0, 2.0], np.inf))
print("bounds:     ", res.x)
np.testing.assert_allclose(res.x, [1.0, 2.0], atol=1e-6)

# 3. General constraints: L-BFGS-B cannot take them, so SLSQP (also the default then).
res = extopt.minimize(
    loss,
    start,
    equalities=[lambda v: v[1] - 1.0],
    inequalities=[lambda v: v[0] - 1.0],
    method="SLSQP",
)
print("constraints:", res.x)
np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-6)
print(res)
