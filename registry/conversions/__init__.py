"""Format conversions that run inside a GPU-queue job: ONNX export with a parity check, TensorRT engine builds."""
