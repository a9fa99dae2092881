"""Test-only job kinds, loaded into test workers with --include: a job that sleeps with checkpoints."""
import time

from jobs.runner import job_task


@job_task("tests.sleep")
def sleep_job(ctx):
    seconds = float(ctx.params.get("seconds", 5))
    steps = max(int(seconds / 0.1), 1)
    for step in range(steps):
        ctx.checkpoint()
        time.sleep(seconds / steps)
        if step % 5 == 0:
            ctx.progress(step / steps, f"step {step}/{steps}")
    return {"slept": seconds}


@job_task("tests.dataloader")
def dataloader_job(ctx):
    """Iterate a torch DataLoader with worker processes inside the job, as ultralytics does when training on CUDA."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    workers = int(ctx.params.get("workers", 2))
    loader = DataLoader(TensorDataset(torch.arange(64, dtype=torch.float32)), batch_size=8, num_workers=workers)
    total = sum(float(batch[0].sum()) for batch in loader)
    return {"total": total, "workers": workers}


@job_task("tests.ultralytics_loader")
def ultralytics_loader_job(ctx):
    """ultralytics' own build_dataloader over a dataset folder, with loader workers forced on."""
    from ultralytics.cfg import get_cfg
    from ultralytics.data import build_dataloader, build_yolo_dataset
    from ultralytics.data.utils import check_det_dataset

    data = check_det_dataset(ctx.params["data_yaml"])
    cfg = get_cfg(overrides={"imgsz": 64})
    dataset = build_yolo_dataset(cfg, data["train"], batch=8, data=data, mode="train")
    loader = build_dataloader(dataset, batch=8, workers=int(ctx.params.get("workers", 2)), shuffle=False)
    images = sum(len(batch["img"]) for batch in loader)
    return {"images": images, "workers": loader.num_workers}


@job_task("tests.busy_progress")
def busy_progress_job(ctx):
    """Writes progress in a tight loop, so a soft time limit lands in the middle of a database or Redis call."""
    step = 0
    while True:
        step += 1
        ctx.progress(min(step / 1e6, 0.99), f"step {step}")
