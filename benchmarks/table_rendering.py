"""Time of the terminal table (result_formats.render_table) against rich's own Table layout, on the
same rows in the same run, for a few row counts; and the CSV serializer as the floor.

Usage:
    .venv/bin/python benchmarks/table_rendering.py [--rows 1000 10000 126000] [--width 80] [--rich-max 10000]

Rows hold an exd: IRI, a label mixing Chinese and English (so the widths are not ASCII) and a type.
At --width the label column must wrap. rich's Table is timed up to --rich-max rows only (it takes
about a millisecond a row); larger counts show "-" there.
"""

from __future__ import annotations

import argparse
import io
import time

import pyoxigraph as ox

from exodus_kg.query.result_formats import render_table

COLUMNS = ["entity", "label", "type"]


def rows_of(count: int) -> list[list[str]]:
    return [
        [f"exd:entity-{i}", f"適道 label number {i}, with some English words", "exo:Person"]
        for i in range(count)
    ]


def with_rich(rows: list[list[str]], width: int) -> str:
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0))
    for name in COLUMNS:
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(*row)
    console = Console(file=io.StringIO(), width=width, color_system=None, markup=False, highlight=False)
    console.print(table)
    return console.file.getvalue()


def as_csv(rows: list[list[str]]) -> bytes:
    store = ox.Store()
    values = " ".join(f'("{row[0]}" "{row[1]}" "{row[2]}")' for row in rows)
    return store.query(f"SELECT * {{ VALUES (?entity ?label ?type) {{ {values} }} }}").serialize(
        format=ox.QueryResultsFormat.CSV
    )


def timed(function, *args) -> float:
    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 10000, 126000])
    parser.add_argument("--width", type=int, default=80)
    parser.add_argument("--rich-max", type=int, default=10000)
    args = parser.parse_args()
    print(f"{'rows':>8}  {'render_table':>12}  {'rich Table':>10}  {'ratio':>6}  {'csv':>7}")
    for count in args.rows:
        rows = rows_of(count)
        ours = timed(render_table, COLUMNS, rows, args.width)
        theirs = timed(with_rich, rows, args.width) if count <= args.rich_max else None
        csv_time = timed(as_csv, rows)
        rich_text = f"{theirs:>9.2f}s" if theirs is not None else f"{'-':>10}"
        ratio = f"{theirs / ours:>5.1f}x" if theirs is not None else f"{'-':>6}"
        print(f"{count:>8}  {ours:>11.2f}s  {rich_text}  {ratio}  {csv_time:>6.2f}s")


if __name__ == "__main__":
    main()
