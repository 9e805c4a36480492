"""The benchmark problems, each written once per framework with the same
arithmetic, and in NumPy with hand-written derivatives (the floor)."""

from __future__ import annotations

import numpy as np

# -- extended Rosenbrock (More, Garbow, Hillstrom 1981, problem 21) --------------------------
# f(x) = sum_i 100 (x_{2i} - x_{2i-1}^2)^2 + (1 - x_{2i-1})^2, x0 = (-1.2, 1, ...), f* = 0


def rosen_x0(n: int) -> np.ndarray:
    x0 = np.ones(n)
    x0[0::2] = -1.2
    return x0


def rosen_np(x):
    a, b = x[0::2], x[1::2]
    return float(np.sum(100.0 * (b - a * a) ** 2 + (1.0 - a) ** 2))


def rosen_grad_np(x):
    a, b = x[0::2], x[1::2]
    g = np.empty_like(x)
    d = b - a * a
    g[0::2] = -400.0 * a * d - 2.0 * (1.0 - a)
    g[1::2] = 200.0 * d
    return g


def rosen_value_grad_np(x):
    a, b = x[0::2], x[1::2]
    d = b - a * a
    g = np.empty_like(x)
    g[0::2] = -400.0 * a * d - 2.0 * (1.0 - a)
    g[1::2] = 200.0 * d
    return float(np.sum(100.0 * d * d + (1.0 - a) ** 2)), g


def rosen_hessp_np(x, p):
    a, b = x[0::2], x[1::2]
    pa, pb = p[0::2], p[1::2]
    out = np.empty_like(x)
    out[0::2] = (1200.0 * a * a - 400.0 * b + 2.0) * pa - 400.0 * a * pb
    out[1::2] = -400.0 * a * pa + 200.0 * pb
    return out


def rosen_jax(x):
    import jax.numpy as jnp

    a, b = x[0::2], x[1::2]
    return jnp.sum(100.0 * (b - a * a) ** 2 + (1.0 - a) ** 2)


def rosen_torch(x):
    import torch

    a, b = x[0::2], x[1::2]
    return torch.sum(100.0 * (b - a * a) ** 2 + (1.0 - a) ** 2)


def rosen_tf(x):
    import tensorflow as tf

    a, b = x[0::2], x[1::2]
    return tf.reduce_sum(100.0 * (b - a * a) ** 2 + (1.0 - a) ** 2)


ROSEN = {"numpy": rosen_np, "jax": rosen_jax, "torch": rosen_torch, "tensorflow": rosen_tf}


def leaves_of(x: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """x cut into k leaves of equal (even) size, keys sorted like the flat order."""
    size = x.size // k
    return {f"p{i:02d}": x[i * size : (i + 1) * size].copy() for i in range(k)}


def rosen_tree(framework: str):
    f = ROSEN[framework]

    def loss(tree):
        total = 0.0
        for key in sorted(tree):
            total = total + f(tree[key])
        return total

    return loss


# -- logistic regression (10_000 samples, 50 features, L2) -------------------------------


def logistic_data(samples: int = 10_000, features: int = 50, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(samples, features))
    w = rng.normal(size=features) / np.sqrt(features)
    y = np.where(rng.random(samples) < 1 / (1 + np.exp(-(X @ w))), 1.0, -1.0)
    return X, y


def logistic_np(data):
    X, y = data
    lam = 1e-3

    def value_grad(w):
        z = y * (X @ w)
        loss = np.mean(np.logaddexp(0.0, -z)) + lam * w @ w
        s = -y / (1.0 + np.exp(z))
        return float(loss), X.T @ s / y.size + 2 * lam * w

    return value_grad


def logistic(framework: str, data):
    X, y = data
    lam = 1e-3
    if framework == "jax":
        import jax.numpy as jnp

        return lambda w: jnp.mean(jnp.logaddexp(0.0, -y * (X @ w))) + lam * w @ w
    if framework == "torch":
        import torch

        Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
        return lambda w: torch.mean(torch.nn.functional.softplus(-yt * (Xt @ w))) + lam * w @ w
    import tensorflow as tf

    Xt, yt = tf.constant(X), tf.constant(y)
    return lambda w: (
        tf.reduce_mean(tf.math.softplus(-yt * tf.linalg.matvec(Xt, w))) + lam * tf.reduce_sum(w * w)
    )


# -- a constrained problem with vector constraints ---------------------------------------
# min sum (x - t)^2 + sum x^4 / 4  s.t.  A x = b (5 rows),  1 - x_i^2 >= 0 (n rows)


def constrained_data(n: int = 50, m: int = 5, seed: int = 1):
    rng = np.random.default_rng(seed)
    t = rng.normal(0.0, 1.5, size=n)
    A = rng.normal(size=(m, n))
    b = A @ rng.uniform(-0.5, 0.5, size=n)
    return t, A, b


def constrained(framework: str, data):
    t, A, b = data
    if framework == "jax":
        import jax.numpy as xp

        sum_ = xp.sum
    elif framework == "torch":
        import torch as xp

        t, A, b = (xp.from_numpy(v) for v in (t, A, b))
        sum_ = xp.sum
    else:
        import tensorflow as xp

        t, A, b = (xp.constant(v) for v in (t, A, b))
        sum_ = xp.reduce_sum

    def loss(x):
        return sum_((x - t) ** 2) + sum_(x**4) / 4

    def eq(x):
        return (A @ x[:, None])[:, 0] - b

    def ineq(x):
        return 1.0 - x**2

    return loss, eq, ineq
