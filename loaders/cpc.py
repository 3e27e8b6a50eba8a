"""CPC symbols: parsing, normalising, and the hierarchy the graph stores.

A CPC symbol such as `G06N3/084` names five levels: section `G`, class `G06`, subclass `G06N`,
main group `G06N3/00` and subgroup `G06N3/084`. Sources write it in several ways (`G06N 3/084`,
`G06N3/084`, `G06N  3/08`, `g06n0003/084`); all normalise to the compact upper-case form without
spaces or leading zeros in the main-group number. A symbol whose subgroup is `00` *is* the main
group, not a child of it.

The finer "dot" levels between a main group and its subgroups are not in the sources this
loader reads, so a subgroup's parent is its main group.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

SECTION, CLASS, SUBCLASS, MAIN_GROUP, SUBGROUP = "section", "class", "subclass", "main_group", "subgroup"
LEVELS = (SECTION, CLASS, SUBCLASS, MAIN_GROUP, SUBGROUP)

# Official CPC section titles: g_cpc_title has no section rows, and there are only nine.
SECTION_TITLES = {
    "A": "Human necessities",
    "B": "Performing operations; transporting",
    "C": "Chemistry; metallurgy",
    "D": "Textiles; paper",
    "E": "Fixed constructions",
    "F": "Mechanical engineering; lighting; heating; weapons; blasting",
    "G": "Physics",
    "H": "Electricity",
    "Y": "General tagging of new technological developments; general tagging of cross-sectional "
         "technologies spanning over several sections of the IPC; technical subjects covered by "
         "former USPC cross-reference art collections [XRACs] and digests",
}

_SYMBOL = re.compile(
    r"^(?P<section>[A-HY])(?:(?P<klass>\d{2})(?:(?P<subclass>[A-Z])"
    r"(?:(?P<group>\d{1,4})/(?P<subgroup>\d{2,6}))?)?)?$"
)
_SPACES = re.compile(r"\s+")


class CpcError(ValueError):
    """A string that is not a CPC symbol."""


@dataclass(frozen=True)
class CpcCode:
    """A normalised CPC symbol and its place in the hierarchy."""

    code: str
    level: str
    parent: str | None

    def lineage(self) -> list["CpcCode"]:
        """This code and its ancestors, most general first (section ... this code)."""
        chain = [self]
        while chain[-1].parent is not None:
            chain.append(parse_cpc(chain[-1].parent))
        return chain[::-1]


@lru_cache(maxsize=1 << 16)
def parse_cpc(text: str) -> CpcCode:
    """Parses and normalises one CPC symbol; raises CpcError for anything else.

    Cached: a load sees a few hundred thousand distinct codes in hundreds of millions of rows.
    """
    compact = _SPACES.sub("", text).upper()
    match = _SYMBOL.match(compact)
    if match is None:
        raise CpcError(f"{text!r} is not a CPC symbol (expected e.g. G06N3/084, G06N 3/084, G06N)")
    section, klass, subclass, group, subgroup = match.group("section", "klass", "subclass", "group", "subgroup")
    if klass is None:
        return CpcCode(section, SECTION, None)
    class_code = section + klass
    if subclass is None:
        return CpcCode(class_code, CLASS, section)
    subclass_code = class_code + subclass
    if group is None:
        return CpcCode(subclass_code, SUBCLASS, class_code)
    number = str(int(group))
    if number == "0":
        raise CpcError(f"{text!r} is not a CPC symbol (main group 0)")
    main = f"{subclass_code}{number}/00"
    if subgroup == "00":
        return CpcCode(main, MAIN_GROUP, subclass_code)
    return CpcCode(f"{subclass_code}{number}/{subgroup}", SUBGROUP, main)


_PREFIX = re.compile(r"^(?P<head>[A-HY](?:\d(?:\d[A-Z]?)?)?)(?P<group>\d{1,4})?(?P<rest>/\d{0,6})?$")


def normalise_prefix(text: str) -> str:
    """A user's CPC prefix (`g06n`, `G06N 3/`, `H04L`) in the compact form codes are stored in.

    Prefixes match normalised codes as strings: `G06N3` matches G06N3/084 and G06N30/00,
    `G06N3/` only main group 3.
    """
    match = _PREFIX.match(_SPACES.sub("", text).upper())
    if match is None or (match["group"] and len(match["head"]) < 4) or (match["rest"] and not match["group"]):
        raise CpcError(f"{text!r} is not a CPC prefix (expected e.g. G06N, G06F16, H04L9/)")
    group = str(int(match["group"])) if match["group"] else ""
    return match["head"] + group + (match["rest"] or "")
