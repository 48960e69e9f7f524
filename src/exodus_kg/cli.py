"""The `exodus` command line: a thin click layer over the library modules.

Adding a command: define it below with ``@cli.command()``, give it a docstring whose first line is
the summary and an "Example:" block, import library modules inside the function (so that
``exodus query`` does not pay for them), raise ``errors.ExodusError`` subclasses for the user's
mistakes, and add it to README.md (a test checks both).
"""

from __future__ import annotations

import os
import re
import sys

import click

from exodus_kg import __version__
from exodus_kg.errors import EXIT_CODES_HELP, ExodusError, QueryTimeout, error_line, note
from exodus_kg.project import shown_path

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

_abandoned_query = False  # a timed-out query is still running in a daemon thread


class ExodusGroup(click.Group):
    """Turns library errors into one line on stderr and their exit code; lists commands in the
    order they are defined."""

    def list_commands(self, ctx):
        return list(self.commands)

    def invoke(self, ctx):
        global _abandoned_query
        try:
            return super().invoke(ctx)
        except ExodusError as error:
            if isinstance(error, QueryTimeout):
                _abandoned_query = True
            click.echo(error_line(error), err=True)
            ctx.exit(error.exit_code)


class State:
    """What the group options decide for every command; the project is found on first use."""

    def __init__(self, project_dir: str | None):
        self.project_dir = project_dir
        self._project = None

    def project(self):
        if self._project is None:
            from exodus_kg.project import find_project

            self._project = find_project(self.project_dir)
        return self._project


pass_state = click.make_pass_decorator(State)


@click.group(
    cls=ExodusGroup,
    context_settings=CONTEXT_SETTINGS,
    epilog=EXIT_CODES_HELP
    + " The graph sources are found with --project, then EXODUS_PROJECT, then the current folder"
    " or its parents, then the copy installed with the package.",
)
@click.option(
    "--project",
    "project_dir",
    metavar="DIR",
    help="A checkout holding ontology/, triples/ and queries/ to use instead of the installed copy "
    "(default: $EXODUS_PROJECT, else the current folder or its parents, else the installed copy).",
)
@click.version_option(__version__, "-V", "--version", prog_name="exodus")
@click.pass_context
def cli(ctx: click.Context, project_dir: str | None) -> None:
    """exodus: query the knowledge graph of the article on why OpenAI's leaders left.

    \b
    Examples:
      exodus queries
      exodus query alumni-companies
      exodus query evidence-for -p entity exd:sam-altman -f csv
      exodus sparql 'SELECT ?s WHERE { ?s a exo:Departure }'
      exodus show "Sam Altman"
    """
    ctx.obj = State(project_dir)


# Shared option bundles -------------------------------------------------------------------------


def output_format_option(choices: tuple[str, ...], default: str, help_text: str):
    return click.option(
        "-f",
        "--format",
        "output_format",
        type=click.Choice(choices),
        default=default,
        show_default=True,
        help=help_text,
    )


def query_output_options(command):
    """-f/--format, -o/--output, --no-inference, --timeout and --memory-limit: the options of every
    command that runs SPARQL."""
    from exodus_kg.query.run_options import DEFAULT_MEMORY_LIMIT_MB, DEFAULT_TIMEOUT, OUTPUT_FORMATS

    for decorator in reversed(
        (
            click.option(
                "-f",
                "--format",
                "output_format",
                type=click.Choice(OUTPUT_FORMATS),
                default=None,
                help="Output format: table (the default), csv, tsv, json (SPARQL 1.1 JSON results), xml "
                "(SPARQL XML results) or markdown for SELECT; ttl or nt for CONSTRUCT/DESCRIBE (table "
                "means ttl there); ASK prints true or false. With -o and no -f, the file's extension decides.",
            ),
            click.option(
                "-o",
                "--output",
                metavar="FILE",
                help="Write the result to FILE (whole or not at all) instead of standard output; the "
                "format comes from its extension (.csv .tsv .json .srj .xml .srx .md .ttl .nt .txt), "
                "compressed when the name ends in .gz, .bz2 or .xz.",
            ),
            inference_option,
            click.option(
                "--timeout",
                type=click.FloatRange(min=0, min_open=True),
                default=DEFAULT_TIMEOUT,
                show_default=True,
                metavar="SECONDS",
                help="Give up when the query and the writing of its result take longer than this "
                "(exit code 2).",
            ),
            click.option(
                "--memory-limit",
                "memory_limit",
                type=click.FloatRange(min=0, min_open=True),
                default=DEFAULT_MEMORY_LIMIT_MB,
                show_default=True,
                metavar="MB",
                help="Stop the query when the process holds more memory than this (exit code 2).",
            ),
        )
    ):
        command = decorator(command)
    return command


inference_option = click.option(
    "--no-inference",
    is_flag=True,
    help="Leave out the inferred graph (exg:inferred): asserted data, ontology and links only.",
)

class RemoteTimeout(click.ParamType):
    """Seconds for a remote request: finite, more than 0, at most a day (nan, inf and 1e308 are
    usage errors, not tracebacks deep in the socket layer)."""

    name = "seconds"

    def convert(self, value, param, ctx):
        from exodus_kg.errors import UsageError
        from exodus_kg.publish.sparql_client import check_timeout

        try:
            return check_timeout(float(value))
        except (TypeError, ValueError, UsageError):
            from exodus_kg.publish.sparql_client import MAX_TIMEOUT

            self.fail(f"{value!r}: expected a number of seconds, more than 0 and at most {MAX_TIMEOUT:g}", param, ctx)


def remote_timeout_option(help_text: str):
    """--timeout of the commands that call a remote endpoint (push, link --check, federated): a deadline
    for each whole request."""
    return click.option(
        "--timeout",
        type=RemoteTimeout(),
        default=60.0,
        show_default=True,
        metavar="SECONDS",
        help=help_text,
    )


params_option = click.option(
    "-p",
    "--param",
    "params",
    type=(str, str),
    multiple=True,
    metavar="NAME VALUE",
    help="Bind the query parameter NAME (the variable ?_NAME, or ?_NAME_iri for an IRI) to VALUE.",
)


# Helpers ---------------------------------------------------------------------------------------


def _open_store(state: State, no_inference: bool):
    from exodus_kg.pipeline.build import open_store

    return open_store(state.project(), no_inference)


