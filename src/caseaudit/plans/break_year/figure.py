"""``break_plan.png``: the year's breaks by month and service, with the monthly cap.

matplotlib is imported here, inside the function, and only ``plan-breaks`` calls it: no
other command pays for the import. The figure is drawn on the Agg canvas directly (no
pyplot, so a notebook's own backend is left alone) and saved without the version stamp,
so the same plan gives the same bytes.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd


def break_plan_png(months: pd.DataFrame, services: list[str]) -> bytes:
    """A heatmap of ``break_plan_months`` (a row per service, a column per month, each
    cell labelled with its count) above the month's total breaks as bars (grey: past
    months), the monthly cap drawn as a red step line."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labels = list(months["month"])
    counts = np.array([[int(v) for v in months[s]] for s in services], dtype=float).reshape(
        len(services), len(labels)
    )
    figure = Figure(figsize=(max(6.0, 0.7 * len(labels) + 3), 2.2 + 0.45 * len(services) + 2.2))
    FigureCanvasAgg(figure)
    heat, bars = figure.subplots(
        2, 1, sharex=True, gridspec_kw={"height_ratios": [max(len(services), 1), 3]}
    )
    heat.imshow(counts, aspect="auto", cmap="Blues", vmin=0)
    heat.set_yticks(range(len(services)), services)
    heat.set_title("Audit breaks by month and service")
    top = counts.max(initial=0)
    for row in range(counts.shape[0]):
        for column in range(counts.shape[1]):
            value = int(counts[row, column])
            colour = "white" if top and value > top / 2 else "black"
            heat.text(column, row, str(value), ha="center", va="center", color=colour, fontsize=8)
    positions = np.arange(len(labels))
    past = months["past"].to_numpy(dtype=bool)
    bars.bar(positions, months["breaks"].astype(int), color=np.where(past, "#bbbbbb", "#3b75af"))
    bars.step(
        np.append(positions, positions[-1] + 1) - 0.5 if len(labels) else positions,
        np.append(months["cap"].astype(int), months["cap"].astype(int).iloc[-1])
        if len(labels)
        else positions,
        where="post",
        color="#c0392b",
        label="monthly cap",
    )
    top_bar = max([1, *(int(v) for v in months["breaks"]), *(int(v) for v in months["cap"])])
    bars.set_ylim(0, top_bar * 1.15)
    bars.set_ylabel("breaks")
    bars.set_xticks(positions, labels, rotation=45, ha="right")
    bars.legend(loc="lower right", fontsize=8)
    # Fixed margins (the longest service name sets the left one): one draw, at saving.
    longest = max((len(s) for s in services), default=8)
    figure.subplots_adjust(left=min(0.08 + 0.0085 * longest, 0.4), right=0.98, bottom=0.14)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return buffer.getvalue()
