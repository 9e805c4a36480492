"""Text and HTML views of results (kept apart from the data, as iminuit does)."""

from __future__ import annotations

import html
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


def _summary_rows(res: Any) -> list[tuple[str, str]]:
    get = res.get
    rows = [("method", f"{get('method', '?')} ({get('backend', '?')} backend)")]
    if get("valid") is not None and get("edm") is not None:
        rows.append(
            (
                "valid",
                f"{get('valid')}   converged {get('converged')}   "
                f"at limit {get('params_at_limit')}",
            )
        )
        rows.append(("fmin / edm", f"{_num(get('fmin'))} / {_num(get('edm'))}"))
    else:
        rows.append(("success", f"{get('success')} (status {get('status')})"))
        rows.append(("fun", _num(get("fun"))))
    rows.append(("message", str(get("message", ""))))
    if get("optimality") is not None:
        rows.append(("optimality", _num(get("optimality"))))
    if get("constr_violation") is not None and (
        get("multipliers") is not None or get("bound_multipliers") is not None
    ):
        rows.append(("constr_violation", _num(get("constr_violation"))))
    rows.append(
        ("nit/nfev/njev/nhev", " / ".join(_num(get(k)) for k in ("nit", "nfev", "njev", "nhev")))
    )
    if get("execution_time") is not None:
        rows.append(("execution_time", f"{get('execution_time'):.4g} s"))
    return rows


def _param_rows(res: Any, limit: int) -> list[list[str]]:
    """The parameter table's rows; none when there are more than `limit`
    parameters (the entries are made on demand, a million of them is no table)."""
    params = res.get("params") or {}
    if len(params) > limit:
        return []
    rows = []
    for name, entry in params.items():
        hesse = (entry.get("hesse") or {}).get("error")
        errors = entry.get("errors") or {}
        rows.append(
            [
                name,
                f"{entry['value']:.6g}",
                "" if hesse is None else f"+/- {hesse:.3g}",
                "" if not errors else f"{errors['lower']:+.3g} {errors['upper']:+.3g}",
            ]
        )
    return rows


def result_text(res: Any) -> str:
    rows = _summary_rows(res)
    params = _param_rows(res, 20)
    if not params:
        rows.append(("x", _short(res.get("x"))))
    mult = res.get("multipliers")
    if mult is not None:
        for kind in ("eq", "ineq", "constraints"):
            for i, value in enumerate(mult.get(kind, [])):
                rows.append((f"multipliers {kind}[{i}]", _short(value)))
    width = max(len(k) for k, _ in rows)
    indent = "\n" + " " * (width + 4)
    body = "\n".join(f"  {k.ljust(width)}  {v.replace(chr(10), indent)}" for k, v in rows)
    text = f"FitResult\n{body}"
    if params:
        header = ["name", "value", "hesse", "errors"]
        widths = [max(len(r[i]) for r in [header, *params]) for i in range(4)]
        lines = [
            "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
            for r in [header, *params]
        ]
        text += "\n\n  " + "\n  ".join(lines)
    return text


def result_html(res: Any) -> str:
    """An HTML table for Jupyter."""
    esc = html.escape
    summary = "".join(
        f"<tr><th style='text-align:left'>{esc(k)}</th><td>{esc(v)}</td></tr>"
        for k, v in _summary_rows(res)
    )
    params = _param_rows(res, 200)
    table = ""
    if params:
        head = "".join(f"<th>{h}</th>" for h in ("name", "value", "hesse", "errors"))
        body = "".join(
            "<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in params
        )
        table = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    return f"<div><strong>FitResult</strong><table>{summary}</table>{table}</div>"
