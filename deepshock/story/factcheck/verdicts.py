"""The fact-check's verdict scale and its rule for a number against a claim (no data, no
files): confirmed within half the claim's last digit, approximately within a tolerance that is
a share of the claim's size, else wrong; and whether a claim over- or understates."""

from __future__ import annotations

VERDICTS = ("confirmed", "approximately", "consistent", "not supported", "wrong")
# A verdict is a shape (colour stays for the direction of a move: orange fell, blue rose).
SHAPES = {"confirmed": "circle", "approximately": "diamond", "consistent": "square",
          "not supported": "cross", "wrong": "triangle-down"}

def direction(claimed: float, measured: float) -> str:
    """'overstates' when the claim's size exceeds the measurement's, 'understates' when it is
    smaller, '' when equal (sizes, so a fall claimed too deep overstates it)."""
    if abs(claimed) > abs(measured):
        return "overstates"
    if abs(claimed) < abs(measured):
        return "understates"
    return ""


def judge_number(claimed: float, measured: float, precision: float, tol: float | None,
                 unit: str) -> tuple[str, str, str]:
    """(verdict, reason, flag): confirmed within half the claim's last digit; approximately
    within `tol` x |claimed|; else wrong. The flag says whether a claim off by more than its
    rounding overstates or understates the measurement. Differences are rounded to 1e-9 so a
    boundary case is decided by the rule, not by floating-point noise."""
    diff = round(abs(measured - claimed), 9)
    suffix = {"%": " pp", "$bn": "bn", "$m": "M"}.get(unit, "")
    if diff <= round(precision / 2, 9):
        return "confirmed", f"within the claim's rounding (±{precision / 2:g}{suffix})", ""
    flag = direction(claimed, measured)
    off = f"off by {diff:.3g}{suffix}, {flag} it"
    if tol is not None:
        limit = round(tol * abs(claimed), 9)
        if diff <= limit:
            return ("approximately", f"{off}; tolerance ±{limit:.3g}{suffix} "
                    f"({tol:.0%} of the claim)", flag)
        return "wrong", f"{off}, beyond ±{limit:.3g}{suffix} ({tol:.0%} of the claim)", flag
    return "wrong", f"{off}, no tolerance stated", flag
