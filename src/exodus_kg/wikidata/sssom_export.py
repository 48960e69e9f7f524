"""The Wikidata links as an SSSOM mapping set (Simple Standard for Sharing Ontological Mappings): a TSV
table of mappings under a YAML metadata block, the form `sssom validate` (sssom-py) and other mapping
tools read.

The mapping-set metadata (id, licence, curie map, and how a confidence level becomes a number) is data,
``data/sssom-mapping-set.json``; each row comes from a link and its verification record in
``triples/links/``: the SKOS mapping property as predicate, ``semapv:ManualMappingCuration`` as
justification (every QID was checked by hand against stored sources), the record's confidence level as
a number, its ``exo:verifiedOn`` as mapping date, its note as comment and the public files it was
checked against (those with an address) as ``see_also``. The records name no person, so the author is
the project, as ``dcterms:creator`` of the ontology says.

>>> text = sssom_tsv(open_built(find_project()))  # doctest: +SKIP
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from exodus_kg import __version__
from exodus_kg.errors import InputError
from exodus_kg.rdf.query_files import package_query
from exodus_kg.wikidata.links import DATA_DIR

COLUMNS = (
    "subject_id", "subject_label", "predicate_id", "object_id", "object_label", "mapping_justification",
    "confidence", "author_label", "mapping_date", "see_also", "comment",
)  # fmt: skip
JUSTIFICATION = "semapv:ManualMappingCuration"
AUTHOR = "The exodus-kg developers"


@dataclass
class Mapping:
    subject_id: str
    subject_label: str
    predicate_id: str
    object_id: str
    object_label: str
    confidence: float
    mapping_date: str
    comment: str
    see_also: list[str] = field(default_factory=list)

    def cells(self) -> list[str]:
        return [
            self.subject_id, self.subject_label, self.predicate_id, self.object_id, self.object_label,
            JUSTIFICATION, f"{self.confidence:g}", AUTHOR, self.mapping_date, "|".join(self.see_also),
            self.comment,
        ]  # fmt: skip


def load_mapping_set() -> dict:
    path = DATA_DIR / "sssom-mapping-set.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InputError(f"{path}: {error}") from None


def _curie(iri: str, curie_map: dict[str, str]) -> str:
    for prefix, namespace in curie_map.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    raise InputError(f"<{iri}> has no prefix in data/sssom-mapping-set.json's curie_map")


def collect_mappings(store, mapping_set: dict | None = None) -> list[Mapping]:
    """One mapping per link of the built dataset (a pyoxigraph Store), in a stable order."""
    mapping_set = mapping_set or load_mapping_set()
    curie_map, levels = mapping_set["curie_map"], mapping_set["_confidence"]
    mappings: dict[tuple[str, str, str], Mapping] = {}
    for row in store.query(package_query("sssom-mappings"), use_default_graph_as_union=True):
        key = (row["entity"].value, row["mapping"].value, row["item"].value)
        if key not in mappings:
            level = row["confidence"].value
            if level not in levels:
                raise InputError(f"the link of <{key[0]}> has confidence <{level}>, which has no number in data/sssom-mapping-set.json")
            mappings[key] = Mapping(
                subject_id=_curie(key[0], curie_map),
                subject_label=_text(row["label"]),
                predicate_id=_curie(key[1], curie_map),
                object_id=_curie(key[2], curie_map),
                object_label=_text(row["wikidataLabel"]),
                confidence=float(levels[level]),
                mapping_date=row["verifiedOn"].value,
                comment=_text(row["note"]),
            )
        if row["source"] is not None:
            mappings[key].see_also.append(row["source"].value)
    return [mappings[key] for key in sorted(mappings)]


def _text(term) -> str:
    """A cell of the TSV: tabs and line breaks would break the table, so they become spaces."""
    return "" if term is None else " ".join(term.value.split())


def sssom_tsv(store, mapping_set: dict | None = None) -> str:
    """The SSSOM/TSV text: the metadata block as ``#``-prefixed YAML, then the mapping table."""
    mapping_set = mapping_set or load_mapping_set()
    mappings = collect_mappings(store, mapping_set)
    metadata = {key: value for key, value in mapping_set.items() if not key.startswith("_")}
    metadata["mapping_set_version"] = __version__
    lines = []
    for key, value in metadata.items():
        # JSON strings are YAML double-quoted scalars, so every value is written unambiguously.
        if isinstance(value, dict):
            lines.append(f"#{key}:")
            lines.extend(f"#  {name}: {json.dumps(iri, ensure_ascii=False)}" for name, iri in value.items())
        elif isinstance(value, list):
            lines.append(f"#{key}:")
            lines.extend(f"#  - {json.dumps(item, ensure_ascii=False)}" for item in value)
        else:
            lines.append(f"#{key}: {json.dumps(value, ensure_ascii=False)}")
    lines.append("\t".join(COLUMNS))
    lines.extend("\t".join(m.cells()) for m in mappings)
    return "".join(line + "\n" for line in lines)
