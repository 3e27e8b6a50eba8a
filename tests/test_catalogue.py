"""The Cypher catalogue: naming, headers, lookup by name/version/dialect, parameter checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from patentcl.catalogue import Catalogue
from patentcl.errors import CatalogueError, QueryError


def _write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _query(name: str, version: int, body: str, *params: str) -> str:
    header = [f"// name: {name}", f"// version: {version}", "// mode: read"]
    header += [f"// param ${p}: test parameter" for p in params]
    return "\n".join(header + [body]) + "\n"


@pytest.fixture
def catalogue(tmp_path: Path) -> Catalogue:
    _write(tmp_path, "demo/pick.v1.cypher", _query("pick", 1, "RETURN 1 AS v"))
    _write(tmp_path, "demo/pick.v2.cypher", _query("pick", 2, "RETURN $x AS v", "x"))
    _write(tmp_path, "demo/pick.v2.neo4j.cypher", _query("pick", 2, "RETURN $x + 0 AS v", "x"))
    _write(tmp_path, "schema/001_a.cypher", "// name: 001_a\n// version: 1\nCREATE INDEX FOR (n:A) ON (n.id);\n")
    _write(
        tmp_path,
        "schema/002_b.falkordb.cypher",
        "// name: 002_b\n// version: 2\nCREATE INDEX FOR (n:B) ON (n.id);\nCREATE INDEX FOR (n:B) ON (n.x);\n",
    )
    return Catalogue(tmp_path)


def test_newest_version_and_dialect_fallback(catalogue: Catalogue) -> None:
    assert catalogue.get("pick", dialect="falkordb").version == 2
    assert catalogue.get("pick", dialect="falkordb").dialect == "portable"
    assert catalogue.get("pick", dialect="neo4j").dialect == "neo4j"
    assert catalogue.get("pick", 1, "neo4j").text.endswith("RETURN 1 AS v\n")
    assert catalogue.versions("pick") == [1, 2]


def test_unknown_name_or_version_is_a_clear_error(catalogue: Catalogue) -> None:
    with pytest.raises(CatalogueError, match="no query named 'nope'.*pick"):
        catalogue.get("nope")
    with pytest.raises(CatalogueError, match=r"no version 7 \(versions: \[1, 2\]\)"):
        catalogue.get("pick", 7)


def test_provenance_names_the_exact_file(catalogue: Catalogue) -> None:
    query = catalogue.get("pick", 2, "neo4j")
    provenance = query.provenance()
    assert provenance["query"] == "pick" and provenance["version"] == 2 and provenance["dialect"] == "neo4j"
    assert provenance["file"] == "demo/pick.v2.neo4j.cypher"
    assert len(provenance["sha256"]) == 64 and provenance["sha256"] != catalogue.get("pick", 2).sha256


def test_migrations_order_and_dialects(catalogue: Catalogue) -> None:
    assert [m.name for m in catalogue.migrations("falkordb")] == ["001_a", "002_b"]
    assert [m.name for m in catalogue.migrations("neo4j")] == ["001_a"]
    assert len(catalogue.migrations("falkordb")[1].statements()) == 2


@pytest.mark.parametrize(
    "relative, text, message",
    [
        ("demo/x.v1.cypher", _query("y", 1, "RETURN 1"), "header says name 'y'"),
        ("demo/x.v1.cypher", _query("x", 2, "RETURN 1"), "header says version '2'"),
        ("demo/x.v1.cypher", _query("x", 1, "RETURN $undeclared"), "not declared in the header: undeclared"),
        ("demo/Bad-Name.cypher", _query("x", 1, "RETURN 1"), "named name.vN"),
    ],
)
def test_bad_files_are_rejected_with_the_path(tmp_path: Path, relative: str, text: str, message: str) -> None:
    path = _write(tmp_path, relative, text)
    with pytest.raises(CatalogueError, match=message) as error:
        Catalogue(tmp_path)
    assert str(path) in str(error.value)


def test_parameters_in_strings_and_comments_do_not_count(tmp_path: Path) -> None:
    _write(tmp_path, "demo/s.v1.cypher", _query("s", 1, "RETURN '$notaparam' AS a, $real AS b // $nor_this", "real"))
    query = Catalogue(tmp_path).get("s")
    assert query.used_params == {"real"}


def test_missing_parameter_is_reported_before_running(catalogue: Catalogue) -> None:
    with pytest.raises(QueryError, match=r"missing parameter\(s\) \$x") as error:
        catalogue.get("pick").check_params({})
    assert "pick.v2.cypher" in str(error.value)


def test_shipped_catalogue_is_well_formed() -> None:
    catalogue = Catalogue()
    names = {q.name for q in catalogue.queries()}
    assert {"migrations_applied", "record_migration", "label_counts", "relationship_counts"} <= names
    assert catalogue.migrations("falkordb")[0].name == "001_keys"
    assert catalogue.migrations("neo4j")[0].name == "001_keys"
