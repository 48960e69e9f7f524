"""Pictures of the graph, each a saved query (``sparql/picture-*.rq``) plus a Graphviz renderer.

``exodus draw NAME -o FILE`` writes one as SVG, PNG or DOT. The pictures redraw themselves from the
built graph, so an edit to triples/ shows in the next drawing. Each SVG and PNG carries the SHA-256 of
the DOT text it was drawn from, so a test can tell a committed picture that no longer matches the
graph without depending on the Graphviz version that laid it out.

>>> dot = draw_dot(store, "diaspora")  # doctest: +SKIP
>>> svg = render(dot, "svg")  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import html
import re
import struct
import textwrap
import zlib
from collections import defaultdict
from collections.abc import Callable

import pyoxigraph as ox

from exodus_kg.errors import UsageError
from exodus_kg.query.engine import run_library_query
from exodus_kg.rdf.namespaces import EXD, EXO

OPENAI = EXD + "openai"
SOURCE_KEY = "exodus-kg-dot-sha256"
FORMATS = ("svg", "png", "dot")

FONT = "Noto Sans CJK TC, Noto Sans, DejaVu Sans, sans-serif"
FIRM_COLOUR = "#1f4e79"
HEDGED_COLOUR = "#b35900"
REVERSED_COLOUR = "#777777"


def _value(term) -> str | None:
    return None if term is None else term.value


def _rows(store: ox.Store, name: str, **bindings) -> list[dict[str, str | None]]:
    outcome = run_library_query(store, name, **bindings)
    solutions = outcome.solutions()
    names = [variable.value for variable in solutions.variables]
    return [{name: _value(solution[name]) for name in names} for solution in solutions]


def _slug(iri: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1])


def _q(text: str) -> str:
    """A DOT double-quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _attrs(**attributes: str) -> str:
    return " [" + ", ".join(f"{key}={_q(value)}" for key, value in attributes.items() if value) + "]"


def money(value: str | None, currency: str | None, bound: str | None = None) -> str:
    """``1000000000``, ``USD``, ``more than`` -> ``more than $1B``; the bound stays with the number."""
    if value is None:
        return "amount not given"
    number = float(value)
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if number >= size:
            shown = f"{number / size:.1f}".removesuffix(".0") + suffix
            break
    else:
        shown = f"{number:g}"
    symbol = {"USD": "$"}.get(currency or "", "")
    text = f"{symbol}{shown}" if symbol else f"{shown} {currency or ''}".strip()
    return text if bound in (None, "exact") else f"{bound} {text}"


def _graph(name: str, title: str, rankdir: str = "LR") -> list[str]:
    return [
        f"digraph {_q(name)} {{",
        f'  graph [rankdir={rankdir}, label={_q(title)}, labelloc=t, fontsize=18, fontname={_q(FONT)}, '
        'nodesep=0.25, ranksep=0.5, bgcolor="white"];',
        f'  node [shape=box, style="rounded,filled", fillcolor="#f4f7fb", color="#9fb3c8", fontname={_q(FONT)}, fontsize=11];',
        f'  edge [fontname={_q(FONT)}, fontsize=10, color="#4a6785"];',
    ]


# The diaspora ----------------------------------------------------------------------------------------


