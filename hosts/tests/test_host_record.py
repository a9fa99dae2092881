"""The processes of one machine share its host name but not its view of the GPUs (containers without a GPU
reservation see none): the Host row keeps what the gpu worker recorded."""
import pytest

from hosts.registration import host_record
from hosts.routing import host_matches

pytestmark = pytest.mark.django_db
H100 = [{"index": 0, "name": "NVIDIA H100 80GB HBM3", "memory_total_mb": 81559}]


def _facts(*, gpus, hardware_class, engines=None):
    facts = {"name": "main", "hardware_class": hardware_class, "cpu_model": "Xeon", "cpu_features": ["AVX2"],
             "cpu_cores": 16, "memory_mb": 128000, "gpus": gpus, "gpu_driver": "580.1" if gpus else ""}
    return {**facts, "engines": engines} if engines is not None else facts


def test_a_process_that_sees_no_gpu_does_not_wipe_the_gpu_workers_facts():
    host_record(facts=_facts(gpus=H100, hardware_class="gpu:nvidia-h100", engines=["pytorch", "tensorrt"]), role="gpu")
    host = host_record(facts=_facts(gpus=[], hardware_class="cpu:avx2", engines=["onnxruntime-cpu"]), role="inference")
    host = host_record(facts={**_facts(gpus=[], hardware_class="cpu:avx2"), "memory_mb": 64000}, role="default")
    assert host.hardware_class == "gpu:nvidia-h100" and host.gpus == H100 and host.gpu_driver == "580.1"
    assert host.engines == ["pytorch", "tensorrt"] and host.roles == ["default", "gpu", "inference"]
    assert host.memory_mb == 64000  # the other facts are still refreshed
    assert host_matches(host, {"gpu": "H100"})


def test_the_gpu_worker_itself_is_believed_when_it_sees_no_gpu_any_more():
    host_record(facts=_facts(gpus=H100, hardware_class="gpu:nvidia-h100"), role="gpu")
    host = host_record(facts=_facts(gpus=[], hardware_class="cpu:avx2"), role="gpu")
    assert host.gpus == [] and host.hardware_class == "cpu:avx2"


def test_a_cpu_only_host_takes_each_processs_facts_as_before():
    host_record(facts=_facts(gpus=[], hardware_class="cpu:avx2", engines=["onnxruntime-cpu"]), role="inference")
    host = host_record(facts=_facts(gpus=[], hardware_class="cpu:avx512", engines=["openvino"]), role="inference")
    assert host.hardware_class == "cpu:avx512" and host.engines == ["openvino"]
