"""Text views of results (kept apart from the data, as iminuit does)."""

from __future__ import annotations

from typing import Any

import numpy as np


def _short(value: Any, width: int = 68) -> str:
    with np.printoptions(precision=6, threshold=12, edgeitems=3, linewidth=width):
        text = repr(value) if not isinstance(value, np.ndarray) else np.array2string(value)
    lines = text.splitlines()
    if len(lines) > 4:
        lines = [*lines[:3], "..."]
    return "\n".join(lines)


def _num(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float | np.floating):
        return f"{value:.6g}"
    return str(value)


def result_text(res: Any) -> str:
    get = res.get
    rows = [
        ("method", f"{get('method', '?')} ({get('backend', '?')} backend)"),
        ("success", f"{get('success')} (status {get('status')})"),
        ("message", str(get("message", ""))),
        ("fun", _num(get("fun"))),
    ]
    if get("optimality") is not None:
        rows.append(("optimality", _num(get("optimality"))))
    if get("constr_violation") is not None and (
        get("multipliers") is not None or get("bound_multipliers") is not None
    ):
        rows.append(("constr_violation", _num(get("constr_violation"))))
    rows.append(
        (
            "nit/nfev/njev/nhev",
            " / ".join(_num(get(k)) for k in ("nit", "nfev", "njev", "nhev")),
        )
    )
    if get("execution_time") is not None:
        rows.append(("execution_time", f"{get('execution_time'):.4g} s"))
    rows.append(("x", _short(get("x"))))
    mult = get("multipliers")
    if mult is not None:
        for kind in ("eq", "ineq", "constraints"):
            for i, value in enumerate(mult.get(kind, [])):
                rows.append((f"multipliers {kind}[{i}]", _short(value)))
    width = max(len(k) for k, _ in rows)
    indent = "\n" + " " * (width + 4)
    body = "\n".join(f"  {k.ljust(width)}  {v.replace(chr(10), indent)}" for k, v in rows)
    return f"FitResult\n{body}"
