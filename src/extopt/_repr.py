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
    if get("verdict") is not None:
        reasons = get("reasons") or []
        rows.append(
            (
                "valid",
                f"{get('valid')}   converged {get('converged')}"
                + (f"   (failed: {', '.join(reasons)})" if reasons else ""),
            )
        )
        minimizer = get("minimizer")
        own = getattr(minimizer, "criterion", None) is not None  # a minimizer object's fit
        label = "fmin / edm" if own else "fun / edm"
        rows.append((label, f"{_num(get('fun'))} / {_num(get('edm'))}"))
        rows.append(("success", f"{get('success')} (status {get('status')}: the algorithm's word)"))
        rows.append(("verdict", "\n".join(_check_line(c) for c in get("verdict").checks)))
        rows.append(("covariance", _covariance_text(res)))
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


def _check_line(check: Any) -> str:
    return f"[{'x' if check.passed else ' '}] {check.name}: {check.text}"


def _covariance_text(res: Any) -> str:
    status = res.get("covariance_status")
    return "not computed yet (hesse())" if status is None else str(status)


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
                _errors_text(errors),
            ]
        )
    return rows


def _side_valid(errors: dict, side: str) -> bool:
    return bool(errors.get(f"{side}_valid", errors.get("is_valid", True)))


def _errors_text(errors: dict) -> str:
    if not errors:
        return ""
    bad = [side for side in ("lower", "upper") if not _side_valid(errors, side)]
    text = f"{errors['lower']:+.3g} {errors['upper']:+.3g}"
    return text + (f" ({' and '.join(bad)} not valid)" if bad else "")


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


#: iminuit's colours for a condition met, failed, or worth a look.
_GOOD, _BAD, _WARN = "#92CCA6", "#FF7878", "#FFF79A"


def _cell(text: str, colour: str | None = None) -> str:
    style = f" style='background-color:{colour}'" if colour else ""
    return f"<td{style}>{html.escape(text)}</td>"


def _verdict_html(res: Any) -> str:
    verdict = res.get("verdict")
    if verdict is None:
        return ""
    valid = bool(res.get("valid"))
    head = (
        "<tr>"
        + _cell("valid minimum" if valid else "not a valid minimum", _GOOD if valid else _BAD)
        + _cell(f"fmin {_num(res.get('fmin'))}, edm {_num(res.get('edm'))}")
        + "</tr>"
    )
    rows = "".join(
        "<tr>" + _cell(check.name, _GOOD if check.passed else _BAD) + _cell(check.text) + "</tr>"
        for check in verdict.checks
    )
    status = res.get("covariance_status")
    colour = None
    if status is not None:
        colour = _GOOD if str(status).startswith("accurate") else _WARN
        if str(status).startswith(("singular", "not positive")):
            colour = _BAD
    rows += "<tr>" + _cell("covariance", colour) + _cell(_covariance_text(res)) + "</tr>"
    return f"<table>{head}{rows}</table>"


def _errors_html(errors: dict) -> str:
    if not errors:
        return "<td></td>"
    parts = []
    for side in ("lower", "upper"):
        ok = _side_valid(errors, side)
        colour = _GOOD if ok else _BAD
        parts.append(
            f"<span style='background-color:{colour}'>{html.escape(f'{errors[side]:+.3g}')}</span>"
        )
    return "<td>" + " ".join(parts) + "</td>"


def result_html(res: Any) -> str:
    """An HTML view for Jupyter: the verdict condition by condition (green met,
    red failed, as iminuit shows a minimum), the summary, the parameters."""
    esc = html.escape
    summary = "".join(
        f"<tr><th style='text-align:left'>{esc(k)}</th><td>{esc(v)}</td></tr>"
        for k, v in _summary_rows(res)
        if k != "verdict"
    )
    params = res.get("params") or {}
    table = ""
    if params and len(params) <= 200:
        head = "".join(f"<th>{h}</th>" for h in ("name", "value", "hesse", "errors"))
        body = ""
        for name, entry in params.items():
            hesse = (entry.get("hesse") or {}).get("error")
            body += (
                "<tr>"
                + _cell(str(name))
                + _cell(f"{entry['value']:.6g}")
                + _cell("" if hesse is None else f"+/- {hesse:.3g}")
                + _errors_html(entry.get("errors") or {})
                + "</tr>"
            )
        table = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    return (
        f"<div><strong>FitResult</strong>{_verdict_html(res)}<table>{summary}</table>{table}</div>"
    )
