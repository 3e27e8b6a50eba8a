"""A compact set of patent ids, small enough to hold all 9 million US patents.

Citations and classifications follow the patents kept, so the loader must answer "was this
patent kept?" for hundreds of millions of rows. A Python set of 9 million strings costs about a
gigabyte; US patent ids are a letter prefix and a number below ~13 million (`11532378`,
`D912345`, `RE49000`, `PP33000`), so one bit per possible number and prefix costs ~2 MB. Ids of
any other shape (`H002345` with leading zeros, foreign publication numbers) go to a plain set.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_NUMBERED = re.compile(r"^([A-Z]{0,3})([1-9]\d{0,7})$")
# Numbers up to 2**25 (33.5 million, 4 MB per prefix) get bits; larger ones go to the plain set.
_MAX_NUMBER = 1 << 25


def _bit(patent_id: str) -> tuple[str, int] | None:
    """(prefix, number) of an id that gets a bit, None for ids kept in the plain set."""
    if patent_id.isdigit() and patent_id.isascii():  # utility patents: most ids, fast path
        if patent_id[0] == "0" or len(patent_id) > 8:
            return None
        number = int(patent_id)
        return ("", number) if number < _MAX_NUMBER else None
    match = _NUMBERED.match(patent_id)
    if match is None:
        return None
    number = int(match[2])
    return (match[1], number) if number < _MAX_NUMBER else None


class IdSet:
    """Membership of patent ids: a bitmap per id prefix, a set for the rest."""

    def __init__(self, ids: Iterable[str] = ()):
        self._bits: dict[str, bytearray] = {}
        self._other: set[str] = set()
        self._count = 0
        for patent_id in ids:
            self.add(patent_id)

    def add(self, patent_id: str) -> bool:
        """Adds `patent_id`; returns False when it was there already."""
        key = _bit(patent_id)
        if key is None:
            if patent_id in self._other:
                return False
            self._other.add(patent_id)
            self._count += 1
            return True
        prefix, number = key
        bits = self._bits.get(prefix)
        if bits is None:
            bits = self._bits[prefix] = bytearray()
        byte, mask = number >> 3, 1 << (number & 7)
        if byte >= len(bits):
            bits.extend(bytes(max(byte + 1 - len(bits), len(bits) // 2)))
        if bits[byte] & mask:
            return False
        bits[byte] |= mask
        self._count += 1
        return True

    def discard(self, patent_id: str) -> bool:
        """Removes `patent_id`; returns False when it was not there."""
        if patent_id not in self:
            return False
        key = _bit(patent_id)
        if key is None:
            self._other.discard(patent_id)
        else:
            self._bits[key[0]][key[1] >> 3] &= ~(1 << (key[1] & 7)) & 0xFF
        self._count -= 1
        return True

    def __contains__(self, patent_id: str) -> bool:
        if patent_id.isdigit() and patent_id.isascii() and patent_id[0] != "0" and len(patent_id) < 9:
            number = int(patent_id)  # the common case, inlined: a utility patent number
            if number < _MAX_NUMBER:
                bits = self._bits.get("")
                return bits is not None and (number >> 3) < len(bits) and bool(bits[number >> 3] & (1 << (number & 7)))
        key = _bit(patent_id)
        if key is None:
            return patent_id in self._other
        bits = self._bits.get(key[0])
        byte = key[1] >> 3
        return bits is not None and byte < len(bits) and bool(bits[byte] & (1 << (key[1] & 7)))

    def __len__(self) -> int:
        return self._count

    @property
    def nbytes(self) -> int:
        """Approximate memory held (bitmaps plus ~70 bytes per id kept in the plain set)."""
        return sum(len(b) for b in self._bits.values()) + 70 * len(self._other)
