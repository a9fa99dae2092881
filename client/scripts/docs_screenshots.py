"""Draw docs/cli.md's two screenshots from a running platform: `vp train --watch` (rich's Console(record=True)
.save_svg, captured while the training is half done) and `vp top` (textual's save_screenshot).

    client/bin/vp train --dataset shapes-demo --preset yolov8n --epochs 12 --imgsz 64 &   # something to show
    PYTHONPATH=client python client/scripts/docs_screenshots.py --run 3 --out docs/img   # VP_URL / VP_TOKEN
"""
import argparse
import asyncio
from pathlib import Path

from rich.console import Console

from vp import config
from vp.client import Client
from vp.top import TopApp
from vp.watch import training_view


def watch_svg(client: Client, run_id: int, target: Path, at: float):
    run = client.training_run(run_id)
    job = client.job(run["job"])
    for job in client.job_events(run["job"]):
        if job["progress"] >= at or job["state"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            break
    console = Console(record=True, width=110, file=open("/dev/null", "w"))
    run = client.training_run(run_id)
    dataset = client.dataset(run["dataset"])["name"]
    console.print(f"$ vp train --dataset {dataset} --preset {run['preset']} --epochs {run['params'].get('epochs')} "
                  f"--imgsz {run['params'].get('imgsz')} --watch", style="bold")
    console.print(training_view(run, job))
    console.save_svg(str(target), title="vp train --watch")


async def top_svg(client: Client, target: Path):
    app = TopApp(client, refresh=60)
    async with app.run_test(size=(150, 40)) as pilot:
        await pilot.pause(0.5)
        app.save_screenshot(filename=target.name, path=str(target.parent))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--run", type=int, required=True, help="A training run to show (running: captured at --at)")
    parser.add_argument("--at", type=float, default=0.5, help="The progress at which to capture the watch view")
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    args = parser.parse_args()
    client = Client(credentials=config.load())
    args.out.mkdir(parents=True, exist_ok=True)
    asyncio.run(top_svg(client, args.out / "vp-top.svg"))  # first: while the training still runs
    watch_svg(client, args.run, args.out / "vp-train-watch.svg", args.at)


if __name__ == "__main__":
    main()
