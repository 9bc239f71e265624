"""Stage 4, check: specs, references, policies, quota and emitted objects."""
