"""Stage 6, output: assemble the files, write them atomically, reuse unchanged targets."""
