"""Training curves as a PNG: losses, precision and recall, mAP, learning rate per epoch (matplotlib, offline).

Drawn from the run's TrainingEpoch rows, so the picture exists while the run trains (the API renders it on
request) and, once the run ends, is kept with its artifacts as `training/<id>/curves.png`
(`training_curves_save`, a task on the default queue so no GPU slot waits on plotting).
matplotlib's object API and Agg canvas: no pyplot state, no display, no font download (DejaVu ships with it).
"""
import io

CURVES_FILE = "curves.png"

PANELS = [
    ("training losses", [("box_loss", "box"), ("cls_loss", "cls"), ("dfl_loss", "dfl")]),
    ("precision and recall (val)", [("precision", "precision"), ("recall", "recall")]),
    ("mAP (val)", [("map50", "mAP50"), ("map50_95", "mAP50-95")]),
    ("learning rate", [("lr", "lr")]),
]


def curves_png(*, epochs: list, title: str) -> bytes:
    """A 2x2 figure of the given TrainingEpoch rows (or objects with the same attributes); PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # deferred: matplotlib
    from matplotlib.figure import Figure  # deferred: matplotlib

    figure = Figure(figsize=(10, 6.5), dpi=100)
    figure.suptitle(title)
    axes = figure.subplots(2, 2)
    for axis, (panel_title, series) in zip(axes.flat, PANELS):
        axis.set_title(panel_title, fontsize=10)
        axis.set_xlabel("epoch", fontsize=9)
        axis.grid(alpha=0.3)
        drawn = False
        for field, label in series:
            points = [(e.epoch, getattr(e, field)) for e in epochs if getattr(e, field) is not None]
            if points:
                xs, ys = zip(*points)
                axis.plot(xs, ys, marker="o", markersize=3, linewidth=1.5, label=label)
                drawn = True
        if drawn:
            axis.legend(fontsize=8)
            axis.xaxis.get_major_locator().set_params(integer=True)
        else:
            axis.text(0.5, 0.5, "no epoch finished yet", ha="center", va="center", transform=axis.transAxes,
                      color="grey")
    figure.tight_layout()
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)
    return buffer.getvalue()


def curves_title(run) -> str:
    return f"training run #{run.pk}: {run.start_label} on {run.dataset.name} v{run.dataset.version}"
