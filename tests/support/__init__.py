"""What tests build their rows and files with: one set of factories, one convention.

- `rows`: a saved row of each kind, made straight with the ORM (no upload, no worker, no real job): users, datasets,
  model versions, jobs, conversions, training runs, benchmark runs, searches and their individuals.
- `results`: rows with results in them, as a finished job leaves them (a trained run with its epochs and model, a
  measured benchmark, an evaluated search) and reports built from them, for the report tests.
- `dataset_zips`, `model_files`: files to upload (a valid dataset zip and hostile ones; the tiny model as ONNX,
  hostile and broken checkpoints) and `dataset_upload` / `model_upload`, which post one to the API.

Every row factory takes keyword arguments only; the owner is always `owner=` (optional where the row it hangs on has
one: `conversion_row(source=model)` belongs to the model's owner). Names default to unique ones and versions to the
next free one, so a test names only what it checks.
"""
