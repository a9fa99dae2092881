"""The inference tests' fixtures (the tiny ONNX model, a test image) for the serving tests."""
from inference.tests.conftest import onnx_model, test_image, tiny_onnx  # noqa: F401
