"""Incremental state in `.strata/` (compiler/output/state.py's folder): what lets a compile skip work.

- `sealed`: the one file format, a versioned header, a sha256 of the payload and marshal data;
  a corrupt, foreign-version or copied file reads as absent, never as trusted data.
- `snapshot`: every input of the last successful compile by its file metadata; when nothing
  changed, `strata compile` prints the previous summary without importing the pipeline.
- `parsed`: YAML parse results by path and content, shared by a `plan`'s two loads.
- `delta`, `recompile`, `manifest`: the delta compile (only the projects whose resource files
  changed), which reads the previous manifest.json line by line.

Everything here is a cache: deleting `.strata/` only makes the next compile slower.
"""
