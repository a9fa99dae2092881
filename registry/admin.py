"""Registry admin pages, one module per sub-domain (each registers its own ModelAdmin on import)."""
from . import admin_datasets  # noqa: F401  datasets
from . import admin_models  # noqa: F401  models and conversions
