"""Which hosts a target matches, on Host rows alone: a GPU by part of its model name (any case), a CPU feature by
its name ignoring case, dashes and underscores, a host by its exact name; and the hardware class a machine gets."""
from core.hardware import hardware_class_of
from hosts.models import Host
from hosts.routing import host_matches

H100 = Host(name="gpu-2", hardware_class="gpu:NVIDIA H100 80GB HBM3", cpu_features=["AVX2", "AVX-512", "AMX",
                                                                                    "AMX INT8"],
            gpus=[{"index": 0, "name": "NVIDIA H100 80GB HBM3", "memory_total_mb": 81559}])
OLD_CPU = Host(name="cpu-1", hardware_class="cpu:avx2", cpu_features=["AVX2"], gpus=[])


def test_a_gpu_target_matches_part_of_the_model_name_in_any_case():
    assert host_matches(H100, {"gpu": "NVIDIA H100"}) and host_matches(H100, {"gpu": "h100"})
    assert not host_matches(H100, {"gpu": "A100"}) and not host_matches(OLD_CPU, {"gpu": "NVIDIA"})


def test_a_cpu_target_matches_a_feature_whatever_its_spelling():
    for spelling in ("AMX", "amx", "AVX512", "avx-512", "amx_int8", "AMX-INT8"):
        assert host_matches(H100, {"cpu": spelling}), spelling
    assert not host_matches(OLD_CPU, {"cpu": "AMX"}) and not host_matches(H100, {"cpu": "AMX BF16"})


def test_a_host_target_matches_the_exact_name_only():
    assert host_matches(H100, {"host": "gpu-2"}) and not host_matches(H100, {"host": "gpu"})


def test_the_hardware_class_is_the_first_gpu_else_the_best_cpu_feature():
    assert hardware_class_of(gpus=[{"name": "NVIDIA H100 80GB HBM3"}], features=("AMX",)) == "gpu:NVIDIA H100 80GB HBM3"
    assert hardware_class_of(gpus=[], features=("AVX2", "AVX-512", "AMX")) == "cpu:amx"
    assert hardware_class_of(gpus=[], features=("AVX2", "AVX-512")) == "cpu:avx512"
    assert hardware_class_of(gpus=[], features=("AVX2",)) == "cpu:avx2"
    assert hardware_class_of(gpus=[], features=()) == "cpu:baseline"