def diaspora(store: ox.Store) -> str:
    rows = _rows(store, "picture-diaspora", organization_iri=ox.NamedNode(OPENAI))
    lines = _graph("diaspora", "OpenAI's diaspora: who left, how, and where they went (from the article)")
    lines.append(f"  openai{_attrs(label='OpenAI', fillcolor='#dce8f5', fontsize='14', id='openai')};")
    departures: dict[str, dict] = {}
    targets: dict[str, dict] = {}
    links: dict[tuple[str, str], str] = {}
    for row in rows:
        departure = departures.setdefault(row["departure"], row)
        if row["target"]:
            target = targets.setdefault(row["target"], {"label": row["targetLabel"], "valuations": []})
            if row["value"]:
                valuation = money(row["value"], row["currency"], row["boundLabel"])
                if valuation not in target["valuations"]:
                    target["valuations"].append(valuation)
            links[(departure["person"], row["target"])] = row["link"]
    for departure_iri, row in departures.items():
        person = _slug(row["person"])
        firm = row["firm"] == "true"
        reversed_ = row["reversed"] == "true"
        lines.append(f"  {_q(person)}{_attrs(label=row['personLabel'] or person, id=person)};")
        how = row["howLabel"] if row["howLabel"] not in (None, "unspecified") else "left"
        label = how + (f"\n{row['date']}" if row["date"] else "")
        style, colour = "solid", FIRM_COLOUR
        if reversed_:
            label += "\nreversed: returned"
            style, colour = "dotted", REVERSED_COLOUR
        elif not firm:
            label = f"{row['certaintyLabel']}: {label}"
            style, colour = "dashed", HEDGED_COLOUR
        lines.append(
            f"  openai -> {_q(person)}"
            + _attrs(label=label, style=style, color=colour, fontcolor=colour, id=_slug(departure_iri))
            + ";"
        )
    for target_iri, target in targets.items():
        text = target["label"] or _slug(target_iri)
        if target["valuations"]:
            text += "\nvalued " + " / ".join(target["valuations"])
        lines.append(f"  {_q(_slug(target_iri))}{_attrs(label=text, fillcolor='#e8f3e8', color='#8fbf8f', id=_slug(target_iri))};")
    for (person_iri, target_iri), link in sorted(links.items()):
        label = "moved to" if link == "joined" else "founded"
        lines.append(
            f"  {_q(_slug(person_iri))} -> {_q(_slug(target_iri))}"
            + _attrs(label=label, id=f"{_slug(person_iri)}--{label.replace(' ', '-')}--{_slug(target_iri)}")
            + ";"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


# The timeline ----------------------------------------------------------------------------------------


def timeline(store: ox.Store) -> str:
    rows = _rows(store, "picture-timeline")
    by_date: dict[str, list[dict]] = defaultdict(list)
    seen: set[tuple[str, str]] = set()
    for row in rows:
        key = (row["date"], row["statement"])
        if key in seen:  # a period that starts and ends in the same year is one entry
            continue
        seen.add(key)
        by_date[row["date"]].append(row)
    lines = _graph("timeline", "Timeline of the dated statements, with their certainty", rankdir="TB")
    previous = None
    for date in sorted(by_date):
        cells = [f'<tr><td align="left" bgcolor="#dce8f5"><b>{html.escape(date)}</b></td></tr>']
        for row in by_date[date]:
            text = row["statementLabel"] or _slug(row["statement"])
            if row["which"] in ("start", "end"):
                text = f"({'begins' if row['which'] == 'start' else 'ends'}) {text}"
            wrapped = "<br align='left'/>".join(html.escape(part) for part in textwrap.wrap(text, 70))
            certainty = html.escape(row["certaintyLabel"] or "")
            if row["firm"] == "true":
                cell = f'{wrapped}<br align="left"/><font color="{FIRM_COLOUR}" point-size="9">[{certainty}]</font>'
            else:
                cell = (
                    f'<font color="{HEDGED_COLOUR}"><i>{wrapped}</i></font><br align="left"/>'
                    f'<font color="{HEDGED_COLOUR}" point-size="9"><b>[{certainty}]</b></font>'
                )
            cells.append(f'<tr><td align="left" balign="left">{cell}<br align="left"/></td></tr>')
        table = '<table border="0" cellborder="1" cellspacing="0" cellpadding="4">' + "".join(cells) + "</table>"
        node = "d" + re.sub(r"[^0-9]", "_", date)
        lines.append(f'  {node} [shape=plain, fillcolor="white", id="{node}", label=<{table}>];')
        if previous:
            lines.append(f"  {previous} -> {node} [arrowhead=none, penwidth=2];")
        previous = node
    lines.append("}")
    return "\n".join(lines) + "\n"


# The money --------------------------------------------------------------------------------------------


def money_picture(store: ox.Store) -> str:
    rows = _rows(store, "picture-money", organization_iri=ox.NamedNode(OPENAI))
    lines = _graph("money", "The money: what went into OpenAI, and what its alumni's companies are worth")
    lines.append(f"  openai{_attrs(label='OpenAI', fillcolor='#dce8f5', fontsize='14', id='openai')};")
    agents: set[str] = set()
    valuations: dict[str, list[str]] = defaultdict(list)
    labels: dict[str, str] = {}
    for row in rows:
        agent = _slug(row["agent"])
        labels[agent] = row["agentLabel"] or agent
        amount = money(row["value"], row["currency"], row["boundLabel"])
        if row["part"] == "valuation":
            if amount not in valuations[agent]:
                valuations[agent].append(amount)
            continue
        if agent not in agents:
            agents.add(agent)
            lines.append(f"  {_q(agent)}{_attrs(label=labels[agent], id=agent)};")
        kind = "pledge (promised)" if row["kind"] == "pledge" else row["kind"]
        label = f"{kind}\n{amount}" + (f"\n{row['date']}" if row["date"] else "")
        style, colour = ("dashed", HEDGED_COLOUR) if row["kind"] == "pledge" or row["firm"] != "true" else ("solid", FIRM_COLOUR)
        if row["firm"] != "true":
            label = f"{row['certaintyLabel']}: {label}"
        lines.append(
            f"  {_q(agent)} -> openai"
            + _attrs(label=label, style=style, color=colour, fontcolor=colour, id=_slug(row["statement"]))
            + ";"
        )
    lines.append('  subgraph cluster_alumni { label="Companies founded by OpenAI alumni (valuations)"; '
                 'style="rounded,dashed"; color="#8fbf8f"; fontname="' + FONT + '";')
    for company, amounts in sorted(valuations.items()):
        lines.append(
            f"    {_q(company)}"
            + _attrs(label=f"{labels[company]}\n" + " / ".join(amounts), fillcolor="#e8f3e8", color="#8fbf8f", id=company)
            + ";"
        )
    lines.append("  }")
    for company in sorted(valuations):
        lines.append(f'  openai -> {_q(company)} [style=dotted, arrowhead=none, color="#8fbf8f"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


# The ontology, in three readable parts -----------------------------------------------------------------


def _ontology(store: ox.Store):
    classes: dict[str, dict] = {}
    for row in _rows(store, "picture-ontology-classes"):
        item = classes.setdefault(row["class"], {"label": row["label"], "parents": []})
        if row["parent"]:
            item["parents"].append(row["parent"])
    properties = _rows(store, "picture-ontology-properties")
    return classes, properties


def _descendants(classes: dict[str, dict], root: str) -> list[str]:
    found, changed = {root}, True
    while changed:
        changed = False
        for iri, item in classes.items():
            if iri not in found and any(parent in found for parent in item["parents"]):
                found.add(iri)
                changed = True
    return sorted(found)


def _local(iri: str | None) -> str:
    if iri is None:
        return "any"
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _class_box(iri: str, properties: list[dict], fill: str) -> str:
    rows = [f'<tr><td bgcolor="{fill}"><b>{html.escape(_local(iri))}</b></td></tr>']
    for prop in properties:
        arrow = "→" if prop["kind"] == "object" else ":"
        rows.append(
            f'<tr><td align="left">{html.escape(_local(prop["property"]))} {arrow} '
            f'<i>{html.escape(_local(prop["range"]))}</i></td></tr>'
        )
    table = '<table border="0" cellborder="1" cellspacing="0" cellpadding="3">' + "".join(rows) + "</table>"
    return f'  {_local(iri)} [shape=plain, fillcolor="white", id="{_local(iri)}", label=<{table}>];'


def _by_domain(properties: list[dict], domains) -> defaultdict[str, list[dict]]:
    """The properties whose domain is one of ``domains``, grouped by that domain."""
    own: defaultdict[str, list[dict]] = defaultdict(list)
    for prop in properties:
        if prop["domain"] in domains:
            own[prop["domain"]].append(prop)
    return own


def ontology_statements(store: ox.Store) -> str:
    classes, properties = _ontology(store)
    kinds = _descendants(classes, EXO + "Statement")
    own = _by_domain(properties, kinds)
    lines = _graph("ontology-statements", "Ontology: statements are nodes; each kind and its roles", rankdir="LR")
    lines.append(_class_box(EXO + "Statement", own[EXO + "Statement"], "#dce8f5"))
    for extra in ("Evidence", "Passage", "Article"):
        lines.append(_class_box(EXO + extra, own.get(EXO + extra, []), "#eeeeee"))
    lines.append('  Statement -> Evidence [label="evidence"];')
    lines.append('  Evidence -> Passage [label="passage"];')
    lines.append('  Passage -> Article [label="article"];')
    for kind in kinds:
        if kind == EXO + "Statement":
            continue
        lines.append(_class_box(kind, own[kind], "#f4f7fb"))
        for parent in classes[kind]["parents"]:
            if parent in kinds:
                lines.append(f"  {_local(kind)} -> {_local(parent)} [arrowhead=onormal, color=\"#999999\"];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def ontology_agents(store: ox.Store) -> str:
    classes, properties = _ontology(store)
    agents = _descendants(classes, EXO + "Agent")
    lines = _graph("ontology-agents", "Ontology: agents and organizations, and the direct relations derived between them", rankdir="BT")
    for iri in agents:
        lines.append(f"  {_local(iri)}{_attrs(label=_local(iri), tooltip=classes[iri]['label'] or '', id=_local(iri))};")
        for parent in classes[iri]["parents"]:
            if parent in agents:
                lines.append(f"  {_local(iri)} -> {_local(parent)} [arrowhead=onormal, color=\"#999999\"];")
    between: dict[tuple[str, str], list[str]] = defaultdict(list)
    for prop in properties:
        if prop["domain"] in agents and prop["range"] in agents:
            between[(prop["domain"], prop["range"])].append(_local(prop["property"]))
    for (domain, range_), names in sorted(between.items()):
        label = "\n".join(textwrap.wrap(", ".join(sorted(names)), 40))
        lines.append(
            f"  {_local(domain)} -> {_local(range_)}"
            + _attrs(label=label, style="dashed", color=FIRM_COLOUR, fontcolor=FIRM_COLOUR, constraint="false")
            + ";"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def ontology_quantities(store: ox.Store) -> str:
    classes, properties = _ontology(store)
    quantities = _descendants(classes, EXO + "Quantity")
    own = _by_domain(properties, quantities)
    lines = _graph("ontology-quantities", "Ontology: quantities keep their hedges; statements carry a certainty", rankdir="LR")
    for iri in quantities:
        lines.append(_class_box(iri, own[iri], "#dce8f5"))
        for parent in classes[iri]["parents"]:
            if parent in quantities:
                lines.append(f"  {_local(iri)} -> {_local(parent)} [arrowhead=onormal, color=\"#999999\"];")
    concepts = _rows(store, "picture-concepts")
    for scheme in ("certainty", "bound"):
        members = [row for row in concepts if _local(row["scheme"]) == scheme]
        lines.append(f'  subgraph cluster_{scheme} {{ label="exv:{scheme} (SKOS concept scheme)"; style=rounded; '
                     f'fontname="{FONT}";')
        for row in members:
            node = f"{scheme}_{_local(row['concept']).replace('-', '_')}"
            lines.append(f"    {node}{_attrs(label=row['label'] or _local(row['concept']), fillcolor='#fff6e5', color='#d9b77a')};")
        for row in members:
            if row["broader"]:
                node = f"{scheme}_{_local(row['concept']).replace('-', '_')}"
                lines.append(f"    {node} -> {scheme}_{_local(row['broader']).replace('-', '_')} [label=broader, fontsize=8];")
        lines.append("  }")
    lines.append('  Quantity -> bound_exact [label="bound", lhead=cluster_bound, style=dashed];')
    lines.append('  Statement [label="Statement", fillcolor="#eeeeee"];')
    lines.append('  Statement -> certainty_firm [label="certainty", lhead=cluster_certainty, style=dashed];')
    lines.append('  Statement -> MonetaryAmount [label="amount", style=dashed];')
    lines.append("}")
    return "\n".join(lines) + "\n"


PICTURES: dict[str, tuple[Callable[[ox.Store], str], str]] = {
    "diaspora": (diaspora, "who left OpenAI, how and when, and where they went or what they founded"),
    "timeline": (timeline, "every dated statement in order, each with its certainty"),
    "money": (money_picture, "what went into OpenAI, and the valuations of its alumni's companies"),
    "ontology-statements": (ontology_statements, "the statement kinds and their roles"),
    "ontology-agents": (ontology_agents, "agents, organizations and the direct relations between them"),
    "ontology-quantities": (ontology_quantities, "quantities with bounds, and the certainty scheme"),
}


def draw_dot(store: ox.Store, name: str) -> str:
    """The DOT text of the picture ``name`` drawn from ``store``."""
    if name not in PICTURES:
        raise UsageError(f"no picture named {name!r}; pictures: {', '.join(PICTURES)}")
    return PICTURES[name][0](store)


def dot_digest(dot: str) -> str:
    return hashlib.sha256(dot.encode("utf-8")).hexdigest()


def render(dot: str, output_format: str) -> bytes:
    """Lay out ``dot`` with Graphviz and return SVG or PNG bytes (or the DOT itself), stamped with the
    digest of the DOT text."""
    if output_format == "dot":
        return dot.encode("utf-8")
    if output_format not in FORMATS:
        raise UsageError(f"unknown picture format {output_format!r}; use {', '.join(FORMATS)}")
    import graphviz

    try:
        drawn = graphviz.pipe("dot", output_format, dot.encode("utf-8"), quiet=True)
    except graphviz.ExecutableNotFound:
        raise GraphvizMissing(
            "Graphviz's `dot` program is not installed; install Graphviz (Debian: apt-get install graphviz)"
        ) from None
    except graphviz.CalledProcessError as error:
        detail = " ".join((error.stderr or b"").decode("utf-8", "replace").split())[:300]
        raise UsageError(f"Graphviz could not draw the picture: {detail}") from None
    digest = dot_digest(dot)
    if output_format == "svg":
        text = drawn.decode("utf-8")
        stamp = f"<!-- {SOURCE_KEY}: {digest} -->\n"
        start = text.find("<svg")
        return (text[:start] + stamp + text[start:]).encode("utf-8")
    return _png_with_text(drawn, SOURCE_KEY, digest)


class GraphvizMissing(UsageError):
    """Graphviz's `dot` program is not installed."""


def _png_with_text(png: bytes, key: str, value: str) -> bytes:
    """The PNG with a tEXt chunk ``key``: ``value`` inserted before its end chunk."""
    data = key.encode("latin-1") + b"\0" + value.encode("latin-1")
    chunk = struct.pack(">I", len(data)) + b"tEXt" + data + struct.pack(">I", zlib.crc32(b"tEXt" + data))
    end = png.rfind(b"IEND") - 4
    return png[:end] + chunk + png[end:]


def recorded_digest(picture: bytes) -> str | None:
    """The DOT digest stamped into an SVG or PNG written by :func:`render`."""
    match = re.search(rb"%s(?::\s|\x00)([0-9a-f]{64})" % SOURCE_KEY.encode(), picture)
    return match.group(1).decode() if match else None
