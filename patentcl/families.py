"""Patent families: the same invention filed under several numbers (in several countries, or as
application and grant), grouped so that no split puts one member in train and another in test.

Patents are linked by keys they share; a family is a set of patents linked directly or through
other members (a small union-find over the keys). The only key the loaded data carries is the
abstract: neither the google-patents-ai CSVs nor the PatentsView tables patentcl loads store a
priority or application number. Two abstracts link when their normalised texts are identical;
abstracts shorter than `MIN_WORDS` words after normalising ("FIELD: physics.") say nothing about
the invention and link nothing. A family's key is its smallest patent id, so it depends on the
members alone, never on the order they were read in.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

# The google-patents-ai data has placeholders of 2 to 6 words ("FIELD: medicine.", "FIELD:
# computer technology; processing audio signals.") shared by unrelated patents; its shortest real
# abstracts have 8 ("Techniques related to geometric camera self-calibration quality assessment.").
MIN_WORDS = 7
_NOT_WORD = re.compile(r"[\W_]+")


def normalise(text: str) -> str:
    """Compatibility-normalised, case-folded, every run of punctuation and spacing one space:
    what counts as the same text."""
    return _NOT_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def abstract_key(abstract: str | None) -> str | None:
    """The link key of an abstract (a digest of its normalised text, so a family pass over
    millions of patents keeps 32 bytes per abstract), or None for an empty or very short one."""
    text = normalise(abstract or "")
    if len(text.split(" ")) < MIN_WORDS:
        return None
    return "abstract:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class Families:
    """Union-find over patent ids; `add` links a patent to its keys, `key_of` names its family."""

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}
        self._holder: dict[str, str] = {}  # link key -> a patent carrying it

    def _root(self, patent_id: str) -> str:
        root = self._parent.setdefault(patent_id, patent_id)
        while root != self._parent[root]:
            root = self._parent[root]
        while patent_id != root:  # path compression keeps later look-ups short
            self._parent[patent_id], patent_id = root, self._parent[patent_id]
        return root

    def add(self, patent_id: str, keys: Iterable[str | None] = ()) -> None:
        """Records a patent and links it to every patent that carries one of `keys` (None: no key)."""
        root = self._root(patent_id)
        for key in keys:
            if key is None:
                continue
            other = self._holder.setdefault(key, patent_id)
            other_root = self._root(other)
            if other_root != root:
                # The smaller id stays the root, so a root is always its family's smallest id.
                root, loser = min(root, other_root), max(root, other_root)
                self._parent[loser] = root

    def key_of(self, patent_id: str) -> str:
        """The family key of a recorded patent: the smallest id of its family (its own id if alone)."""
        return self._root(patent_id)

    def keys(self) -> dict[str, str]:
        """The family key of every recorded patent, by id."""
        return {patent_id: self._root(patent_id) for patent_id in self._parent}


def abstract_families(patents: Iterable[tuple[str, str | None]]) -> dict[str, str]:
    """The family key of each (id, abstract), by id: identical normalised abstracts form a family."""
    families = Families()
    for patent_id, abstract in patents:
        families.add(patent_id, (abstract_key(abstract),))
    return families.keys()


def family_figures(keys: dict[str, str]) -> dict[str, int]:
    """How many families of two or more patents there are, and how many patents they hold."""
    sizes: dict[str, int] = {}
    for family in keys.values():
        sizes[family] = sizes.get(family, 0) + 1
    shared = [n for n in sizes.values() if n > 1]
    return {"families": len(shared), "patents_in_families": sum(shared)}
