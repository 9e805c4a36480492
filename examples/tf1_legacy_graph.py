"""Legacy TensorFlow 1 code written for tf.contrib.opt.ScipyOptimizerInterface.

The only change from the original program is the import line:

    from tensorflow.contrib.opt import ScipyOptimizerInterface      # before
    from extopt.tensorflow import ScipyOptimizerInterface            # after

(run in a process of its own: graph mode is process-wide in TensorFlow 2).
"""

import numpy as np
import tensorflow.compat.v1 as tf

from extopt.tensorflow import ScipyOptimizerInterface

tf.disable_v2_behavior()

vector = tf.Variable([7.0, 7.0], name="vector")

# Make vector norm as small as possible.
loss = tf.reduce_sum(tf.square(vector))

optimizer = ScipyOptimizerInterface(loss, options={"maxiter": 100})

with tf.Session() as session:
    session.run(tf.global_variables_initializer())
    optimizer.minimize(session)
    print("norm:       ", session.run(vector))
    np.testing.assert_allclose(session.run(vector), [0.0, 0.0], atol=1e-5)

# Example with simple bound constraints.
optimizer = ScipyOptimizerInterface(loss, var_to_bounds={vector: ([1, 2], np.inf)})

with tf.Session() as session:
    session.run(tf.global_variables_initializer())
    optimizer.minimize(session)
    print("bounds:     ", session.run(vector))
    np.testing.assert_allclose(session.run(vector), [1.0, 2.0], atol=1e-5)

# Example with more complicated constraints.
# Ensure the vector's y component is = 1.
equalities = [vector[1] - 1.0]
# Ensure the vector's x component is >= 1.
inequalities = [vector[0] - 1.0]

# Our default SciPy optimization algorithm, L-BFGS-B, does not support
# general constraints. Thus we use SLSQP instead.
optimizer = ScipyOptimizerInterface(
    loss, equalities=equalities, inequalities=inequalities, method="SLSQP"
)

with tf.Session() as session:
    session.run(tf.global_variables_initializer())
    optimizer.minimize(session)
    print("constraints:", session.run(vector))
    np.testing.assert_allclose(session.run(vector), [1.0, 1.0], atol=1e-5)
