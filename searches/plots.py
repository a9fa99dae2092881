"""A search's pictures (matplotlib's object API on an Agg canvas: no display, no font download).

progress.png: fitness per generation (every individual, the generation's best and median, elites and pruned
marked). pareto.png: fitness against latency of every measured individual, the Pareto front joined.
"""
import io
import statistics

from .measures import WORST_LATENCY_MS


def _canvas(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # deferred: matplotlib
    from matplotlib.figure import Figure  # deferred: matplotlib

    figure = Figure(figsize=(width, height), dpi=100)
    return figure, FigureCanvasAgg(figure)


def _png(figure, canvas) -> bytes:
    buffer = io.BytesIO()
    canvas.print_png(buffer)
    return buffer.getvalue()


def progress_png(*, individuals: list, generations: int, title: str) -> bytes:
    figure, canvas = _canvas(8, 5)
    axis = figure.subplots()
    axis.set_title(title, fontsize=11)
    axis.set_xlabel("generation")
    axis.set_ylabel("fitness (0.1 mAP50 + 0.9 mAP50-95)")
    scored = [i for i in individuals if i.fitness is not None]
    for label, keep, marker in (("individual", lambda i: not i.elite and not i.pruned, "o"),
                                ("elite (carried)", lambda i: i.elite, "*"), ("pruned", lambda i: i.pruned, "x")):
        chosen = [i for i in scored if keep(i)]
        if chosen:
            axis.scatter([i.generation for i in chosen], [i.fitness for i in chosen], marker=marker, alpha=0.7,
                         label=label)
    seen = sorted({i.generation for i in scored})
    if seen:
        by_generation = {g: [i.fitness for i in scored if i.generation == g] for g in seen}
        axis.plot(seen, [max(by_generation[g]) for g in seen], "-", label="best")
        axis.plot(seen, [statistics.median(by_generation[g]) for g in seen], "--", label="median")
        axis.legend(fontsize=8, loc="best")
    axis.set_xlim(0.5, max(generations, 1) + 0.5)
    axis.set_xticks(range(1, max(generations, 1) + 1))
    axis.grid(True, alpha=0.3)
    return _png(figure, canvas)


def pareto_png(*, individuals: list, front_ids: list[int], title: str) -> bytes:
    figure, canvas = _canvas(8, 5)
    axis = figure.subplots()
    axis.set_title(title, fontsize=11)
    axis.set_xlabel("latency p50 (ms, ONNX Runtime CPU)")
    axis.set_ylabel("fitness")
    measured = [i for i in individuals if i.fitness is not None and i.latency_ms is not None and not i.elite
                and i.latency_ms < WORST_LATENCY_MS]  # a failed measurement is not a point on the plot
    if measured:
        axis.scatter([i.latency_ms for i in measured], [i.fitness for i in measured], alpha=0.6, label="individual")
        front = sorted((i for i in measured if i.pk in set(front_ids)), key=lambda i: i.latency_ms)
        if front:
            axis.plot([i.latency_ms for i in front], [i.fitness for i in front], "o-", color="crimson",
                      label="Pareto front")
        axis.legend(fontsize=8, loc="best")
    else:
        axis.text(0.5, 0.5, "no measured individual yet", ha="center", va="center", transform=axis.transAxes)
    axis.grid(True, alpha=0.3)
    return _png(figure, canvas)
