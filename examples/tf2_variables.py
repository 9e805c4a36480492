"""TensorFlow 2: the seed's three examples with tf.Variables and the
ScipyOptimizerInterface of extopt.tensorflow.

In eager mode the loss and the constraints are zero-argument callables; the
variable is updated in place and minimize returns a FitResult.
"""

import numpy as np
import tensorflow as tf

from extopt.tensorflow import ScipyOptimizerInterface

vector = tf.Variable([7.0, 7.0], name="vector")


def loss():
    return tf.reduce_sum(tf.square(vector))


# Make vector norm as small as possible.
result = ScipyOptimizerInterface(loss, options={"maxiter": 100}).minimize()
print("norm:       ", vector.numpy())
np.testing.assert_allclose(vector.numpy(), [0.0, 0.0], atol=1e-5)

# Bounds: TF 2 variables are not dictionary keys; use .ref() (or the name).
vector.assign([7.0, 7.0])
ScipyOptimizerInterface(loss, var_to_bounds={vector.ref(): ([1, 2], np.inf)}).minimize()
print("bounds:     ", vector.numpy())
np.testing.assert_allclose(vector.numpy(), [1.0, 2.0], atol=1e-5)

# General constraints: zero-argument callables too.
vector.assign([7.0, 7.0])
result = ScipyOptimizerInterface(
    loss,
    equalities=[lambda: vector[1] - 1.0],
    inequalities=[lambda: vector[0] - 1.0],
    method="SLSQP",
).minimize()
print("constraints:", vector.numpy())
np.testing.assert_allclose(vector.numpy(), [1.0, 1.0], atol=1e-5)
print(result)
