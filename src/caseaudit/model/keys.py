"""The one identity normalisation of ids, services and teams (contract §1), alone so
that every module can compare names through it (the config's domains, the identities of
``caseaudit.model.identity``) without importing what those modules hold."""

from __future__ import annotations

import re
import unicodedata

#: A run of zeros that leads a run of digits (after NFKC every digit is ASCII).
_LEADING_ZEROS = re.compile(r"(?<![0-9])0+(?=[0-9])")


def identity_key(value: str) -> str:
    """The value as it is compared: Unicode NFKC, every run of whitespace (the
    non-breaking space and every other Unicode space included) one space, trimmed,
    case-folded (contract §1). ``"team 3"``, ``"Team\\u00a03"`` and ``"TEAM 3 "`` are
    one key; ``"Team 03"`` is another."""
    if value.isascii():
        # The same key without Unicode tables: NFKC leaves ASCII as it is and casefold
        # is lower (millions of ids at national scale, issue 21's caseload).
        return " ".join(value.split()).lower()
    text = " ".join(unicodedata.normalize("NFKC", value).split())
    # Case folding can leave text that NFKC changes again (a ligature, a titlecase
    # digraph): normalised once more, the key of a key is the key.
    return unicodedata.normalize("NFKC", text.casefold())


def zeros_ignored(key: str) -> str:
    """``key`` without the leading zeros of its numbers ("00000597" → "597")."""
    return _LEADING_ZEROS.sub("", key)
