"""One small kit per framework, so that the seed's acceptance cases are written
once and run on PyTorch, TensorFlow 2 (eager) and TensorFlow 1 (graph mode)."""

from __future__ import annotations

import contextlib

import numpy as np


class TorchKit:
    name = "torch"

    def __init__(self):
        import torch

        import extopt.torch as interface

        self.torch = torch
        self.Scipy = interface.ScipyOptimizerInterface
        self.External = interface.ExternalOptimizerInterface

    def variable(self, value, dtype="float64", name=None):
        torch = self.torch
        return torch.tensor(np.asarray(value), dtype=getattr(torch, dtype), requires_grad=True)

    def lazy(self, f):
        return f  # losses and constraints are zero-argument callables

    def const(self, value, dtype="float64"):
        return self.torch.tensor(np.asarray(value), dtype=getattr(self.torch, dtype))

    def sum(self, x):
        return self.torch.sum(x)

    def f64(self, x):
        return x.to(self.torch.float64)

    def reshape(self, x, shape):
        return self.torch.reshape(x, shape)

    def read(self, var):
        return var.detach().cpu().numpy()

    def var_list(self, variables):
        return list(variables)

    def key(self, var):
        return var

    def minimize(self, opt, **kwargs):
        return opt.minimize(**kwargs)

    def session(self):
        return contextlib.nullcontext()


class TF2Kit:
    name = "tf2"

    def __init__(self):
        import tensorflow as tf

        import extopt.tensorflow as interface

        self.tf = tf
        self.Scipy = interface.ScipyOptimizerInterface
        self.External = interface.ExternalOptimizerInterface

    def variable(self, value, dtype="float64", name=None):
        return self.tf.Variable(np.asarray(value), dtype=getattr(self.tf, dtype), name=name)

    def lazy(self, f):
        return f

    def const(self, value, dtype="float64"):
        return self.tf.constant(np.asarray(value), dtype=getattr(self.tf, dtype))

    def sum(self, x):
        return self.tf.reduce_sum(x)

    def f64(self, x):
        return self.tf.cast(x, self.tf.float64)

    def reshape(self, x, shape):
        return self.tf.reshape(x, shape)

    def read(self, var):
        return var.numpy()

    def var_list(self, variables):
        return None  # every trainable variable the loss reads

    def key(self, var):
        return var.ref()

    def minimize(self, opt, **kwargs):
        return opt.minimize(**kwargs)

    def session(self):
        return contextlib.nullcontext()


class TF1Kit:
    """Graph mode; only usable in a process where eager execution is off."""

    name = "tf1"

    def __init__(self):
        import tensorflow as tf

        import extopt.tensorflow as interface

        self.tf = tf
        self.v1 = tf.compat.v1
        self.Scipy = interface.ScipyOptimizerInterface
        self.External = interface.ExternalOptimizerInterface
        self._session = None

    @contextlib.contextmanager
    def session(self):
        graph = self.tf.Graph()
        with graph.as_default(), self.v1.Session(graph=graph) as session:
            self._session = session
            yield session
        self._session = None

    def variable(self, value, dtype="float64", name=None):
        return self.v1.Variable(np.asarray(value), dtype=getattr(self.tf, dtype), name=name)

    def lazy(self, f):
        return f()  # losses and constraints are tensors

    def const(self, value, dtype="float64"):
        return self.tf.constant(np.asarray(value), dtype=getattr(self.tf, dtype))

    def sum(self, x):
        return self.tf.reduce_sum(x)

    def f64(self, x):
        return self.tf.cast(x, self.tf.float64)

    def reshape(self, x, shape):
        return self.tf.reshape(x, shape)

    def read(self, var):
        return self._session.run(var)

    def var_list(self, variables):
        return None  # the graph's trainable variables, in creation order

    def key(self, var):
        return var

    def minimize(self, opt, **kwargs):
        session = self._session
        names = {n.decode() for n in session.run(self.v1.report_uninitialized_variables())}
        fresh = [v for v in self.v1.global_variables() if v.op.name in names]
        session.run(self.v1.variables_initializer(fresh))
        return opt.minimize(session, **kwargs)
