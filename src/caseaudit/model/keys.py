"""The one identity normalisation of ids, services and teams (contract §1), alone so
that every module can compare names through it (the config's domains, the identities of
``caseaudit.model.identity``) without importing what those modules hold."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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


#: What ``str.split()`` splits ASCII text at: tab, line feed, vertical tab, form feed,
#: carriage return, the four information separators (U+001C to U+001F) and space.
_ASCII_WHITESPACE = r"[\t\n\x0b\x0c\r\x1c-\x1f ]"


def identity_key_array(values: Sequence[str]) -> pa.StringArray | None:
    """``identity_key`` of each text, in order, as one pyarrow array (None when a text
    is not UTF-8: a lone surrogate); the same keys (one definition, proven equal by
    ``tests/test_identity.py``), at C speed for the usual id. An ASCII text without
    whitespace is left as it is by NFKC, by the whitespace rule and by trimming, and
    casefold of ASCII is lower: its key is pyarrow's ``ascii_lower``; any other text
    goes through ``identity_key``."""
    try:
        array = pa.array(values, type=pa.string())
    except (pa.ArrowException, UnicodeEncodeError):
        return None
    lowered = pc.ascii_lower(array)
    plain = pc.and_(
        pc.string_is_ascii(array),
        pc.invert(pc.match_substring_regex(array, _ASCII_WHITESPACE)),
    )
    others = np.flatnonzero(~plain.to_numpy(zero_copy_only=False))
    if not len(others):
        return lowered
    keys = pa.array([identity_key(values[position]) for position in others.tolist()])
    return pc.replace_with_mask(lowered, pc.invert(plain), keys)


def identity_keys(values: Sequence[str]) -> list[str]:
    """``identity_key`` of each text, in order (``identity_key_array``)."""
    array = identity_key_array(values)
    if array is None:
        return [identity_key(value) for value in values]
    keys: list[str] = array.to_pylist()
    return keys


def zeros_ignored(key: str) -> str:
    """``key`` without the leading zeros of its numbers ("00000597" → "597")."""
    return _LEADING_ZEROS.sub("", key)
