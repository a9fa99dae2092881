"""Checks that stand between an uploaded file and the registry: archives, datasets, model files."""
