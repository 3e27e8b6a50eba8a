"""What a patent id may hold.

Ids are node keys, printed in summaries and rejects and typed back on the command line
(`patentcl similar US11532378B2`), so one holding a quote, a backslash, a space or a control
character is a broken row (a stray quote of a damaged CSV, a field run into the next one), not
an id: the row is rejected instead of being loaded under a name nobody can type.
"""

from __future__ import annotations

from patentcl.loaders.runner import Rejected

_FORBIDDEN = frozenset("\"'`\\")


def check_id(patent_id: str, field: str) -> str:
    """`patent_id` itself; Rejected naming `field` if it is empty or holds a character an id cannot hold."""
    if patent_id.isalnum():  # nearly every id: digits, or letters and digits
        return patent_id
    if not patent_id:
        raise Rejected(field, f"{field} is empty")
    for char in patent_id:
        if char in _FORBIDDEN or char.isspace() or not char.isprintable():
            raise Rejected(field, f"{field} {patent_id[:40]!r} holds {char!r}, which a patent id cannot hold")
    return patent_id
