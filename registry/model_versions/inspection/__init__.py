"""Inspection of uploaded model files: `.pt` in a sandboxed subprocess (pt_inspect, sandbox), `.onnx` in process.

Nothing here imports Django at module level: `pt_inspect` runs as `python -m registry.model_versions.inspection.pt_inspect`.
"""
