"""Two runs training on one dataset at once write ultralytics' label cache side by side without breaking each other.

ultralytics unlinks and rewrites `labels/<split>.cache` in place; a run that did so while another did the same
failed with "No such file or directory" (seen with the two gpu slots training on one dataset)."""
import threading

from ultralytics.data.utils import load_dataset_cache_file

from training.devices import save_dataset_cache_atomically


def test_concurrent_cache_writes_and_reads_never_fail_and_leave_one_whole_file(tmp_path):
    path = tmp_path / "train.cache"
    errors = []

    def writer(n):
        try:
            for i in range(30):
                save_dataset_cache_atomically("", path, {"labels": [n] * 1000, "i": i}, "1.0.3")
        except Exception as exc:  # noqa: BLE001 - the test collects every failure
            errors.append(exc)

    def reader():
        try:
            for _ in range(60):
                if path.exists():
                    assert len(load_dataset_cache_file(path)["labels"]) == 1000
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)] + [threading.Thread(target=reader)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert load_dataset_cache_file(path)["version"] == "1.0.3"
    assert [p.name for p in tmp_path.iterdir()] == ["train.cache"]  # no temporary files left behind
