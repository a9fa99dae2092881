"""The latency chart of a benchmark: a box plot of per-image latency per engine x batch size (matplotlib, Agg)."""
import io


def latency_png(*, series: list[tuple[str, list[float]]], title: str) -> bytes:
    # A bare Figure, not pyplot: pyplot keeps global figure state, which threads of one web process would share.
    # Imported here: matplotlib takes a quarter of a second to import, which web start-up need not pay.
    from matplotlib.figure import Figure  # deferred: matplotlib

    height = 1.6 + 0.45 * max(1, len(series))
    figure = Figure(figsize=(9, height), dpi=100)
    axes = figure.subplots()
    if series:
        labels = [label for label, _ in series]
        axes.boxplot([values or [0.0] for _, values in series], vert=False, tick_labels=labels, showfliers=True,
                     whis=(1, 99), flierprops={"markersize": 2})
        axes.invert_yaxis()
        axes.set_xlabel("ms per image (whiskers: p1-p99)")
        axes.grid(axis="x", alpha=0.3)
    else:
        axes.text(0.5, 0.5, "nothing measured yet", ha="center", va="center", transform=axes.transAxes)
        axes.set_axis_off()
    axes.set_title(title, fontsize=10)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
