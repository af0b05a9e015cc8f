"""The figures table: one row per figure with its value, the baseline measured in the same run, and the ratio."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Row:
    figure: str
    value: str
    baseline: str = "—"
    ratio: str = "—"
    target: str = "reported"
    met: bool | None = None  # None: reported only, no target

    @property
    def verdict(self) -> str:
        return "—" if self.met is None else ("met" if self.met else "NOT met")


def failed_row(figure: str, target: str, reason: str) -> Row:
    """A figure that could not be measured: never met."""
    return Row(figure, f"not measured: {reason}", target=target, met=False)


def ratio(value: float | None, baseline: float | None) -> float | None:
    if value is None or not baseline:
        return None
    return value / baseline


def fmt_ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}×"


def fmt_rate(value: float | None, unit: str) -> str:
    return "n/a" if value is None else f"{value:,.0f} {unit}"


def render(rows: list[Row]) -> str:
    """A Markdown table (reads as plain text too)."""
    header = ["figure", "value", "baseline", "ratio", "target", "met"]
    cells = [header] + [[r.figure, r.value, r.baseline, r.ratio, r.target, r.verdict] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: list[str]) -> str:
        return "| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) + " |"

    separator = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), separator] + [line(row) for row in cells[1:]])