def _table_width() -> int | None:
    from exodus_kg.query.result_formats import table_width

    return table_width()


def _emit(data: bytes) -> None:
    click.echo(data, nl=False)


# Commands --------------------------------------------------------------------------------------


@cli.command("queries")
@output_format_option(("table", "json"), "table", "Output format.")
@click.option("-v", "--verbose", is_flag=True, help="Also print each query's description and file.")
@pass_state
def queries_command(state: State, output_format: str, verbose: bool) -> None:
    """List the saved queries with their summaries and parameters.

    \b
    Example:
      exodus queries
      exodus queries -v -f json
    """
    from exodus_kg.query.saved_queries import discover

    project = state.project()
    found = discover(project)
    if output_format == "json":
        import json

        listing = [
            {
                "name": query.name,
                "summary": query.summary,
                "description": query.description,
                "tags": query.tags,
                "file": str(query.path),
                "params": [
                    {
                        "name": p.name,
                        "type": p.type,
                        "default": p.default,
                        "description": p.description,
                        **({"values": list(p.choices)} if p.choices else {}),
                    }
                    for p in query.params
                ],
            }
            for query in found
        ]
        click.echo(json.dumps(listing, ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo(f"No saved queries in {project.queries_dir}.")
        return
    from exodus_kg.query.engine import compact_iri

    def shown(param, value: str) -> str:
        return compact_iri(value) if param.type == "iri" else value

    width = max(len(query.name) for query in found)
    for query in found:
        click.echo(f"{query.name:<{width}}  {query.summary}")
        if verbose and query.description:
            click.echo(f"{'':<{width}}    {query.description}")
        if verbose:
            click.echo(f"{'':<{width}}    file: {query.path}")
        for param in query.params:
            default = "required" if param.required else f"default {shown(param, param.default)}"
            click.echo(f"{'':<{width}}    -p {param.name} ({param.type}, {default}): {param.description}")
            if verbose and param.choices:
                values = ", ".join(shown(param, choice) for choice in param.choices)
                click.echo(f"{'':<{width}}      one of: {values}")
    click.echo(f"\n{len(found)} saved queries. Run one with: exodus query NAME [-p NAME VALUE]...")


@cli.command("query")
@click.argument("name")
@params_option
@query_output_options
@click.option(
    "--print-query",
    is_flag=True,
    help="Print the query with its parameters bound (VALUES blocks, plain SPARQL 1.1) instead of "
    "running it: it runs unchanged in any engine.",
)
@pass_state
def query_command(
    state: State,
    name: str,
    params: tuple[tuple[str, str], ...],
    output_format: str | None,
    output: str | None,
    no_inference: bool,
    timeout: float,
    memory_limit: float,
    print_query: bool,
) -> None:
    """Run the saved query NAME (see `exodus queries`) over the built graph.

    \b
    Example:
      exodus query alumni-companies
      exodus query evidence-for -p entity exd:sam-altman -f json
      exodus query departures -o departures.csv
      exodus query evidence-for -p entity exd:john-schulman --print-query
    """
    # The same function serves the click-free path of entry_point.main.
    from exodus_kg.query.saved_queries import bind_saved_query, run_saved_query

    if print_query:
        from exodus_kg.query.saved_queries import bound_query_text

        saved, substitutions = bind_saved_query(state.project(), name, list(params))
        _write(bound_query_text(saved, substitutions).encode("utf-8"), output)
        return
    output_format = _output_format(output_format, output)
    max_width = _table_width() if output_format == "table" and not output else None
    data = run_saved_query(
        state.project(), name, list(params), output_format, no_inference, timeout, max_width, memory_limit
    )
    _write(data, output)


@cli.command("sparql")
@click.argument("query")
@params_option
@query_output_options
@pass_state
def sparql_command(
    state: State,
    query: str,
    params: tuple[tuple[str, str], ...],
    output_format: str | None,
    output: str | None,
    no_inference: bool,
    timeout: float,
    memory_limit: float,
) -> None:
    """Run an ad-hoc SPARQL QUERY: the text, @FILE.rq, or - to read standard input.

    The project's prefixes (exo:, exv:, exd:, exg:, rdfs:, skos:, schema:, ...) may be used
    without PREFIX lines. Parameters bind ?_NAME (a string) or ?_NAME_iri (an IRI). The default
    graph is the union of the named graphs, unless the query names its own with FROM.
    An exo: or exv: term the ontology does not define (a typo matches nothing) gets a warning
    on stderr, with the closest defined term.

    \b
    Example:
      exodus sparql 'SELECT ?person WHERE { ?d a exo:Departure ; exo:person ?person }'
      exodus sparql 'SELECT (COUNT(*) AS ?n) FROM exg:asserted WHERE { ?s ?p ?o }'
      exodus sparql @my-query.rq -f csv
      echo 'ASK { exd:openai ?p ?o }' | exodus sparql -
    """
    from exodus_kg.query.engine import PREFIXES, run_query
    from exodus_kg.query.result_formats import render
    from exodus_kg.query.saved_queries import Param, check_value, to_oxigraph_substitutions
    from exodus_kg.rdf.sparql_text import declared_prefixes

    output_format = _output_format(output_format, output)
    text, source = _read_query_argument(query)
    bound = []
    for name, value in params:
        name = name.lstrip("?$").removeprefix("_")
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
            raise _usage(f"-p {name!r}: a parameter name is letters, digits and _ (the query uses it as ?_NAME)")
        is_iri = name.endswith("_iri")
        param = Param(name.removesuffix("_iri") if is_iri else name, "iri" if is_iri else "string", None, "")
        bound.append(check_value(param, value, {**PREFIXES, **declared_prefixes(text)}))
    store = _open_store(state, no_inference)
    max_width = _table_width() if output_format == "table" and not output else None
    data = run_query(
        store,
        text,
        substitutions=to_oxigraph_substitutions(bound),
        source=source,
        timeout=timeout,
        prefixes=PREFIXES,
        memory_limit_mb=memory_limit,
        then=lambda outcome: render(outcome, output_format, prefixes=declared_prefixes(text), max_width=max_width),
    )
    from exodus_kg.query.unknown_terms import defined_terms, describe, unknown_terms

    for term in unknown_terms(text, defined_terms(store), PREFIXES):
        click.echo(f"exodus: warning: {describe(term, source)}", err=True)
    _write(data, output)


def _output_format(given: str | None, output: str | None) -> str:
    if output is None:
        return given or "table"
    from exodus_kg.query.result_formats import format_for_file

    return format_for_file(output, given)


def _write(data: bytes, output: str | None) -> None:
    """To standard output, or to the file through a temporary one: a failed or killed run leaves
    no half-written file and the previous one in place."""
    if output is None:
        _emit(data)
        return
    from exodus_kg.rdf.files import compressed_output

    with compressed_output(output) as stream:
        stream.write(data)
    note(f"wrote {len(data)} bytes to {shown_path(output)}")


@cli.command("show")
@click.argument("entity")
@output_format_option(("text", "json"), "text", "Output format.")
@inference_option
@pass_state
def show_command(state: State, entity: str, output_format: str, no_inference: bool) -> None:
    """Show one ENTITY: its types and labels, and every statement about it with certainty and evidence.

    ENTITY is an IRI, a prefixed name (exd:sam-altman), a bare slug (sam-altman) or a label in
    English or Chinese.

    \b
    Example:
      exodus show exd:sam-altman
      exodus show "John Schulman"
      exodus show 馬斯克 -f json
    """
    from exodus_kg.query.entity_view import describe_entity, render_entity, resolve_entity

    store = _open_store(state, no_inference)
    view = describe_entity(store, resolve_entity(store, entity))
    if output_format == "json":
        import json

        click.echo(json.dumps(view.to_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(render_entity(view), nl=False)


@cli.command("stats")
@output_format_option(("table", "json"), "table", "Output format.")
@inference_option
@pass_state
def stats_command(state: State, output_format: str, no_inference: bool) -> None:
    """Count triples per graph (asserted, inferred, links, ontology), statements and entities by type.

    \b
    Example:
      exodus stats
      exodus stats -f json
    """
    from exodus_kg.query.stats import collect_stats, render_stats

    stats = collect_stats(_open_store(state, no_inference))
    if output_format == "json":
        import json

        click.echo(json.dumps(stats.to_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(render_stats(stats, max_width=_table_width()), nl=False)


@cli.command("build")
@click.option("--force", is_flag=True, help="Rebuild even when the cached build is fresh.")
@pass_state
def build_command(state: State, force: bool) -> None:
    """Load, validate and reason over the sources, and cache the built graph.

    Other commands build on demand; this one shows the stages, their timings and the triples
    per graph. The cache is <project>/build/exodus-kg/<hash>/ (or the user cache folder when the
    project cannot be written), keyed by a hash of every input.

    \b
    Example:
      exodus build
      exodus build --force
    """
    from exodus_kg.pipeline.build import build
    from exodus_kg.query.engine import compact_iri

    project = state.project()
    result = build(project, force=force, progress=lambda line: click.echo(f"  {line}"))
    if result.reused:
        click.echo(f"The cached build is fresh (use --force to rebuild): {result.entry}")
    else:
        click.echo(f"Built {result.entry}")
    for graph, count in result.counts.items():
        click.echo(f"  {compact_iri(graph):<14} {count:>8} triples")
    click.echo(f"  {'total':<14} {sum(result.counts.values()):>8} triples")


# Coverage, and the tools for editing the sources (maintain/) --------------------------------------


@cli.command("coverage")
@output_format_option(("table", "json"), "table", "Output format.")
@click.option("--missing", is_flag=True, help="Show only the passages that fail the check.")
@pass_state
def coverage_command(state: State, output_format: str, missing: bool) -> None:
    """List every passage of the article with the statements that cite it.

    A passage is covered when a statement's evidence quotes it, or marked with exo:noCheckableClaim
    and the reason. Exit code 1 when a passage is neither (MISSING) or both (contradictory).

    \b
    Example:
      exodus coverage
      exodus coverage --missing -f json
    """
    from exodus_kg.errors import CheckFailed
    from exodus_kg.query.passage_coverage import coverage_json, coverage_table, passage_coverage

    rows = passage_coverage(_open_store(state, no_inference=True))
    shown = [row for row in rows if not row.ok] if missing else rows
    if output_format == "json":
        import json

        click.echo(json.dumps(coverage_json(shown), ensure_ascii=False, indent=2))
    else:
        from exodus_kg.query.result_formats import render_table

        columns, table = coverage_table(shown)
        click.echo(render_table(columns, table, max_width=_table_width()), nl=False)
    failing = [row for row in rows if not row.ok]
    covered = sum(1 for row in rows if row.status == "covered")
    click.echo(
        f"{covered} passages cited, {sum(1 for r in rows if r.status == 'no-claim')} without a "
        f"checkable claim, {len(failing)} failing, of {len(rows)}.",
        err=True,
    )
    if failing:
        raise CheckFailed(
            f"{len(failing)} passages are neither cited nor marked: "
            + ", ".join(f"p{row.index:03d}" for row in failing)
        )


@cli.command("fmt")
@click.option("--check", is_flag=True, help="Change nothing; exit 1 when a file is not canonical.")
@click.option(
    "--drop-comments",
    is_flag=True,
    help="Rewrite files that have Turtle comments too, naming each comment dropped (without it such a "
    "file is refused: the canonical form keeps no comments).",
)
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@pass_state
def fmt_command(state: State, check: bool, drop_comments: bool, files: tuple[str, ...]) -> None:
    """Rewrite Turtle files canonically and fill the evidence offsets from the article.

    Without FILES: ontology/exodus.ttl, ontology/shapes/*.ttl and triples/**/*.ttl. Evidence nodes with
    exo:passage and exo:quote get exo:start and exo:end (a quote not found once in its passage is left
    for `exodus validate` to report). A file with # comments is refused unless --drop-comments.

    \b
    Example:
      exodus fmt
      exodus fmt --check
    """
    from pathlib import Path

    from exodus_kg.errors import CheckFailed
    from exodus_kg.maintain.turtle_format import format_file

    project = state.project()
    article = project.triples_dir / "source" / "article.txt"
    paths = [Path(f) for f in files] or sorted(
        [
            project.ontology_dir / "exodus.ttl",
            *project.shapes_dir.glob("*.ttl"),
            *project.triples_dir.rglob("*.ttl"),
        ]
    )
    if not check and not drop_comments:
        # Refuse before rewriting anything: a refusal halfway would leave some files rewritten.
        from exodus_kg.maintain.turtle_format import refuse_comments

        refuse_comments(paths)
    not_canonical = []
    for path in paths:
        try:
            result = format_file(path, article, check_only=check, drop_comments=drop_comments)
        except ExodusError:
            raise
        except Exception as error:  # rdflib's parser errors carry the line
            from exodus_kg.errors import InputError

            raise InputError(f"{shown_path(path)}: {error}") from None
        if result.changed:
            not_canonical.append(path)
            verb = "not canonical" if check else f"rewritten ({result.offsets_filled} offsets filled)"
            click.echo(f"{shown_path(path)}: {verb}")
        for line, comment in result.dropped:
            click.echo(f"{shown_path(path)}:{line}: dropped comment: {comment}", err=True)
    if check and not_canonical:
        raise CheckFailed(f"{len(not_canonical)} files are not canonical: run `exodus fmt`")


@cli.command("passages")
@pass_state
def passages_command(state: State) -> None:
    """Regenerate triples/source/passages.ttl from triples/source/article.txt.

    \b
    Example:
      exodus passages
    """
    from exodus_kg.maintain.article_source import passages_graph, read_article_text
    from exodus_kg.maintain.turtle_format import canonical_turtle
    from exodus_kg.rdf.files import write_text_atomically

    source = state.project().triples_dir / "source"
    target = source / "passages.ttl"
    text = canonical_turtle(passages_graph(read_article_text(source / "article.txt")))
    write_text_atomically(target, text)
    click.echo(f"wrote {shown_path(target)}")


@cli.command("gen-vocabulary")
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(dir_okay=False),
    help="File to write; default: the package's own rdf/vocabulary.py, and only when the project is the "
    "checkout the package runs from.",
)
@pass_state
def gen_vocabulary_command(state: State, output: str | None) -> None:
    """Regenerate the package's closed rdflib namespaces (src/exodus_kg/rdf/vocabulary.py) from the
    ontology.

    \b
    Example:
      exodus gen-vocabulary -o vocabulary.py
    """
    from pathlib import Path

    from exodus_kg.errors import UsageError
    from exodus_kg.maintain.namespace_codegen import write_vocabulary
    from exodus_kg.project import PACKAGE_DIR, resource_path

    project = state.project()
    if output is not None:
        target = Path(output)
    elif PACKAGE_DIR.parent.name == "src" and project.root.resolve() == PACKAGE_DIR.parent.parent:
        target = resource_path("rdf", "vocabulary.py")
    else:
        # The module belongs to the code, not to a project: generating it from another project's
        # ontology would silently rewrite the installed (or checked-out) package.
        raise UsageError(
            f"{shown_path(project.root)} is not the checkout the package runs from; "
            "give -o FILE to write the vocabulary elsewhere"
        )
    changed = write_vocabulary(project.ontology_dir / "exodus.ttl", target)
    click.echo(f"{'wrote' if changed else 'up to date:'} {shown_path(target)}")


@cli.command("docs")
@click.option(
    "-o",
    "--output",
    "output_dir",
    default="docs",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder for ontology.html and class-diagram.md.",
)
@pass_state
def docs_command(state: State, output_dir: str) -> None:
    """Generate the ontology's HTML documentation (pyLODE) and its Mermaid class diagram.

    \b
    Example:
      exodus docs
      exodus docs -o /tmp/exodus-docs
    """
    from pathlib import Path

    from exodus_kg.maintain.ontology_docs import write_docs

    for path in write_docs(state.project().ontology_dir / "exodus.ttl", Path(output_dir)):
        click.echo(f"wrote {shown_path(path)}")


@cli.command("check-ontology")
@pass_state
def check_ontology_command(state: State) -> None:
    """Check the ontology as OWL: OWL 2 DL profile (OWL API), HermiT and OWL 2 RL consistency.

    HermiT and owlrl run over the ontology together with the asserted data. Needs Java and Debian's
    libowlapi-java. Exit code 1 when a check fails.

    \b
    Example:
      exodus check-ontology
    """
    from exodus_kg.errors import CheckFailed
    from exodus_kg.maintain.ontology_checks import (
        dl_profile,
        hermit_consistency,
        imported_ontologies,
        owlrl_consistency,
    )
    from exodus_kg.pipeline.build import load_inputs

    project = state.project()
    inputs = load_inputs(project)
    combined = inputs.ontology + inputs.asserted
    for iri in imported_ontologies(combined):
        note(f"owl:imports <{iri}> not followed: the checks never fetch over the network")
    failed = False
    for name, result in (
        ("OWL 2 DL profile", dl_profile(project.ontology_dir / "exodus.ttl")),
        ("HermiT consistency", hermit_consistency(combined)),
        ("OWL 2 RL consistency (owlrl)", owlrl_consistency(combined)),
    ):
        click.echo(f"{name}: {'ok' if result.ok else 'FAILED'}")
        for problem in result.problems:
            click.echo(f"  {problem}")
        failed = failed or not result.ok
    if failed:
        raise CheckFailed("the ontology failed a check")


# Explaining a derived statement (query/explanation.py) --------------------------------------------


@cli.command("explain")
@click.argument("statement", nargs=-1, required=True)
@output_format_option(("text", "json"), "text", "Output format.")
@click.option(
    "--depth",
    type=click.IntRange(0, 10),
    default=4,
    show_default=True,
    help="How many OWL RL steps to follow back from a triple to the statements.",
)
@pass_state
def explain_command(state: State, statement: tuple[str, ...], output_format: str, depth: int) -> None:
    """Explain a derived STATEMENT: the rule, its premises, their certainty and the article's words.

    STATEMENT is a derived node (a conflict of interest), a statement node, or a triple written as
    three words SUBJECT PREDICATE OBJECT (prefixed names, <IRIs> or bare exd: slugs; the predicate may
    be `a`). For a triple, every rule of queries/rules/ that derives it is run again to find the
    premises; OWL RL steps are followed back to the statements.

    \b
    Example:
      exodus explain exd:conflict-sam-altman-openai-reddit
      exodus explain exd:anthropic exo:foundedBy exd:dario-amodei
      exodus explain exd:john-schulman exo:alumnusOf exd:openai -f json
    """
    from exodus_kg.pipeline.reasoning import load_rules
    from exodus_kg.query.explanation import explain, parse_target, render_text, to_json

    project = state.project()
    target = parse_target(statement)
    store = _open_store(state, no_inference=False)
    result = explain(store, target, load_rules(project.rule_files()), max_depth=depth)
    if output_format == "json":
        import json

        click.echo(json.dumps(to_json(result), ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(result), nl=False)


# Validation: SHACL shapes and SPARQL checks (pipeline/validation.py) ------------------------------


@cli.command("validate")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@output_format_option(
    ("text", "ttl", "jsonld", "json"),
    "text",
    "text: readable, grouped by severity and shape; ttl or jsonld: the SHACL validation report; "
    "json: the results as a list.",
)
@pass_state
def validate_command(state: State, files: tuple[str, ...], output_format: str) -> None:
    """Check the graph (and FILES, your own RDF added to it) against the shapes and SPARQL checks.

    Runs the SHACL shapes of ontology/shapes/ and the checks queries/checks/*-violation.rq over the
    asserted data and the Wikidata links, with the ontology mixed in (no inference). FILES may be
    Turtle, N-Triples, N-Quads, TriG, JSON-LD or RDF/XML. Exit code 0 when nothing is a violation
    (warnings are printed), 1 when something is, 2 when a file cannot be read or parsed.

    \b
    Example:
      exodus validate
      exodus validate my-statements.ttl
      exodus validate my-statements.ttl -f json
    """
    from pathlib import Path

    from exodus_kg.pipeline.validation import validate
    from exodus_kg.pipeline.validation_report import ShapeViolations

    outcome = validate(state.project(), [Path(name) for name in files])
    click.echo(outcome.serialize(output_format), nl=False)
    if not outcome.conforms:
        raise ShapeViolations(outcome)


# Export, push and serve (publish/) ----------------------------------------------------------------

EXPORT_FORMAT_NAMES = ("ttl", "nt", "nq", "trig", "jsonld", "xml")  # export.FORMATS, kept cheap to import


@cli.command("export")
@click.option(
    "-f",
    "--format",
    "export_format",
    type=click.Choice(EXPORT_FORMAT_NAMES),
    help="ttl (Turtle), nt (N-Triples) and xml (RDF/XML) merge the named graphs into one graph; nq "
    "(N-Quads), trig (TriG) and jsonld (JSON-LD) keep them. Default: from the -o extension, else ttl.",
)
@click.option(
    "-o",
    "--output",
    # Not click.Path(writable=True): exodus's own writer says what is wrong with the path, and
    # /dev/stdout or a FIFO are fine to write to whoever may read them.
    metavar="FILE",
    help="Write to FILE (atomically: a temporary file in the same folder, renamed when complete; a "
    "device or FIFO is written through) instead of standard output. FILE.gz, .bz2 or .xz is compressed "
    "and the format comes from the rest of the name (x.nq.gz is N-Quads).",
)
@click.option(
    "--asserted-only",
    is_flag=True,
    help="Leave out the inferred graph (exg:inferred): ontology, asserted data and links only.",
)
@pass_state
def export_command(state: State, export_format: str | None, output: str | None, asserted_only: bool) -> None:
    """Write the built graph as Turtle, N-Triples, N-Quads, TriG, JSON-LD or RDF/XML.

    Quad formats keep the four named graphs (exg:ontology, exg:asserted, exg:links, exg:inferred);
    triple formats merge them. JSON-LD is compacted with the context shipped in
    ontology/context.jsonld.

    \b
    Example:
      exodus export -f trig -o exodus.trig
      exodus export -o exodus.jsonld
      exodus export -f nt --asserted-only > asserted.nt
    """
    from exodus_kg.publish import export

    chosen = export.choose_format(export_format, output)
    project = state.project()
    context = export.load_context(project.root)
    store = _open_store(state, no_inference=asserted_only)
    result, data = export.export(store, chosen, output, asserted_only=asserted_only, context=context)
    if data is not None:
        _emit(data)
        return
    from exodus_kg.rdf.files import compression_of

    graphs = f"{len(result.graphs)} named graphs" if chosen.keeps_graphs else "the named graphs merged"
    size = f"{result.bytes} bytes"
    if compression_of(output) and os.path.isfile(output):
        size += f", {compression_of(output)} {os.path.getsize(output)} bytes"
    note(
        f"wrote {result.quads if chosen.keeps_graphs else result.triples} triples ({graphs}) as "
        f"{chosen.title} to {shown_path(output)} ({size})"
    )


@cli.command("void")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the description to this file (written atomically) instead of standard output.",
)
@click.option(
    "-f",
    "--format",
    "void_format",
    type=click.Choice(("ttl", "nt", "rdfxml")),
    default="ttl",
    show_default=True,
    help="Serialization of the description.",
)
@click.option(
    "--endpoint",
    metavar="URL",
    default="http://127.0.0.1:7878/query",
    show_default=True,
    help="The SPARQL endpoint to name (the default is where `exodus serve` answers); '' for none.",
)
@click.option(
    "--dump",
    "dumps",
    metavar="URL",
    multiple=True,
    help="A download of the dataset (an `exodus export` file), as void:dataDump and a DCAT distribution. Repeatable.",
)
@pass_state
def void_command(state: State, output: str | None, void_format: str, endpoint: str, dumps: tuple[str, ...]) -> None:
    """Describe the built dataset in VoID and DCAT: licence, source article, triples per named graph,
    class and property partitions, the SPARQL endpoint and the dumps.

    Catalogues and loaders read it to find what the dataset is and where to get it; `exodus serve`
    answers with it at /.well-known/void. Publish it beside the export it names.

    \b
    Example:
      exodus void
      exodus void --dump https://example.org/exodus.nq.gz -o void.ttl
    """
    from exodus_kg.publish.dataset_description import void_bytes

    data = void_bytes(_open_store(state, no_inference=False), endpoint or None, dumps, void_format)
    if output:
        from exodus_kg.rdf.files import write_atomically

        write_atomically(output, [data])
        note(f"wrote the dataset description ({len(data)} bytes) to {shown_path(output)}")
    else:
        _emit(data)


PICTURE_NAMES = (
    "diaspora", "timeline", "money", "ontology-statements", "ontology-agents", "ontology-quantities",
)  # pictures.PICTURES, kept cheap to import


@cli.command("draw")
@click.argument("name", type=click.Choice(PICTURE_NAMES))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="The picture file; its extension (.svg, .png or .dot) picks the format. Written atomically.",
)
@pass_state
def draw_command(state: State, name: str, output: str) -> None:
    """Draw a picture of the graph with Graphviz: a saved query plus a renderer.

    diaspora: who left OpenAI and where they went; timeline: the dated statements; money: what
    went into OpenAI and the alumni companies' valuations; ontology-statements, ontology-agents,
    ontology-quantities: the ontology in three small parts.

    \b
    Example:
      exodus draw diaspora -o diaspora.svg
      exodus draw timeline -o timeline.png
    """
    from exodus_kg.publish import pictures
    from exodus_kg.rdf.files import write_atomically

    suffix = os.path.splitext(output)[1].lower().lstrip(".")
    if suffix not in pictures.FORMATS:
        raise _usage(f"{output}: give a file ending in .svg, .png or .dot")
    dot = pictures.draw_dot(_open_store(state, no_inference=False), name)
    size = write_atomically(output, [pictures.render(dot, suffix)])
    note(f"drew {name} to {shown_path(output)} ({size} bytes)")


@cli.command("site")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(file_okay=False),
    help="The folder to write the site into (replaced as a whole when the new site is complete).",
)
@pass_state
def site_command(state: State, output: str) -> None:
    """Write a static site of the graph that works offline: entities, saved queries, the article.

    An index with the pictures and counts, a page per entity (labels in English and Chinese, the
    Wikidata item, every statement with its certainty and evidence), a page per saved query (its
    SPARQL and result) and the article with every passage anchored. Open DIR/index.html in a
    browser, or run `exodus serve` for the same site with a live SPARQL page.

    \b
    Example:
      exodus site -o site
    """
    from exodus_kg.publish import site

    store = _open_store(state, no_inference=False)
    report = site.build_site(state.project(), store, output, stats=site.graph_stats(store))
    note(
        f"wrote {report.pages} pages ({report.entities} entities, {report.queries} saved queries) and "
        f"{report.pictures} pictures to {shown_path(output)} in {report.seconds:.1f} s"
    )
    if report.pictures_left_out:
        note(f"warning: no pictures: {report.pictures_left_out}")


@cli.command("push")
@click.option(
    "--endpoint",
    metavar="URL",
    help="Base URL of an Oxigraph-style server: queries go to URL/query, updates to URL/update, Graph "
    "Store requests to URL/store. The three options below override each.",
)
@click.option("--query-endpoint", metavar="URL", help="SPARQL query endpoint (used to count triples).")
@click.option("--update-endpoint", metavar="URL", help="SPARQL 1.1 Update endpoint.")
@click.option("--store-endpoint", metavar="URL", help="SPARQL 1.1 Graph Store HTTP Protocol endpoint.")
@click.option(
    "--graph",
    metavar="IRI",
    help="Push everything into this one named graph instead of the dataset's own named graphs.",
)
@click.option(
    "--replace/--append",
    default=True,
    show_default=True,
    help="Replace each target graph atomically (load a temporary graph, check it, MOVE it into place), "
    "or add to it batch by batch.",
)
@click.option(
    "--protocol",
    type=click.Choice(("auto", "dataset", "update", "gsp")),
    default="auto",
    show_default=True,
    help="dataset: everything in one request (--replace: one SPARQL Update that empties the targets and "
    "inserts the data; --append: N-Quads to the Graph Store endpoint); update: INSERT DATA in batches "
    "through temporary graphs; gsp: Graph Store PUT/POST one graph at a time; auto: dataset for an "
    "Oxigraph-style --endpoint, else update.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=2000,
    show_default=True,
    help="Triples per request (a blank node and all its triples always share a request).",
)
@remote_timeout_option("Give up on a request the store has not answered in this time (exit code 3).")
@click.option(
    "--auth",
    type=click.Choice(("basic", "digest", "bearer")),
    default="basic",
    show_default=True,
    help="HTTP authentication for EXODUS_ENDPOINT_USER/PASSWORD or ~/.netrc: basic or digest "
    "(Virtuoso's /sparql-auth); bearer sends EXODUS_ENDPOINT_TOKEN (used whenever it is set).",
)
@click.option(
    "-H",
    "--header",
    "headers",
    multiple=True,
    metavar="'NAME: VALUE'",
    help="Send this HTTP header with every request (e.g. a store's access token); repeatable. Its value "
    "is never printed.",
)
@click.option("--asserted-only", is_flag=True, help="Leave out the inferred graph (exg:inferred).")
@click.option("-v", "--verbose", is_flag=True, help="Report each batch on stderr as it goes.")
@pass_state
def push_command(
    state: State,
    endpoint: str | None,
    query_endpoint: str | None,
    update_endpoint: str | None,
    store_endpoint: str | None,
    graph: str | None,
    replace: bool,
    protocol: str,
    batch_size: int,
    timeout: float,
    auth: str,
    headers: tuple[str, ...],
    asserted_only: bool,
    verbose: bool,
) -> None:
    """Load the built graph into a SPARQL 1.1 store and check the triple counts there.

    Works with Oxigraph, Apache Jena Fuseki, GraphDB, Virtuoso and Amazon Neptune (docs/publishing.md
    gives each one's endpoints). Credentials come from EXODUS_ENDPOINT_USER and EXODUS_ENDPOINT_PASSWORD,
    ~/.netrc (or $NETRC), EXODUS_ENDPOINT_TOKEN (a bearer token) or --header, and are never printed.
    Exit code 1 when the counts in the store differ from what was sent, 2 for a usage error, 3 when the
    store fails or cannot be reached, 130 when interrupted (Ctrl-C).

    \b
    Example:
      exodus push --endpoint http://127.0.0.1:7878
      exodus push --endpoint http://localhost:3030/exodus --store-endpoint http://localhost:3030/exodus/data
      exodus push --endpoint http://127.0.0.1:7878 --graph https://example.org/exodus --append
    """
    from exodus_kg.pipeline.build import GRAPHS, INFERRED_GRAPH
    from exodus_kg.publish import export, push

    endpoints = push.Endpoints.derive(
        endpoint, query=query_endpoint, update=update_endpoint, store=store_endpoint
    )
    graph = push.resolve_graph_iri(graph) if graph else None
    credentials = push.find_credentials(
        endpoints.update or endpoints.store or endpoints.query,
        scheme=auth,
        headers=[push.parse_header(text) for text in headers],
    )
    store = _open_store(state, no_inference=asserted_only)
    quads = export.dataset_quads(store, asserted_only=asserted_only)
    # A layer of the build with no triples now (no link files, say) must not keep its old triples.
    layers = [g for g in GRAPHS if not (asserted_only and g == INFERRED_GRAPH)]
    if verbose and credentials:
        who = f"as {credentials.user}" if credentials.user else f"by {credentials.scheme if credentials.token else 'header'}"
        note(f"authenticating {who} (from {credentials.source})")
    result = push.push(
        quads,
        endpoints,
        graph=graph,
        clear=layers,
        mode="replace" if replace else "append",
        protocol=protocol,
        batch_size=batch_size,
        timeout=timeout,
        credentials=credentials,
        progress=(lambda event: note(event.message)) if verbose else None,
    )
    click.echo(push.result_summary(result))


@cli.command("serve")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=7878,
    show_default=True,
    help="TCP port; 0 picks a free one.",
)
@click.option(
    "--bind",
    "host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Only loopback addresses unless --allow-remote.",
)
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Allow a non-loopback --bind. The server has no authentication: anyone who reaches the "
    "address can read the graph.",
)
@click.option(
    "--allow-host",
    "allowed_hosts",
    multiple=True,
    metavar="NAME",
    help="Also answer requests whose Host header is NAME (repeatable). Only loopback names and the "
    "--bind address are answered otherwise, which defeats DNS rebinding.",
)
@click.option(
    "--allow-service",
    is_flag=True,
    help="Let queries call a remote SERVICE (the server then fetches from hosts its clients name).",
)
@pass_state
def serve_command(
    state: State, port: int, host: str, allow_remote: bool, allowed_hosts: tuple[str, ...], allow_service: bool
) -> None:
    """Serve the graph on one port: the site, a query UI, SPARQL and reconciliation.

    The SPARQL endpoint is Oxigraph's read-only server behind exodus's front; the default graph of a
    query is the union of the named graphs. Prints the URLs; Ctrl-C stops it.

    \b
    Example:
      exodus serve
      exodus serve --port 8000
    """
    from exodus_kg.pipeline.build import ensure_built
    from exodus_kg.publish import server
    from exodus_kg.publish.dataset_description import DatasetDescription
    from exodus_kg.publish.reconcile import Reconciler

    server.check_bind(host, allow_remote)
    project = state.project()
    entry = ensure_built(project, progress=note)
    store = _open_store(state, no_inference=False)
    site_dir = server.site_folder(entry, project, store, progress=note)
    reconciler = Reconciler.from_store(store)
    description = DatasetDescription.from_store(store)
    del store  # the engine serves the queries; this process keeps no handle on the build's store
    code = server.serve(
        entry,
        host,
        port,
        allow_remote=allow_remote,
        allowed_hosts=allowed_hosts,
        allow_service=allow_service,
        site_dir=site_dir,
        reconciler=reconciler,
        description=description,
        say=click.echo,
        progress=note,
    )
    if code:
        sys.exit(code)


# Wikidata: links, federated queries, QuickStatements (wikidata/) ----------------------------------


@cli.command("link")
@click.option("--unlinked", is_flag=True, help="Show only the entities that have no Wikidata link.")
@output_format_option(("table", "csv", "json", "sssom"), "table", "Output format (sssom: an SSSOM/TSV mapping set).")
@click.option(
    "--check",
    is_flag=True,
    help="Verify every link online: the item exists, a label matches, the kind fits (needs the network).",
)
@click.option(
    "--endpoint",
    metavar="URL",
    default="https://query.wikidata.org/sparql",
    show_default=True,
    help="The Wikidata SPARQL endpoint for --check (a mirror, or a local test server).",
)
@remote_timeout_option("Give up on the endpoint after this long (exit code 3).")
@pass_state
def link_command(
    state: State, unlinked: bool, output_format: str, check: bool, endpoint: str, timeout: float
) -> None:
    """List the people, organizations, products, works, technologies and places with their Wikidata links.

    Each row gives the English and Chinese labels, the QID, the SKOS mapping property and the confidence of
    the verification (docs/wikidata-verification.md). -f sssom writes the links as an SSSOM/TSV mapping
    set (curie map, manual curation, confidence, date and sources from the verification records), the
    form mapping tools and `sssom validate` read. With --check, every link is verified against the
    Wikidata SPARQL endpoint in one query: exit code 1 when a link fails (no such item, a redirect, no
    matching label, a person who is not a human), 3 when the endpoint cannot be reached. A kind that is not
    confirmed for an organization is a warning only.

    \b
    Example:
      exodus link
      exodus link --unlinked -f csv
      exodus link -f sssom > exodus-wikidata.sssom.tsv
      exodus link --check
      exodus link --check --endpoint http://localhost:7878/query
    """
    from exodus_kg.wikidata.links import (
        check_links,
        link_table,
        raise_for_failures,
        render_checks,
        render_links,
        summary_line,
    )

    if output_format == "sssom":
        if unlinked or check:
            raise _usage("-f sssom writes the links themselves; it cannot be combined with --unlinked or --check")
        from exodus_kg.wikidata.sssom_export import sssom_tsv

        click.echo(sssom_tsv(_open_store(state, no_inference=False)), nl=False)
        return
    if check:
        from exodus_kg.publish.sparql_client import check_endpoint_url

        check_endpoint_url(endpoint, "--endpoint")  # before the build, and before it is shown
    rows = link_table(_open_store(state, no_inference=False))
    if not check:
        shown = [row for row in rows if not row.linked] if unlinked else rows
        click.echo(render_links(shown, output_format, max_width=_table_width()), nl=False)
        click.echo(summary_line(rows), err=True)
        return
    if unlinked:
        raise _usage("--check verifies links; it cannot be combined with --unlinked")
    note(f"checking {sum(1 for row in rows if row.linked)} links against {endpoint}")
    checks = check_links(rows, endpoint=endpoint, timeout=timeout)
    click.echo(render_checks(checks, output_format, max_width=_table_width()), nl=False)
    counts = {status: sum(1 for c in checks if c.status == status) for status in ("ok", "warning", "failed")}
    click.echo(f"{counts['ok']} ok, {counts['warning']} warnings, {counts['failed']} failed.", err=True)
    raise_for_failures(checks)


@cli.command("federated")
@click.argument("name", required=False)
@params_option
@click.option(
    "--allow-service",
    is_flag=True,
    help="Let the query call the remote SPARQL services it names (it sends them the values it joins on).",
)
@click.option(
    "--service-endpoint",
    metavar="URL",
    help="Send the query's calls to https://query.wikidata.org/sparql to this endpoint instead (a mirror).",
)
@output_format_option(("table", "csv", "tsv", "json"), "table", "Output format.")
@inference_option
@remote_timeout_option("Give up on a remote call after this long (exit code 3).")
@pass_state
def federated_command(
    state: State,
    name: str | None,
    params: tuple[tuple[str, str], ...],
    allow_service: bool,
    service_endpoint: str | None,
    output_format: str,
    no_inference: bool,
    timeout: float,
) -> None:
    """Run a saved federated query NAME (queries/federated/) that joins this graph with Wikidata.

    Without NAME, list them. They call Wikidata's SPARQL endpoint through SERVICE, once per linked entity,
    so they run only with --allow-service (exit code 2 without it, 3 when the endpoint fails).

    \b
    Example:
      exodus federated
      exodus federated wikidata-people --allow-service
      exodus federated wikidata-companies --allow-service --service-endpoint http://localhost:7878/query
    """
    from exodus_kg.query.result_formats import render
    from exodus_kg.wikidata import federated

    project = state.project()
    if service_endpoint:
        from exodus_kg.publish.sparql_client import check_endpoint_url

        check_endpoint_url(service_endpoint, "--service-endpoint")
    if name is None:
        found = federated.discover(project)
        width = max((len(query.name) for query in found), default=0)
        for query in found:
            click.echo(f"{query.name:<{width}}  {query.summary}")
        click.echo(f"\n{len(found)} federated queries. Run one with: exodus federated NAME --allow-service")
        return
    given: dict[str, str] = {}
    for param_name, value in params:
        if param_name in given:
            raise _usage(f"parameter {param_name} given twice")
        given[param_name] = value
    outcome = federated.run_federated(
        project,
        name,
        given,
        allow_service=allow_service,
        service_endpoints=federated.wikidata_redirect(service_endpoint),
        timeout=timeout,
        inference=not no_inference,
    )
    _emit(render(outcome, output_format, max_width=_table_width()))


@cli.command("quickstatements")
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    help="Write the lines to this file (atomically; a device or FIFO is written through) instead of "
    "standard output.",
)
@click.option(
    "--reference-url",
    metavar="URL",
    help="The article's address, cited as reference URL (S854) in every reference.",
)
@click.option(
    "--stated-in",
    metavar="QID",
    help="The article's Wikidata item, cited as stated in (S248); default: the item exd:article is linked to.",
)
@click.option(
    "--retrieved",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    metavar="DATE",
    help="The day the article was read (S813), as YYYY-MM-DD.  [default: today]",
)
@click.option(
    "--skip-existing",
    is_flag=True,
    help="Leave out the claims Wikidata already holds, asked of --endpoint (needs the network).",
)
@click.option(
    "--endpoint",
    metavar="URL",
    default="https://query.wikidata.org/sparql",
    show_default=True,
    help="The Wikidata SPARQL endpoint for --skip-existing (a mirror, or a local test server).",
)
@remote_timeout_option("Give up on the endpoint after this long (exit code 3).")
@pass_state
def quickstatements_command(
    state: State,
    output: str | None,
    reference_url: str | None,
    stated_in: str | None,
    retrieved,
    skip_existing: bool,
    endpoint: str,
    timeout: float,
) -> None:
    """Export the firm statements between Wikidata-linked entities as QuickStatements (V1) lines.

    Only stated or reported statements whose two ends are linked by skos:exactMatch, through the property
    mappings of src/exodus_kg/data/wikidata-properties.ttl. Each line is one reference to the article:
    stated in (S248) its item, reference URL (S854), title, the exact quote and retrieved (S813); a
    report by a linked outlet adds a reference stated in that outlet. The graph records neither the
    article's address nor an item for it, so --reference-url or --stated-in is required (exit code 2
    without). --skip-existing asks Wikidata which claims it already has (exit code 3 when it cannot).
    Review the lines before pasting them into https://quickstatements.toolforge.org/.

    \b
    Example:
      exodus quickstatements --reference-url https://example.org/article --retrieved 2024-08-06
      exodus quickstatements --reference-url https://example.org/article -o exodus.qs
    """
    import datetime

    from exodus_kg.wikidata.quickstatements import (
        ArticleSource,
        article_item,
        collect_claims,
        existing_claims,
        render,
    )

    store = _open_store(state, no_inference=False)
    source = ArticleSource(
        url=reference_url,
        stated_in=stated_in or article_item(store),
        retrieved=retrieved.date() if retrieved else datetime.date.today(),
    )
    claims, skipped = collect_claims(store, source)
    if skip_existing:
        note(f"asking {endpoint} which of {len(claims)} claims Wikidata already has")
        held = existing_claims(claims, endpoint=endpoint, timeout=timeout)
        for claim in claims:
            if (claim.subject_qid, claim.pid, claim.object_qid) in held:
                click.echo(f"skipped {claim.subject_qid} {claim.pid} {claim.object_qid}: Wikidata already has it", err=True)
        claims = [c for c in claims if (c.subject_qid, c.pid, c.object_qid) not in held]
    text = render([line for claim in claims for line in claim.lines()])
    if output:
        from exodus_kg.rdf.files import write_text_atomically

        write_text_atomically(output, text)
    else:
        click.echo(text, nl=False)
    lines = text.count("\n")
    click.echo(f"{len(claims)} claims, {lines} lines" + (f" written to {output}" if output else "") + ".", err=True)
    for item in skipped:
        click.echo(f"skipped {item.statement}: {item.reason}", err=True)


# Helpers used by the commands above --------------------------------------------------------------


def _usage(message: str):
    from exodus_kg.errors import UsageError

    return UsageError(message)


def _read_query_argument(query: str) -> tuple[str, str]:
    from exodus_kg.standard_streams import read_query_text

    return read_query_text(query)


def main(argv: list[str] | None = None) -> None:
    """Run the click CLI (entry_point.main calls this for everything but a plain `exodus query`)."""
    try:
        cli.main(args=argv, prog_name="exodus")
    except SystemExit as exit_:
        if _abandoned_query:
            # The timed-out query still runs in native code; do not wait for it.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(exit_.code if isinstance(exit_.code, int) else 1)
        raise
