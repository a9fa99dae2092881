"""The compose file and Dockerfiles describe the whole platform (no Docker engine runs here, so we parse them)."""
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_compose_has_every_process_of_the_platform():
    assert {"postgres", "redis", "web", "worker-gpu", "worker-inference", "worker-default", "beat", "flower"} <= set(SERVICES)


def test_redis_persists_and_never_evicts():
    command = " ".join(SERVICES["redis"]["command"])
    assert "--appendonly yes" in command and "--maxmemory-policy noeviction" in command


def test_the_gpu_worker_reserves_nvidia_gpus_and_runs_two_at_a_time():
    devices = SERVICES["worker-gpu"]["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["driver"] == "nvidia" and "gpu" in devices[0]["capabilities"]
    assert SERVICES["worker-gpu"]["environment"]["GPU_WORKER_CONCURRENCY"] == "2"
    entrypoint = (ROOT / "platform" / "entrypoint.sh").read_text()
    assert "-Q gpu" in entrypoint and "--max-tasks-per-child 1" in entrypoint and "--prefetch-multiplier 1" in entrypoint


def test_each_worker_consumes_its_own_queue():
    entrypoint = (ROOT / "platform" / "entrypoint.sh").read_text()
    for service, role in [("worker-gpu", "worker-gpu"), ("worker-default", "worker-default"),
                          ("worker-inference", "worker-inference"), ("beat", "beat"), ("flower", "flower")]:
        assert SERVICES[service]["command"] == ["platform/entrypoint.sh", role]
        assert f"  {role})" in entrypoint
    assert "-Q default" in entrypoint


def test_long_running_services_have_health_checks():
    for name in ("postgres", "redis", "web", "worker-gpu", "worker-inference", "worker-default", "flower"):
        assert "test" in SERVICES[name]["healthcheck"], name


def test_services_share_one_database_and_one_redis():
    for name in ("web", "worker-gpu", "worker-inference", "worker-default", "beat", "flower"):
        env = SERVICES[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and env["REDIS_URL"].startswith("redis://redis:")


def test_the_gpu_image_brings_onnxruntime_gpu_and_tensorrt():
    dockerfile = (ROOT / "Dockerfile.gpu").read_text()
    assert dockerfile.startswith("#") and "nvidia/cuda" in dockerfile
    extras = (ROOT / "requirements-gpu.txt").read_text()
    assert "onnxruntime-gpu==" in extras and "tensorrt==" in extras


def test_the_gpu_image_cuda_matches_the_cuda_torch_is_built_for():
    import re

    import torch

    base = re.search(r"^FROM nvidia/cuda:(\d+)\.", (ROOT / "Dockerfile.gpu").read_text(), re.MULTILINE)
    assert base, "Dockerfile.gpu has no nvidia/cuda base image"
    assert torch.version.cuda, "the installed torch is a CPU build: the check needs the CUDA build of requirements.txt"
    assert base.group(1) == torch.version.cuda.split(".")[0], (base.group(1), torch.version.cuda)


def test_flower_requires_basic_auth_in_compose():
    assert "FLOWER_BASIC_AUTH" in SERVICES["flower"]["environment"]


def test_the_processes_of_the_main_machine_register_one_host_name():
    names = {SERVICES[name]["environment"]["HOST_NAME"] for name in
             ("web", "worker-gpu", "worker-inference", "worker-default", "beat", "flower")}
    assert names == {"${HOST_NAME:-main}"}


def test_a_gpu_host_must_be_given_a_name_of_its_own():
    gpu_host = yaml.safe_load((ROOT / "docker-compose.gpu-host.yml").read_text())
    environment = gpu_host["services"]["worker-gpu"]["environment"]
    assert environment["HOST_NAME"].startswith("${HOST_NAME:?")  # compose refuses to start without it
    assert environment["ARTIFACT_STORAGE"] == "s3" and "ARTIFACT_S3_CREATE_BUCKET" not in environment
