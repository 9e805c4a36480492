"""Verbosity: what a fit tells, through `logging` (logger "extopt").

0 says nothing; 1 to 5 a line when a fit starts and one when it ends; 6 to 9
also every iteration (a progress bar on a terminal when `tqdm` is installed);
10 also every evaluation of the loss. Messages go to the "extopt" logger at
INFO level, so applications route them as they like; when nothing is set up
to show them (no handler on "extopt" or the root logger), extopt shows them
on standard error for the duration of the fit.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from typing import Any

from ._errors import InputError, describe

logger = logging.getLogger("extopt")


def check_verbosity(verbosity: Any) -> int:
    if verbosity is None:
        return 0
    if isinstance(verbosity, bool) or not isinstance(verbosity, int) or not 0 <= verbosity <= 10:
        raise InputError(f"verbosity must be an integer from 0 to 10; got {describe(verbosity)}.")
    return verbosity


@contextlib.contextmanager
def shown(verbosity: int) -> Iterator[None]:
    """During a fit with verbosity > 0: emit the INFO messages of "extopt", and
    show them on standard error if logging is not set up at all."""
    if verbosity == 0:
        yield
        return
    level = logger.level
    handler = None
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("extopt: %(message)s"))
        logger.addHandler(handler)
    try:
        yield
    finally:
        if handler is not None:
            logger.removeHandler(handler)
        logger.setLevel(level)


class Progress:
    """Per-iteration output for verbosity 6-9: a tqdm bar on a terminal, log
    lines otherwise."""

    def __init__(self, verbosity: int, total: int | None, name: str):
        self.verbosity = verbosity
        self.bar = None
        if verbosity >= 6 and sys.stderr.isatty():
            try:
                from tqdm import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self.bar = tqdm(total=total, desc=name, unit="it", leave=False)

    def step(self, nit: int, fun: float, nfev: int) -> None:
        if self.verbosity < 6:
            return
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(fun=f"{fun:.6g}", nfev=nfev)
        else:
            logger.info("iteration %d: loss %.10g after %d evaluations", nit, fun, nfev)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
