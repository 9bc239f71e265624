"""Where a crash is injected into compiler.output.write, for the crash-safety tests.

`inject(step, n, crash, patch)` makes `crash()` happen at the n-th occurrence of `step`;
`patch(owner, name, value)` installs the wrappers (monkeypatch.setattr in-process, plain
setattr in a subprocess that SIGKILLs itself).
"""
from __future__ import annotations

import os
from collections.abc import Callable

from compiler.output import spool, write

STEPS = [                    # (step, n): where the crash lands
    ("stage", 1),            # one file staged
    ("stage", 2000),         # about half of the big repo's files staged by one process (the small repo: never)
    ("journal-before", 1),   # everything staged, no journal yet
    ("journal-after", 1),    # journal written, nothing renamed
    ("rename", 1),           # between the renames: no out/ at all
    ("rename", 2),           # new output in place, journal and old output still there
    ("clear-journal", 1),    # journal removed, old output not yet
    ("remove-old", 3),       # part-way through removing the old output
]
DELTA_STEPS = [              # a delta compile's patch of out/ (compiler.output.write.patched_output)
    ("stage", 1),            # one changed file staged
    ("journal-before", 1),   # every changed file staged, no journal yet
    ("journal-after", 1),    # journal written, nothing moved
    ("rename", 1),           # one staged file moved into out/
    ("rename", 2),
    ("delete", 1),           # every staged file but manifest.json moved, one file of a deleted target removed
    ("clear-journal", 1),    # out/ patched (manifest.json too), journal being removed
]


def _after(function: Callable, count: Callable) -> Callable:
    def wrapper(*args, **kwargs):
        result = function(*args, **kwargs)
        count()
        return result
    return wrapper


def inject(step: str, nth: int, crash: Callable[[], None], patch: Callable) -> None:
    seen = {"calls": 0, "armed": step != "remove-old"}

    def counting(function, before=False, arm=False):
        def wrapper(*args, **kwargs):
            seen["calls"] += 1
            if before and seen["calls"] == nth:
                crash()
            result = function(*args, **kwargs)
            if arm:
                seen["armed"], seen["calls"] = True, 0
            elif not before and seen["calls"] == nth:
                crash()
            return result
        return wrapper

    if step == "stage":
        staged = counting(lambda *args: None)   # files written (in a render worker too: each counts its own)
        for name in ("write_file", "link_file"):   # ... and unchanged targets' files linked from out/
            patch(spool, name, _after(getattr(spool, name), staged))
    elif step in ("journal-before", "journal-after"):
        patch(write.State, "write_journal", counting(write.State.write_journal, before=step == "journal-before"))
    elif step == "rename":
        patch(write, "_rename", counting(write._rename))
    elif step == "delete":
        patch(write, "_delete_output", counting(write._delete_output))
    elif step == "clear-journal":
        patch(write.State, "clear_journal", counting(write.State.clear_journal))
    elif step == "remove-old":   # counts the files unlinked once the journal is gone
        patch(write.State, "clear_journal", counting(write.State.clear_journal, arm=True))
        unlink = os.unlink

        def counted_unlink(*args, **kwargs):
            unlink(*args, **kwargs)
            if seen["armed"]:
                seen["calls"] += 1
                if seen["calls"] == nth:
                    crash()
        patch(os, "unlink", counted_unlink)
    else:
        raise ValueError(step)
