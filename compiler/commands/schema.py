"""`strata schema`: JSON Schema of every kind, for editors (yaml-language-server)."""
from __future__ import annotations

import json
from pathlib import Path

import click

from compiler.schema_export import all_schemas


@click.command("schema")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write <kind>.schema.json files here (default: print every schema as one JSON object).")
def schema_command(out_dir: Path | None) -> int:
    """Print or write the JSON Schema of every kind."""
    schemas = all_schemas()
    if out_dir is None:
        click.echo(json.dumps(schemas, indent=2, sort_keys=True))
        return 0
    out_dir.mkdir(parents=True, exist_ok=True)
    for kind, schema in schemas.items():
        (out_dir / f"{kind.lower()}.schema.json").write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
    click.echo(f"Wrote {len(schemas)} schemas to {out_dir}.")
    return 0
