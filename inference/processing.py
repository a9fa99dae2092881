"""Moved to core/yolo_processing.py (the conversion parity check, below inference, uses it too); re-exported here
for the modules that still import it from inference (benchmarks/)."""
from core.yolo_processing import PAD_VALUE, postprocess, preprocess

__all__ = ["PAD_VALUE", "postprocess", "preprocess"]
