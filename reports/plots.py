"""Draw a report's plot specs with matplotlib: inline SVG for the technical view, figures for the PDF.

Only the Figure API is used (no pyplot state), so it is safe in a web process and a worker alike. Text is drawn
as paths in SVG and with matplotlib's bundled DejaVu fonts in PDF: nothing is fetched, nothing depends on the
fonts of the machine that opens the file. A fixed hash salt and no date make the SVG the same on every render.
"""
import io
import re

import matplotlib

matplotlib.use("Agg")  # noqa: E402 - before anything imports pyplot; no display here

from matplotlib import rc_context  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

RC = {"svg.hashsalt": "vision-platform-report", "svg.fonttype": "path", "pdf.fonttype": 42,
      "font.family": "DejaVu Sans", "font.size": 9, "axes.grid": True, "grid.alpha": 0.3}
INTEGER_AXES = {"epoch", "generation", "batch size"}  # counted things: no 1.25 epochs on the axis
_XML_HEADER = re.compile(r"^.*?(?=<svg)", re.S)


def figure_for(spec: dict, *, size=(6.4, 3.6)) -> Figure:
    fig = Figure(figsize=size, layout="constrained")
    ax = fig.add_subplot()
    kind = spec["kind"]
    series = spec.get("series") or []
    if kind == "line":
        for s in series:
            ax.plot(s["x"], s["y"], marker="o" if len(s["x"]) < 30 else None, markersize=3, label=s["name"])
    elif kind == "scatter":
        for s in series:
            if s.get("connect"):
                ax.plot(s["x"], s["y"], marker="o", label=s["name"], linewidth=1.2)
            else:
                ax.scatter(s["x"], s["y"], label=s["name"], s=24, alpha=0.8)
            for x, y, label in zip(s["x"], s["y"], s.get("labels") or []):
                ax.annotate(label, (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
    elif kind == "bar":
        width = 0.8 / max(len(series), 1)
        categories = spec.get("categories") or []
        for index, s in enumerate(series):
            positions = [i + (index - (len(series) - 1) / 2) * width for i in range(len(categories))]
            ax.bar(positions, [v if v is not None else 0 for v in s["values"]], width=width, label=s["name"])
        ax.set_xticks(range(len(categories)), categories, rotation=20, ha="right")
    elif kind == "box":
        stats = [{**s["stats"], "label": s["name"], "fliers": []} for s in series]
        if stats:
            ax.bxp(stats, orientation="horizontal", showfliers=False)
    else:
        raise ValueError(f"unknown plot kind {kind!r}")
    ax.set_title(spec.get("title") or "")
    ax.set_xlabel(spec.get("x_label") or "")
    ax.set_ylabel(spec.get("y_label") or "")
    if spec.get("x_label") in INTEGER_AXES:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if spec.get("log_y"):
        ax.set_yscale("log")
    if kind != "box" and len(series) > 1:
        ax.legend(fontsize=7)
    return fig


def plot_svg(spec: dict) -> str:
    """The chart as an <svg> element to inline in HTML (no XML prolog, no external references)."""
    with rc_context(RC):
        fig = figure_for(spec)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return _XML_HEADER.sub("", buffer.getvalue(), count=1)
