"""What an individual is judged by: ultralytics' fitness of its best epoch, and ONNX Runtime CPU latency."""
from types import SimpleNamespace

from searches.measures import best_epoch_fitness, fitness_of, onnxruntime_cpu_p50_ms


def test_fitness_is_ultralytics_weighting_of_the_best_epoch():
    assert fitness_of(map50=0.5, map50_95=0.3) == 0.1 * 0.5 + 0.9 * 0.3
    epochs = [SimpleNamespace(map50=0.2, map50_95=0.1), SimpleNamespace(map50=0.6, map50_95=0.4),
              SimpleNamespace(map50=None, map50_95=None)]
    assert best_epoch_fitness(epochs) == fitness_of(map50=0.6, map50_95=0.4)
    assert best_epoch_fitness([]) is None


def test_latency_is_the_onnxruntime_cpu_median_of_the_exported_weights(tiny_weights, tmp_path):
    latency = onnxruntime_cpu_p50_ms(weights=tiny_weights, imgsz=64, scratch_root=tmp_path)
    assert 0 < latency < 1000
    assert list(tmp_path.iterdir()) == []  # the export's scratch directory is removed
