"""Registry admin pages, one module per sub-domain (each registers its own ModelAdmin on import)."""
from .datasets import admin as datasets_admin  # noqa: F401  datasets
from .model_versions import admin as model_versions_admin  # noqa: F401  models and conversions
