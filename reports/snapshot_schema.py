"""The JSON Schema of a report snapshot (GET /api/reports/{id}/report.json): the contract of the JSON export.

`snapshot_errors` validates with `jsonschema` (installed with drf-spectacular); the build refuses to store a
snapshot that does not match, and the tests validate every report they make.
"""
import jsonschema

SCHEMA_VERSION = 1

_nullable_number = {"type": ["number", "null"]}
_light = {"enum": ["green", "amber", "red", "grey"]}

_table = {
    "type": "object",
    "required": ["title", "columns", "rows"],
    "properties": {
        "title": {"type": "string"},
        "columns": {"type": "array", "items": {"type": "string"}},
        "rows": {"type": "array", "items": {"type": "object"}},
        "note": {"type": "string"},
    },
}

_metric = {
    "type": "object",
    "required": ["label", "value", "better"],
    "properties": {
        "label": {"type": "string"},
        "value": _nullable_number,
        "better": {"enum": ["higher", "lower", None]},
        "unit": {"type": "string"},
        "spread": _nullable_number,
        "spread_kind": {"type": "string", "description": "std or iqr of the timed iterations; empty when unknown"},
        "format": {"type": "string"},
    },
}

_delta = {
    "type": "object",
    "required": ["metric", "label", "subject", "baseline", "abs", "pct", "better", "within_noise", "verdict"],
    "properties": {
        "metric": {"type": "string"},
        "label": {"type": "string"},
        "unit": {"type": "string"},
        "subject": {"type": "number"},
        "baseline": {"type": "number"},
        "abs": {"type": "number", "description": "subject - baseline"},
        "pct": {**_nullable_number, "description": "abs / |baseline| x 100; null when the baseline is 0"},
        "better": {"enum": ["higher", "lower", None]},
        "noise": _nullable_number,
        "within_noise": {"type": ["boolean", "null"], "description": "null: no spread was measured"},
        "verdict": {"enum": ["better", "worse", "same", "within noise", "changed"]},
    },
}

_plot = {
    "type": "object",
    "required": ["id", "kind", "title", "series"],
    "properties": {
        "id": {"type": "string"},
        "kind": {"enum": ["line", "scatter", "bar", "box"]},
        "title": {"type": "string"},
        "x_label": {"type": "string"},
        "y_label": {"type": "string"},
        "categories": {"type": "array"},
        "series": {"type": "array", "items": {"type": "object", "required": ["name"]}},
    },
}

_job = {
    "type": "object",
    "required": ["id", "kind", "state", "error", "worker"],
    "properties": {"id": {"type": "integer"}, "kind": {"type": "string"}, "state": {"type": "string"},
                   "error": {"type": "string"}, "worker": {"type": "string"}},
}

REPORT_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Vision platform report",
    "type": "object",
    "required": ["schema_version", "report", "subject", "subject_title", "baseline", "metadata", "tables", "metrics",
                 "deltas", "plots", "summary", "notes"],
    "properties": {
        "schema_version": {"const": SCHEMA_VERSION},
        "report": {"type": "object", "required": ["id", "title", "owner", "created_at", "generated_at", "job"]},
        "subject": {"type": "object", "required": ["kind", "id"],
                    "properties": {"kind": {"enum": ["benchmark", "training_run", "search", "model"]},
                                   "id": {"type": "integer"}}},
        "subject_title": {"type": "string"},
        "baseline": {"oneOf": [
            {"type": "null"},
            {"type": "object", "required": ["kind", "id", "title", "chosen", "metrics"],
             "properties": {"chosen": {"enum": ["requested", "automatic"]},
                            "metrics": {"type": "object", "additionalProperties": _metric}}},
        ]},
        "metadata": {
            "type": "object",
            "required": ["lineage", "people", "jobs", "environment"],
            "properties": {
                "lineage": {"type": "object"},
                "people": {"type": "object", "required": ["owner", "created_at"]},
                "jobs": {"type": "array", "items": _job},
                "environment": {"type": "object", "required": ["platform_version", "measured_by", "renderer"],
                                "properties": {"platform_version": {"type": "string"},
                                               "renderer": {"type": "object", "required": ["host", "libraries"]}}},
            },
        },
        "tables": {"type": "object", "additionalProperties": _table},
        "metrics": {"type": "object", "additionalProperties": _metric},
        "deltas": {"type": "array", "items": _delta},
        "plots": {"type": "array", "items": _plot},
        "summary": {"type": "object", "required": ["status", "headline", "findings"],
                    "properties": {"status": _light, "headline": {"type": "string"},
                                   "findings": {"type": "array", "items": {
                                       "type": "object", "required": ["light", "text"],
                                       "properties": {"light": _light, "text": {"type": "string"}}}}}},
        "notes": {"type": "array", "items": {"type": "string"}},
    },
}


def snapshot_errors(snapshot: dict) -> list[str]:
    """Every way `snapshot` breaks the schema, as 'path: message' strings (empty when it is valid)."""
    validator = jsonschema.Draft202012Validator(REPORT_SCHEMA)
    return [f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
            for error in sorted(validator.iter_errors(snapshot), key=lambda e: [str(p) for p in e.absolute_path])]
