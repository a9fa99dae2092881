"""Helpers for the benchmark scripts: a throwaway platform (test database, Redis, workers) and tables."""
import statistics
import subprocess


def percentiles(samples_ms: list[float]) -> dict:
    ordered = sorted(samples_ms)

    def pick(q):
        return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]

    return {"n": len(ordered), "mean": statistics.fmean(ordered), "p50": pick(0.50), "p95": pick(0.95),
            "p99": pick(0.99), "max": ordered[-1]}


def print_table(title: str, header: list[str], rows: list[list]) -> None:
    cells = [header] + [[f"{c:.2f}" if isinstance(c, float) else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    print(title)
    for index, row in enumerate(cells):
        print("  " + "  ".join(cell.rjust(width) for cell, width in zip(row, widths)))
        if index == 0:
            print("  " + "  ".join("-" * width for width in widths))


def yolov8n_onnx(work, imgsz: int):
    """yolov8n built from its YAML (random weights, no download) exported to `work/yolov8n.onnx` with a dynamic
    batch; returns that path."""
    import os
    import shutil
    from pathlib import Path

    work = Path(work)
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_CONFIG_DIR", str(work / "ultralytics"))
    from ultralytics import YOLO

    cwd = os.getcwd()
    os.chdir(work)  # a model built from YAML exports into the current directory
    try:
        exported = YOLO("yolov8n.yaml").export(format="onnx", imgsz=imgsz, dynamic=True, verbose=False)
    finally:
        os.chdir(cwd)
    target = work / "yolov8n.onnx"
    shutil.move(exported if os.path.isabs(exported) else str(work / exported), target)
    return target


def processes_stop(processes: list, redis_process) -> None:
    """Stop a bench platform's processes (SIGTERM, then SIGKILL after 15 s) and its embedded Redis."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    redis_process.terminate()
