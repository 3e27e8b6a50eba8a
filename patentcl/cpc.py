"""CPC symbols: parsing, normalising, and the hierarchy the graph stores.

A CPC symbol such as `G06N3/084` names five levels: section `G`, class `G06`, subclass `G06N`,
main group `G06N3/00` and subgroup `G06N3/084`. Sources write it in several ways (`G06N 3/084`,
`G06N3/084`, `G06N  3/08`, `g06n0003/084`); all normalise to the compact upper-case form without
spaces or leading zeros in the main-group number. A symbol whose subgroup is `00` *is* the main
group, not a child of it.

The finer "dot" levels between a main group and its subgroups are not in the sources this
loader reads, so a subgroup's parent is its main group.

This is the one vocabulary of CPC levels every stage speaks: the loader stores it on `:CPC`
nodes, mining checks shared codes with it, training masks and the evaluation votes at its levels.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache

SECTION, CLASS, SUBCLASS, MAIN_GROUP, SUBGROUP = "section", "class", "subclass", "main_group", "subgroup"
LEVELS: tuple[str, ...] = (SECTION, CLASS, SUBCLASS, MAIN_GROUP, SUBGROUP)  # most general first

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
_SEPARATORS = re.compile(r"[;,|]")


class CpcError(ValueError):
    """A string that is not a CPC symbol."""


@dataclass(frozen=True)
class CpcCode:
    """A normalised CPC symbol and its place in the hierarchy."""

    code: str
    level: str
    parent: str | None

    def lineage(self) -> list[CpcCode]:
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


def at_level(code: str, level: str) -> str:
    """A normalised code at a coarser level: `G06N3/084` at subgroup (itself), main_group
    (`G06N3/00`), subclass (`G06N`), class (`G06`) or section (`G`).

    String arithmetic on the normalised form, not a parse: it runs once per code and neighbour
    in every vote. A code already coarser than `level` is returned as it is.
    """
    if level == SUBGROUP:
        return code
    if level == MAIN_GROUP:
        group, sep, _ = code.partition("/")
        return f"{group}/00" if sep else code
    if level == SUBCLASS:
        return code[:4]
    if level == CLASS:
        return code[:3]
    if level == SECTION:
        return code[:1]
    raise CpcError(f"CPC level must be one of {', '.join(LEVELS)}, not {level!r}")


def _quoted_items(inner: str) -> list[str]:
    """Items of a Python or JSON list of quoted strings (CPC codes hold no commas or quotes)."""
    items = []
    for item in inner.split(","):
        item = item.strip()
        if len(item) < 2 or item[0] not in "'\"" or item[-1] != item[0]:
            raise CpcError(f"cpc_codes: {item[:40]!r} in {inner[:80]!r} is not a quoted code")
        items.append(item[1:-1])
    return items


_NORMALISED: dict[str, str] = {}  # code as written -> normalised code (there are few distinct codes)


def parse_code_list(text: str) -> list[str]:
    """The normalised CPC codes of a `cpc_codes` cell, in order, without repeats; raises CpcError.

    The cell is a list literal (`"['G06N3/084', 'G06F16/2255']"`, JSON strings, or JSON objects
    with a `code` key as BigQuery exports them) or a separated string (`G06N3/084; G06F16/2255`).
    """
    text = text.strip()
    if text.startswith("["):
        if not text.endswith("]"):
            raise CpcError("cpc_codes: unterminated list")
        inner = text[1:-1].strip()
        if not inner:
            return []
        if inner.startswith("{"):
            try:
                items = [item["code"] for item in json.loads(text)]
            except (ValueError, TypeError, KeyError):
                raise CpcError("cpc_codes: not a JSON list of objects with a code") from None
        else:
            items = _quoted_items(inner)
    else:
        items = [item for item in _SEPARATORS.split(text) if item.strip()]
    codes: dict[str, None] = {}
    for item in items:
        code = _NORMALISED.get(item)
        if code is None:
            try:
                code = parse_cpc(item).code
            except CpcError as exc:
                raise CpcError(f"cpc_codes: {exc}") from None
            if len(_NORMALISED) < 1_000_000:
                _NORMALISED[item] = code
        codes[code] = None
    return list(codes)
