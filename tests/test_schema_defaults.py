"""Spec models are built on first use (`defer_build`), and their default instances are made
without validating (`preset`): both only for start-up time, so neither may change a value."""
from __future__ import annotations

import subprocess
import sys

from pydantic import BaseModel

import schemas  # noqa: F401  (every spec model, through the package)
from schemas.base import Spec


def _models() -> list[type[Spec]]:
    found: list[type[Spec]] = []
    pending = [Spec]
    while pending:
        for sub in pending.pop().__subclasses__():
            found.append(sub)
            pending.append(sub)
    return found


def _model_defaults():
    for model in _models():
        for name, field in model.model_fields.items():
            values = field.default if isinstance(field.default, list) else [field.default]
            for value in values:
                if isinstance(value, BaseModel):
                    yield f"{model.__name__}.{name}", value


def test_every_preset_default_is_what_validating_it_gives():
    defaults = list(_model_defaults())
    assert len(defaults) >= 20                       # Resources, Amounts, Cache, Port, ...
    for where, value in defaults:
        validated = type(value).model_validate(value.model_dump(exclude_unset=True))
        assert validated == value, where
        assert validated.model_fields_set == value.model_fields_set, where
        assert validated.model_dump() == value.model_dump(), where


def test_importing_the_schemas_builds_no_validator():
    """What makes a one-file compile or a plan start fast: a model nobody validates is never built."""
    code = ("import schemas\nfrom schemas.base import Spec\n"
            "pending, built = [Spec], []\n"
            "while pending:\n"
            "    for sub in pending.pop().__subclasses__():\n"
            "        pending.append(sub)\n"
            "        built += [sub.__name__] if sub.__pydantic_complete__ else []\n"
            "print(built)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_every_field_type_is_resolved_when_its_module_is_imported():
    """A deferred build resolves nothing by name later: pydantic would look names up in whichever
    frame first validates the model, so every field's type must be complete at import."""
    assert [m.__name__ for m in _models() if not m.__pydantic_fields_complete__] == []
