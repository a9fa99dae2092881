"""`vp datasets`, `vp models`, `vp convert` and `vp predict`."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn
from rich.table import Table

from .common import TARGET_HELP, JsonOpt, client, emit, err, handled, out, parse_target, short

datasets_app = typer.Typer(help="Datasets: upload (validated), list, show, delete.", no_args_is_help=True)
models_app = typer.Typer(help="Models: upload, list, show, delete.", no_args_is_help=True)


def _uploaded(upload, file: Path, name: str, shared: bool, as_json: bool) -> dict:
    """The upload, with a progress bar on stderr unless the answer is JSON."""
    if as_json:
        return upload(file, name, shared=shared)
    with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                  console=err(), transient=True) as bar:
        task = bar.add_task(f"uploading {file.name}", total=file.stat().st_size)
        return upload(file, name, shared=shared, progress=lambda sent, total: bar.update(task, completed=sent))


@datasets_app.command("upload")
@handled
def datasets_upload(file: Annotated[Path, typer.Argument(help="A zip in YOLO layout.", exists=True, dir_okay=False)],
                    name: Annotated[Optional[str], typer.Option(help="Default: the file's name.")] = None,
                    shared: Annotated[bool, typer.Option(help="Visible to every signed-in user.")] = False,
                    as_json: JsonOpt = False):
    """Upload a dataset zip with a progress bar; prints the validation report."""
    dataset = _uploaded(client().dataset_upload, file, name or file.stem, shared, as_json)
    emit(dataset) if as_json else _print_dataset(dataset)


def _print_dataset(d: dict):
    out().print(f"dataset [bold]{d['id']}[/] {d['name']} v{d['version']}: {d['num_images']} images, "
                f"{d['num_instances']} instances, classes {', '.join(d['class_names'])}")
    report = d.get("report") or {}
    table = Table("split", "images", "instances", "backgrounds", *d["class_names"], title="validation report")
    for split, stats in (report.get("splits") or {}).items():
        classes = stats.get("classes") or {}
        table.add_row(split, *(str(stats.get(k, "")) for k in ("images", "instances", "backgrounds")),
                      *(str((classes.get(c) or {}).get("instances", "")) for c in d["class_names"]))
    out().print(table)
    for problem in (report.get("errors") or []) + (report.get("warnings") or []):
        out().print(f"  [yellow]![/] {problem}")


@datasets_app.command("list")
@handled
def datasets_list(name: Optional[str] = None, as_json: JsonOpt = False):
    """The datasets you can see."""
    rows = client().datasets(name=name)
    if as_json:
        return emit(rows)
    table = Table("id", "name", "version", "images", "instances", "classes", "owner")
    for d in rows:
        table.add_row(str(d["id"]), d["name"], str(d["version"]), str(d["num_images"]), str(d["num_instances"]),
                      ", ".join(d.get("class_names") or []), d.get("owner", ""))
    out().print(table)


@datasets_app.command("show")
@handled
def datasets_show(dataset: str, as_json: JsonOpt = False):
    """One dataset (by id or name) with its validation report."""
    found = client().dataset_resolve(dataset)
    emit(found) if as_json else _print_dataset(found)


@datasets_app.command("delete")
@handled
def datasets_delete(dataset: str, as_json: JsonOpt = False):
    c = client()
    found = c.dataset_resolve(dataset)
    c.dataset_delete(found["id"])
    emit({"deleted": found["id"]}) if as_json else out().print(f"dataset {found['id']} deleted")


@models_app.command("list")
@handled
def models_list(name: Optional[str] = None, format: Optional[str] = None, as_json: JsonOpt = False):
    """The models you can see."""
    rows = client().models(name=name, format=format)
    if as_json:
        return emit(rows)
    table = Table("id", "name", "version", "format", "source", "serving", "owner")
    for m in rows:
        table.add_row(str(m["id"]), m["name"], str(m.get("version", "")), m.get("format", ""), m.get("source", ""),
                      str(m.get("selected_engine") or ""), m.get("owner", ""))
    out().print(table)


@models_app.command("upload")
@handled
def models_upload(file: Annotated[Path, typer.Argument(help="A .pt or .onnx file.", exists=True, dir_okay=False)],
                  name: Annotated[Optional[str], typer.Option(help="Default: the file's name.")] = None,
                  shared: Annotated[bool, typer.Option(help="Visible to every signed-in user.")] = False,
                  as_json: JsonOpt = False):
    """Upload a model with a progress bar (inspected without running its pickle); a new version of its name."""
    model = _uploaded(client().model_upload, file, name or file.stem, shared, as_json)
    emit(model) if as_json else models_show.__wrapped__(str(model["id"]), as_json=False)


@models_app.command("show")
@handled
def models_show(model: str, as_json: JsonOpt = False):
    """One model (by id or name) with its lineage."""
    found = client().model_resolve(model)
    if as_json:
        return emit(found)
    for key in ("id", "name", "version", "format", "source", "task", "class_names", "input_size", "parameters",
                "selected_engine"):
        if key in found:
            out().print(f"{key:>12}: {found[key]}")


@models_app.command("delete")
@handled
def models_delete(model: str, as_json: JsonOpt = False):
    c = client()
    found = c.model_resolve(model)
    c.model_delete(found["id"])
    emit({"deleted": found["id"]}) if as_json else out().print(f"model {found['id']} deleted")


@handled
def convert(model: Annotated[str, typer.Argument(help="Model id or name.")],
            target: Annotated[str, typer.Option(help="onnx or tensorrt.")] = "onnx",
            imgsz: Optional[int] = None,
            dynamic: Annotated[Optional[bool], typer.Option("--dynamic/--static")] = None,
            half: Annotated[Optional[bool], typer.Option("--half/--full")] = None,
            wait: Annotated[bool, typer.Option("--wait/--no-wait", help="Wait for the conversion job.")] = True,
            run_on: Annotated[Optional[str], typer.Option("--run-on", metavar="host=NAME|gpu=MODEL|cpu=FEATURE",
                                                          help=TARGET_HELP + " (--target is the format here)")] = None,
            as_json: JsonOpt = False):
    """Convert a model (ONNX with a parity check against PyTorch, or TensorRT); waits for the job."""
    routing = parse_target(run_on, "--run-on")
    c = client()
    source = c.model_resolve(model)
    options = {k: v for k, v in {"imgsz": imgsz, "dynamic": dynamic, "half": half}.items() if v is not None}
    if routing:
        options["run_on"] = routing
    conversion = c.model_convert(source["id"], target, **options)
    if wait:
        c.job_wait(conversion["job"])
        conversion = c.conversion(conversion["id"])
    if as_json:
        return emit(conversion)
    out().print(f"conversion {conversion['id']} of model {source['id']} to {target}: "
                f"{conversion.get('state', 'QUEUED')}; result {conversion.get('result') or '–'}")
    parity = conversion.get("parity") or {}
    if parity:
        out().print(f"parity: max |diff| {short(parity.get('max_abs_diff'))} ≤ {short(parity.get('tolerance'))}: "
                    f"{'passed' if parity.get('passed') else 'FAILED'}")


@handled
def predict(model: Annotated[str, typer.Argument(help="Model id or name.")],
            image: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
            save: Annotated[Optional[Path], typer.Option(help="Write the image with the boxes drawn.")] = None,
            conf: Annotated[Optional[float], typer.Option(help="Confidence threshold.")] = None,
            as_json: JsonOpt = False):
    """Detect objects in an image with the warm inference pool."""
    c = client()
    found = c.model_resolve(model)
    answer = c.predict(found["id"], image, conf=conf)
    detections = answer["results"][0]["detections"] if answer.get("results") else []
    if save:
        from ..draw import draw_detections

        draw_detections(image, detections, save)
    if as_json:
        return emit(answer)
    timings = answer["results"][0].get("timings", {}) if answer.get("results") else {}
    out().print(f"model {answer['model']} (served by {answer.get('served_model')}, {answer.get('engine')}): "
                f"{len(detections)} detections, inference {short(timings.get('inference_ms'))} ms")
    table = Table("class", "confidence", "box (x1, y1, x2, y2)")
    for d in detections:
        table.add_row(str(d.get("class_name")), f"{d['confidence']:.3f}", ", ".join(f"{v:.0f}" for v in d["box"]))
    if detections:
        out().print(table)
    if save:
        err().print(f"saved {save}")
