""""Did you mean …?" for every name a user can mistype: fields, kinds, environments,
models, presets, references. One wording everywhere; callers add it to their message.
"""
from __future__ import annotations

import difflib
from collections.abc import Iterable

MAX_LISTED = 12   # a short list of known names is shown when nothing is close


def closest(word: str, names: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """The known name `word` is most probably a typo of, if any (case differences count as close)."""
    names = sorted(set(names))
    by_case = [n for n in names if n.lower() == word.lower()]
    if by_case:
        return by_case[0]
    found = difflib.get_close_matches(word, names, n=1, cutoff=cutoff)
    return found[0] if found else None


def did_you_mean(word: str, names: Iterable[str], *, known: str = "known", quote: bool = True) -> str:
    """`; did you mean 'image'?`, else ` (known: a, b, c)` when the list is short, else ``."""
    names = sorted(set(names))
    guess = closest(word, names)
    if guess is not None:
        return f"; did you mean {guess!r}?" if quote else f"; did you mean {guess}?"
    if not names:
        return f" ({known}: none)"
    if len(names) <= MAX_LISTED:
        return f" ({known}: {', '.join(names)})"
    return f" ({known}: {', '.join(names[:MAX_LISTED])}, ...)"
