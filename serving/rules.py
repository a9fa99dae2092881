"""The one rule for which version an engine serves for a model when no version was chosen, used when serving is
set without a version and by the pool's fallback: the model itself when the engine loads its format, else its
newest conversion to a format the engine loads, at full precision. A quantized conversion (INT8) serves only when
chosen explicitly (a benchmark's selection or `version` by hand): its accuracy was never checked otherwise."""
from registry.models import ModelSource, ModelVersion


def serving_version_default(*, model: ModelVersion, formats) -> ModelVersion | None:
    if model.format in formats:
        return model
    conversions = (ModelVersion.objects.filter(parent=model, source=ModelSource.CONVERSION, format__in=list(formats))
                   .order_by("-created_at", "-pk"))
    # In Python: exclude() on a JSON key also drops the rows that lack the key (NULL) on some databases.
    return next((version for version in conversions if not (version.metadata or {}).get("quantization")), None)


def lineage_contains(*, model: ModelVersion, version: ModelVersion) -> bool:
    """`version` is `model` or was converted from it, step by step (a conversion of a conversion: the INT8 ONNX of
    a .pt). A model fine-tuned from it is a child too, but with other weights: it never serves this model."""
    node, depth = version, 0
    while node is not None and depth < 8:
        if node.pk == model.pk:
            return True
        if node.source != ModelSource.CONVERSION:
            return False
        node, depth = node.parent, depth + 1
    return False
