"""The exceptions and warnings extopt raises.

Every message names the argument, what was given and what is accepted, so a
user reading it never has to open extopt (or SciPy, or a framework) to find out
what went wrong.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "BackendError",
    "ExtoptError",
    "ExtoptWarning",
    "InputError",
    "MethodError",
    "ShapeError",
]


class ExtoptError(Exception):
    """Base class of every error extopt raises on purpose."""


class InputError(ExtoptError, ValueError, TypeError):
    """An argument has a value, type or structure extopt cannot use.

    It derives from both `ValueError` and `TypeError`, so code written against
    SciPy's errors keeps catching it.
    """


class ShapeError(InputError):
    """Shapes that do not fit together (bounds that do not broadcast, ...)."""


class MethodError(InputError):
    """The chosen method cannot take what was given (bounds, constraints,
    derivatives, options)."""


class BackendError(ExtoptError, ImportError):
    """A backend is unknown, cannot be imported or cannot handle the input."""


class ExtoptWarning(UserWarning):
    """Something extopt did on the user's behalf that they should know about."""


def _optimize_warning() -> type[Warning]:
    from scipy.optimize import OptimizeWarning

    return OptimizeWarning


class ScipyWarning(ExtoptWarning, _optimize_warning()):  # type: ignore[misc]
    """What SciPy warns about as an `OptimizeWarning` (an ignored constraint
    option, a start outside the bounds), in extopt's words: both classes, so
    filters written for either catch it."""


def warn(message: str, category: type[Warning] = ExtoptWarning) -> None:
    """Warn at the user's line: the first frame outside the extopt package,
    however deep inside extopt the warning is made."""
    import os
    import sys
    import warnings

    package = os.path.dirname(os.path.abspath(__file__)) + os.sep
    frame, level = sys._getframe(1), 2
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


def describe(value: object, limit: int = 80) -> str:
    """A short description of `value` for an error message."""
    text = repr(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    kind = type(value).__name__
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"{kind} of shape {tuple(value.shape)} and dtype {value.dtype}"
    return f"{text} ({kind})"


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """' Did you mean 'x'?' when a close match exists, else ''."""
    matches = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    if not matches:
        lowered = {c.lower(): c for c in choices}
        if name.lower() in lowered:
            matches = [lowered[name.lower()]]
    return f" Did you mean {matches[0]!r}?" if matches else ""
