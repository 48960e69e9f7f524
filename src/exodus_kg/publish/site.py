"""A static site of the graph that works offline: `exodus site -o DIR` (and `exodus serve`, which serves it).

Pages, all from the built graph through Jinja2 templates (``publish/templates/``):

- ``index.html``: what the graph is, the pictures, counts, links;
- ``entity/SLUG.html``: one per person, organization, product, work, technology, place: labels in
  English and Chinese, the Wikidata item, and every statement about it grouped by kind, each with a
  certainty badge, its Chinese evidence quote linked to the passage of the article, and its English gloss;
- ``query/NAME.html``: one per saved query: its description, its SPARQL and its result;
- ``article.html``: the article, every passage anchored and linked back to the statements citing it;
- ``sparql.html``: the query UI (YASGUI, shipped in ``static/``), live only under `exodus serve`.

Nothing is loaded from another host: styles, scripts and pictures are files of the site.

>>> report = build_site(project, store, Path("site"))  # doctest: +SKIP
>>> report.pages  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from exodus_kg.errors import InputError
from exodus_kg.query.engine import PREFIXES, compact_iri, run_library_query, run_query
from exodus_kg.rdf.namespaces import EXD
from exodus_kg.rdf.query_files import package_query

PACKAGE = Path(__file__).resolve().parent
TEMPLATES = PACKAGE / "templates"
STATIC = PACKAGE / "static"
SITE_PICTURES = ("diaspora", "timeline", "money", "ontology-statements", "ontology-agents", "ontology-quantities")
MAX_RESULT_ROWS = 500


@dataclass
class SiteReport:
    pages: int = 0
    entities: int = 0
    queries: int = 0
    pictures: int = 0
    pictures_left_out: str = ""  # why, when Graphviz is missing
    seconds: float = 0.0
    files: list[str] = field(default_factory=list)


def _environment():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def slug(iri: str) -> str:
    """The page name of an entity: its exd: slug, else a safe form of the IRI."""
    tail = iri[len(EXD):] if iri.startswith(EXD) else iri
    return "".join(char if char.isalnum() or char in "-_." else "_" for char in tail).strip(".") or "_"


def _values(row) -> list[str | None]:
    return [None if term is None else term.value for term in row]


def _certainty_name(compact: str) -> str:
    return compact.split(":", 1)[-1]


def firm_certainties(store: ox.Store) -> set[str]:
    """The local names of the certainties firm enough to state a fact (``stated``, ``reported``)."""
    return {row[0].value.rsplit("/", 1)[-1] for row in run_library_query(store, "firm-certainties").rows()}


def collect_entities(store: ox.Store) -> list[dict]:
    entities = []
    for iri, kind, en, zh, item, alts in (_values(row) for row in run_library_query(store, "site-entities").rows()):
        entities.append(
            {
                "iri": iri,
                "slug": slug(iri),
                "kind": kind,
                "en": en or compact_iri(iri),
                "zh": zh,
                "wikidata": item,
                "qid": item.rsplit("/", 1)[-1] if item else None,
                "alt": sorted(a for a in (alts or "").split("\u001f") if a),
            }
        )
    return entities


def _entity_page(store: ox.Store, entity: dict, pages: dict[str, str], firm: set[str]) -> dict:
    from exodus_kg.query.entity_view import describe_entity

    view = describe_entity(store, entity["iri"])
    groups: dict[str, list[dict]] = defaultdict(list)
    for statement in view.statements:
        kind = ", ".join(t.split(":", 1)[-1] for t in statement.types) or "Statement"
        certainty = [_certainty_name(c) for c in statement.certainty]
        groups[kind].append(
            {
                "anchor": slug(statement.iri),
                "iri": statement.iri,
                "gloss": statement.label or compact_iri(statement.iri),
                "roles": [r.split(":", 1)[-1] for r in statement.roles],
                "certainty": certainty,
                "firm": all(c in firm for c in certainty),
                "asserted_by": [
                    {"name": a, "href": pages.get(a)} for a in statement.asserted_by
                ],
                "evidence": [
                    {"quote": e.quote, "passage": e.passage.split(":", 1)[-1] if e.passage else None}
                    for e in statement.evidence
                ],
            }
        )
    return {
        "entity": entity,
        "types": [t.split(":", 1)[-1] for t in view.types],
        "labels": view.labels,
        "alt_labels": view.alt_labels,
        "groups": sorted(groups.items()),
        "count": len(view.statements),
    }


def _article(store: ox.Store, pages: dict[str, str]) -> list[dict]:
    citations: dict[str, dict[str, dict]] = defaultdict(dict)
    for passage, statement, label, certainty, entity in (
        _values(row) for row in run_library_query(store, "site-citations").rows()
    ):
        item = citations[passage].setdefault(
            statement, {"gloss": label or compact_iri(statement), "certainty": certainty or "", "href": None}
        )
        if item["href"] is None and entity and compact_iri(entity) in pages:
            item["href"] = f"{pages[compact_iri(entity)]}#{slug(statement)}"
    passages = []
    for passage, index, text, reason in (_values(row) for row in run_library_query(store, "site-passages").rows()):
        passages.append(
            {
                "anchor": passage.rsplit("/", 1)[-1],
                "index": int(index),
                "text": text,
                "reason": reason,
                "citations": sorted(citations.get(passage, {}).values(), key=lambda c: c["gloss"]),
            }
        )
    return passages


def _query_page(store: ox.Store, saved, pages: dict[str, str]) -> dict:
    from exodus_kg.query.saved_queries import to_oxigraph_substitutions

    page = {"query": saved, "columns": [], "rows": [], "boolean": None, "error": None, "truncated": False}
    try:
        bound = saved.bind({}, PREFIXES)
    except Exception as error:  # a query that needs a value shows its text, not a result
        page["error"] = str(error)
        return page
    outcome = run_query(store, saved.text, substitutions=to_oxigraph_substitutions(bound),
                        source=str(saved.path), timeout=120)
    prefixes = {**PREFIXES, **saved.prefixes()}
    if outcome.form == "ASK":
        page["boolean"] = outcome.boolean
    elif outcome.form == "SELECT":
        solutions = outcome.solutions()
        page["columns"] = [variable.value for variable in solutions.variables]
        for number, solution in enumerate(solutions):
            if number >= MAX_RESULT_ROWS:
                page["truncated"] = True
                break
            page["rows"].append([_cell(solution[name], prefixes, pages) for name in page["columns"]])
    else:
        page["columns"] = ["subject", "predicate", "object"]
        for triple in outcome.triples[:MAX_RESULT_ROWS]:
            page["rows"].append([_cell(t, prefixes, pages) for t in (triple.subject, triple.predicate, triple.object)])
        page["truncated"] = len(outcome.triples) > MAX_RESULT_ROWS
    return page


def _cell(term, prefixes: dict[str, str], pages: dict[str, str]) -> dict:
    if term is None:
        return {"text": "", "href": None, "lang": None}
    if isinstance(term, ox.NamedNode):
        compact = compact_iri(term.value, prefixes)
        page = pages.get(compact_iri(term.value))
        href = f"../{page}" if page else None
        return {"text": compact, "href": href, "lang": None}
    if isinstance(term, ox.Literal):
        return {"text": term.value, "href": None, "lang": term.language}
    return {"text": str(term), "href": None, "lang": None}


def query_ui_config(queries) -> dict:
    """The query page's configuration: the saved queries, and the opening query with the project's
    prefixes."""
    return {
        "examples": [{"name": q.name, "summary": q.summary, "query": q.text} for q in queries],
        "default": package_query("query-ui-default"),
    }


def build_site(project, store: ox.Store, output: str | Path, *, stats: dict | None = None) -> SiteReport:
    """Write the whole site into ``output`` (replaced atomically: built in a temporary folder beside it,
    then renamed into place, so a failed build leaves the previous site)."""
    from exodus_kg.publish import pictures
    from exodus_kg.query.saved_queries import discover

    started = time.perf_counter()
    output = Path(output)
    parent = output.parent if str(output.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{output.name}-", dir=parent))
    except OSError as error:
        raise InputError(f"{output}: cannot write the site ({error.strerror or error})") from None
    report = SiteReport()
    try:
        env = _environment()
        entities = collect_entities(store)
        pages = {compact_iri(e["iri"]): f"entity/{e['slug']}.html" for e in entities}
        queries = discover(project)

        def write(relative: str, template: str, **context) -> None:
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            depth = relative.count("/")
            html = env.get_template(template).render(root="../" * depth, **context)
            target.write_text(html, encoding="utf-8")
            report.files.append(relative)
            report.pages += 1

        shutil.copytree(STATIC, staging / "static")
        (staging / "pictures").mkdir()
        drawn = []
        try:
            for name in SITE_PICTURES:
                dot = pictures.draw_dot(store, name)
                (staging / "pictures" / f"{name}.svg").write_bytes(pictures.render(dot, "svg"))
                drawn.append({"name": name, "description": pictures.PICTURES[name][1]})
        except pictures.GraphvizMissing as error:
            # The pages matter more than the pictures: a machine without Graphviz still gets them.
            drawn = []
            report.pictures_left_out = str(error)
        report.pictures = len(drawn)

        firm = firm_certainties(store)
        for entity in entities:
            write(f"entity/{entity['slug']}.html", "entity.html", **_entity_page(store, entity, pages, firm))
        report.entities = len(entities)
        for saved in queries:
            write(f"query/{saved.name}.html", "query.html", **_query_page(store, saved, pages))
        report.queries = len(queries)
        passages = _article(store, pages)
        write("article.html", "article.html", passages=passages)
        by_kind: dict[str, list[dict]] = defaultdict(list)
        for entity in entities:
            by_kind[entity["kind"]].append(entity)
        write(
            "sparql.html",
            "sparql.html",
            config=json.dumps(query_ui_config(queries), ensure_ascii=False).replace("</", "<\\/"),
        )
        write(
            "index.html",
            "index.html",
            pictures=drawn,
            pictures_left_out=report.pictures_left_out,
            kinds=sorted(by_kind.items()),
            queries=queries,
            stats=stats or {},
            passages=len(passages),
            cited=sum(1 for p in passages if p["citations"]),
        )
        if output.is_dir():
            old = Path(tempfile.mkdtemp(prefix=f".{output.name}-old-", dir=parent))
            os.replace(output, old / output.name)
            os.replace(staging, output)
            shutil.rmtree(old, ignore_errors=True)
        elif output.exists():
            raise InputError(f"{output}: exists and is not a folder; give a folder for the site")
        else:
            os.replace(staging, output)
    except OSError as error:
        raise InputError(f"{output}: cannot write the site ({error.strerror or error})") from None
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    report.seconds = time.perf_counter() - started
    return report


def graph_stats(store: ox.Store) -> dict:
    """Counts for the index page: triples per named graph and statements per certainty."""
    graphs = {compact_iri(g.value): int(n.value) for g, n in run_library_query(store, "stats-graphs").rows()}
    certainty = {
        _certainty_name(compact_iri(c.value)): int(n.value) for c, n in run_library_query(store, "stats-certainty").rows()
    }
    return {"graphs": graphs, "certainty": certainty, "statements": sum(certainty.values())}
