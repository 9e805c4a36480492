"""extopt: minimize a loss written in any differentiable framework with
optimization algorithms that live outside it, with exact derivatives.

    >>> import extopt
    >>> res = extopt.minimize(lambda p: (p["a"] - 1.0) ** 2 + p["b"] ** 2,
    ...                       {"a": 0.0, "b": 3.0})
    >>> round(res.x["a"], 6), round(res.x["b"], 6)
    (1.0, 0.0)

No framework is imported until a backend that needs it is used.
"""

from __future__ import annotations

from ._errors import BackendError, ExtoptError, ExtoptWarning, InputError, MethodError, ShapeError
from ._evaluator import Evaluation, EvaluationLimit
from ._external import Capabilities, Outcome, Task
from ._ipopt import Ipopt
from ._methods import METHODS, method_names
from ._minimize import minimize
from ._minimizers import (
    ALIASES,
    EDM,
    MINIMIZERS,
    BaseMinimizer,
    ConvergenceCriterion,
    LossEval,
    Scipy,
)
from ._minuit import Minuit
from ._nlopt import (
    NLopt,
    NLoptAUGLAG,
    NLoptBOBYQA,
    NLoptCCSAQ,
    NLoptCOBYLA,
    NLoptDIRECT,
    NLoptESCH,
    NLoptISRES,
    NLoptLBFGS,
    NLoptMMA,
    NLoptNelderMead,
    NLoptSLSQP,
    NLoptSubplex,
    NLoptTruncNewton,
    NLoptVarMetric,
)
from ._params import Loss
from ._result import FitResult
from ._strategy import FailFastStrategy, NaNError, PushbackStrategy, Strategy, ToyStrategy
from ._verdict import CONDITIONS as VERDICT_CONDITIONS
from ._verdict import Check, Verdict
from .backends import available_backends, get_backend

globals().update(MINIMIZERS)
globals().update(ALIASES)

__version__ = "0.1.0"

__all__ = [
    "METHODS",
    "VERDICT_CONDITIONS",
    "BackendError",
    "BaseMinimizer",
    "Capabilities",
    "Check",
    "ConvergenceCriterion",
    "EDM",
    "Evaluation",
    "EvaluationLimit",
    "ExtoptError",
    "ExtoptWarning",
    "FailFastStrategy",
    "FitResult",
    "InputError",
    "Ipopt",
    "Loss",
    "LossEval",
    "MethodError",
    "NLopt",
    "NLoptAUGLAG",
    "NLoptBOBYQA",
    "NLoptCCSAQ",
    "NLoptCOBYLA",
    "NLoptDIRECT",
    "NLoptESCH",
    "NLoptISRES",
    "NLoptLBFGS",
    "NLoptMMA",
    "NLoptNelderMead",
    "NLoptSLSQP",
    "NLoptSubplex",
    "NLoptTruncNewton",
    "NLoptVarMetric",
    "Minuit",
    "NaNError",
    "Outcome",
    "PushbackStrategy",
    "Scipy",
    "ShapeError",
    "Strategy",
    "Task",
    "ToyStrategy",
    "Verdict",
    "__version__",
    "available_backends",
    "get_backend",
    "method_names",
    "minimize",
    *MINIMIZERS,
    *ALIASES,
]
