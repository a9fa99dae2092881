"""`Client`: one typed method per platform operation (auth, API tokens, datasets, models, conversions, training,
jobs and their event stream, predictions, benchmarks, serving, searches, reports, health).

    from vp import Client
    client = Client("http://127.0.0.1:8000", token="vp_…")        # or Client.login(url, username, password)
    run = client.training_start(dataset=2, preset="yolov8n", epochs=2, imgsz=64)
    job = client.job_wait(run["job"])                              # raises JobFailed on FAILED / CANCELLED

Every error answer raises an ApiError (AuthError 401/403, NotFound 404) carrying the API's JSON body.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from .config import Credentials
from .errors import JobFailed, NotFound
from .http import Transport, UploadProgress

Json = dict[str, Any]
TERMINAL = ("SUCCEEDED", "FAILED", "CANCELLED")


class Client:
    def __init__(self, url: str = "http://127.0.0.1:8000", *, token: str | None = None, refresh: str | None = None,
                 credentials: Credentials | None = None, on_refresh: Callable[[Credentials], None] | None = None,
                 timeout: float = 60.0, retries: int = 4):
        self.creds = credentials or Credentials(url=url, access=token, refresh=refresh)
        self.transport = Transport(self.creds, timeout=timeout, retries=retries, on_refresh=on_refresh)

    @classmethod
    def login(cls, url: str, username: str, password: str, **kwargs) -> Client:
        client = cls(url, **kwargs)
        pair = client.transport.json("POST", "/api/auth/token/", json={"username": username, "password": password},
                                     auth=False)
        client.creds.access, client.creds.refresh, client.creds.username = pair["access"], pair["refresh"], username
        return client

    def close(self):
        self.transport.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _get(self, path: str, **params) -> Any:
        return self.transport.json("GET", path, params={k: v for k, v in params.items() if v is not None})

    def _post(self, path: str, body: Json | None = None) -> Any:
        return self.transport.json("POST", path, json=body or {})

    def _delete(self, path: str) -> None:
        self.transport.send("DELETE", path)

    def _upload(self, path: str, file: Path, fields: Json, progress: Callable[[int, int], None] | None) -> Json:
        file = Path(file)
        with file.open("rb") as handle:
            source = UploadProgress(handle, file.stat().st_size, progress)
            return self.transport.json("POST", path, data={k: str(v) for k, v in fields.items()},
                                       files={"file": (file.name, source, "application/octet-stream")},
                                       rewind=source.rewind)

    # --- auth and personal API tokens -----------------------------------------------------------------------------
    def me(self) -> Json:
        return self._get("/api/auth/me/")

    def logout(self) -> None:
        if self.creds.refresh:
            self._post("/api/auth/logout/", {"refresh": self.creds.refresh})

    def password_change(self, old_password: str, new_password: str) -> None:
        self._post("/api/auth/password/", {"old_password": old_password, "new_password": new_password})

    def tokens(self) -> list[Json]:
        return self._get("/api/auth/tokens/", limit=500)["results"]

    def token_create(self, name: str, expires_at: str | None = None) -> Json:
        """The new token with its secret in `token`: the only time the platform shows it."""
        return self._post("/api/auth/tokens/", {"name": name, "expires_at": expires_at})

    def token_revoke(self, token_id: int) -> None:
        self._delete(f"/api/auth/tokens/{token_id}/")

    # --- datasets and models ----------------------------------------------------------------------------------------
    def datasets(self, name: str | None = None, limit: int = 50) -> list[Json]:
        return self._get("/api/datasets/", name=name, limit=limit)["results"]

    def dataset(self, dataset_id: int) -> Json:
        return self._get(f"/api/datasets/{dataset_id}/")

    def dataset_upload(self, file: Path | str, name: str, *, shared: bool = False,
                       progress: Callable[[int, int], None] | None = None) -> Json:
        return self._upload("/api/datasets/", Path(file), {"name": name, "shared": shared}, progress)

    def dataset_delete(self, dataset_id: int) -> None:
        self._delete(f"/api/datasets/{dataset_id}/")

    def dataset_resolve(self, ref: str | int) -> Json:
        """A dataset by id or by name (the newest version of that name)."""
        return self._resolve(ref, self.dataset, self.datasets, "dataset")

    def models(self, name: str | None = None, format: str | None = None, limit: int = 50) -> list[Json]:
        return self._get("/api/models/", name=name, format=format, limit=limit)["results"]

    def model(self, model_id: int) -> Json:
        return self._get(f"/api/models/{model_id}/")

    def model_upload(self, file: Path | str, name: str, *, shared: bool = False,
                     progress: Callable[[int, int], None] | None = None) -> Json:
        return self._upload("/api/models/", Path(file), {"name": name, "shared": shared}, progress)

    def model_from_preset(self, name: str, preset: str, *, shared: bool = False) -> Json:
        return self._post("/api/models/", {"name": name, "preset": preset, "shared": shared})

    def model_delete(self, model_id: int) -> None:
        self._delete(f"/api/models/{model_id}/")

    def model_resolve(self, ref: str | int) -> Json:
        return self._resolve(ref, self.model, self.models, "model")

    def model_convert(self, model_id: int, target: str = "onnx", **options) -> Json:
        return self._post(f"/api/models/{model_id}/convert/", {"target": target, **options})

    def conversion(self, conversion_id: int) -> Json:
        return self._get(f"/api/conversions/{conversion_id}/")

    def model_serving(self, model_id: int, engine: str) -> Json:
        """Set a model's serving engine by hand ("" clears it)."""
        return self._post(f"/api/models/{model_id}/serving/", {"engine": engine})

    def _resolve(self, ref, by_id, by_name, what: str) -> Json:
        """By id; by `name:version`; or by name: its newest version that is not a conversion (a conversion is
        reached through its source, which serves from it), else its newest version."""
        ref = str(ref)
        if ref.isdigit():
            return by_id(int(ref))
        name, _, version = ref.rpartition(":") if ref.rpartition(":")[2].isdigit() else (ref, "", "")
        found = [row for row in by_name(name=name) if row["name"] == name
                 and (not version or row.get("version") == int(version))]
        if not found:
            raise NotFound(404, {"detail": f"no {what} named {ref!r} visible to you"}, "GET", what)
        originals = [row for row in found if row.get("source") != "conversion"] or found
        return max(originals, key=lambda row: (row.get("version") or 0, row["id"]))

    # --- training -------------------------------------------------------------------------------------------------
    def training_runs(self, limit: int = 50) -> list[Json]:
        return self._get("/api/training-runs/", limit=limit)["results"]

    def training_run(self, run_id: int) -> Json:
        return self._get(f"/api/training-runs/{run_id}/")

    def training_start(self, *, dataset: int, preset: str | None = None, model: int | None = None, **params) -> Json:
        """params: epochs, imgsz, batch, seed, patience, name, time_limit_seconds, hyperparameters."""
        return self._post("/api/training-runs/", {"dataset": dataset, "preset": preset, "model": model, **params})

    def training_delete(self, run_id: int) -> None:
        self._delete(f"/api/training-runs/{run_id}/")

    # --- jobs -----------------------------------------------------------------------------------------------------
    def jobs(self, state: str | None = None, kind: str | None = None, limit: int = 50) -> list[Json]:
        return self._get("/api/jobs/", state=state, kind=kind, limit=limit)["results"]

    def job(self, job_id: int) -> Json:
        return self._get(f"/api/jobs/{job_id}/")

    def job_cancel(self, job_id: int) -> Json:
        return self._post(f"/api/jobs/{job_id}/cancel/")

    def job_events(self, job_id: int, *, max_seconds: float = 300) -> Iterator[Json]:
        """The job's JSON on every change, until it ends (the stream is reopened after its `max_seconds`)."""
        while True:
            last = None
            for event, data in self.transport.events(f"/api/jobs/{job_id}/events/", max_seconds=max_seconds):
                if event == "job":
                    last = data
                    yield data
                elif event == "end":
                    return
            if last is not None and last.get("state") in TERMINAL:
                return

    def job_wait(self, job_id: int, *, on_update: Callable[[Json], None] | None = None, poll: float = 0,
                 raise_on_failure: bool = True) -> Json:
        """Follow the job to its end (the event stream; or polling every `poll` s) and return its last JSON."""
        job = self.job(job_id)
        if job["state"] not in TERMINAL:
            try:
                for job in self._poll(job_id, poll) if poll else self.job_events(job_id):
                    if on_update:
                        on_update(job)
            except httpx.TransportError:  # the stream broke (a web process restarted, a proxy): poll instead
                for job in self._poll(job_id, 2.0):
                    if on_update:
                        on_update(job)
            job = self.job(job_id)
        if raise_on_failure and job["state"] != "SUCCEEDED":
            raise JobFailed(job)
        return job

    def _poll(self, job_id: int, every: float) -> Iterator[Json]:
        while True:
            job = self.job(job_id)
            yield job
            if job["state"] in TERMINAL:
                return
            time.sleep(every)

    def probe(self, queue: str = "gpu") -> Json:
        return self._post("/api/jobs/probe/", {"queue": queue})

    # --- predictions, benchmarks, searches, reports ---------------------------------------------------------------
    def predict(self, model_id: int, image: Path | str | bytes, **params) -> Json:
        data = image if isinstance(image, bytes) else Path(image).read_bytes()
        name = "image.jpg" if isinstance(image, bytes) else Path(image).name
        return self.transport.json("POST", f"/api/inference/{model_id}/predict/", files={"image": (name, data)},
                                   data={k: str(v) for k, v in params.items() if v is not None})

    def benchmarks(self, limit: int = 50) -> list[Json]:
        return self._get("/api/benchmarks/", limit=limit)["results"]

    def benchmark(self, run_id: int) -> Json:
        return self._get(f"/api/benchmarks/{run_id}/")

    def benchmark_start(self, *, model: int, engines: str | list[str] = "auto", **params) -> Json:
        """params: imgsz, batch_sizes, warmup, iterations, constraints {max_p95_ms, …}, objective, apply, dataset."""
        return self._post("/api/benchmarks/", {"model": model, "engines": engines, **params})

    def searches(self, limit: int = 50) -> list[Json]:
        return self._get("/api/searches/", limit=limit)["results"]

    def search(self, search_id: int) -> Json:
        return self._get(f"/api/searches/{search_id}/")

    def search_start(self, *, dataset: int, **params) -> Json:
        return self._post("/api/searches/", {"dataset": dataset, **params})

    def search_cancel(self, search_id: int) -> Json:
        return self._post(f"/api/searches/{search_id}/cancel/")

    def reports(self, limit: int = 50) -> list[Json]:
        return self._get("/api/reports/", limit=limit)["results"]

    def report(self, report_id: int) -> Json:
        return self._get(f"/api/reports/{report_id}/")

    def report_create(self, subject: str, subject_id: int, **params) -> Json:
        """subject: benchmark, training_run, search or model; params: baseline, title, shared."""
        return self._post("/api/reports/", {"subject": subject, "id": subject_id, **params})

    # --- the platform's state ---------------------------------------------------------------------------------------
    def health(self) -> Json:
        response = self.transport.http.get("/api/health/")  # 503 still carries the checks
        return response.json()

    def inference_health(self) -> Json:
        return self._get("/api/inference/health/")

    def hosts(self, limit: int = 100) -> list[Json] | None:
        """The hosts (CPU, GPUs, heartbeat, live `usage`) where the platform has `/api/hosts/`; None where not (404)."""
        try:
            answer = self._get("/api/hosts/", limit=limit)
        except NotFound:
            return None
        return answer["results"] if isinstance(answer, dict) and "results" in answer else answer

    def host(self, name: str) -> Json:
        return self._get(f"/api/hosts/{name}/")

