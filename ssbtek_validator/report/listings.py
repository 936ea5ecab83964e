"""What ``rules``, ``explain`` and ``codes`` print: the rule registry and the code lists, for people.

Each function returns the exit code (0, or 2 for a name that does not exist) so the CLI stays wiring.
"""

from __future__ import annotations

import json
import textwrap
from datetime import date

import click

from ssbtek_validator.packs.codelists import builtin_catalogue
from ssbtek_validator.results.model import EXIT_USAGE
from ssbtek_validator.rules.catalog import all_rules, find


def print_rules(output_format: str = "text") -> int:
    docs = all_rules()
    if output_format == "json":
        fields = ("id", "severity", "versions", "summary", "origin")
        rows = [{name: getattr(doc, name) for name in fields} for doc in docs]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    width = max(len(d.id) for d in docs)
    click.echo(f"{'rule':{width}}  {'severity':13}  {'versions':9}  summary")
    for doc in docs:
        click.echo(f"{doc.id:{width}}  {doc.severity:13}  {doc.versions:9}  {doc.summary}")
    click.echo(f"\n{len(docs)} rules. `ssbtek-validate explain RULE` documents one.")
    return 0


def print_explanation(rule_id: str) -> int:
    doc = find(rule_id.strip().upper())
    if doc is None:
        known = [d.id for d in all_rules()]
        close = [i for i in known if rule_id.upper() in i] or [i for i in known if i.startswith(rule_id.upper()[:9])]
        hint = f" Did you mean {', '.join(close[:6])}?" if close else " `ssbtek-validate rules` lists them."
        click.echo(f"ssbtek-validate: no rule {rule_id!r}.{hint}", err=True)
        return EXIT_USAGE
    click.echo(f"{doc.id}  ({doc.severity}; {doc.versions}; {doc.origin})")
    click.echo(f"\n{doc.summary}\n")
    click.echo(textwrap.fill(doc.explanation, width=100))
    if doc.example:
        click.echo("\nExample:")
        click.echo(textwrap.indent(textwrap.fill(doc.example, width=96), "  "))
    return 0


def print_codes(list_name: str | None, when: date) -> int:
    catalogue = builtin_catalogue()
    if not list_name:
        width = max(len(name) for name in catalogue.lists)
        for name, code_list in sorted(catalogue.lists.items()):
            click.echo(f"{name:{width}}  {len(code_list.valid_codes(when)):3} codes  {code_list.title}")
        click.echo(f"\nas of {when.isoformat()}. `ssbtek-validate codes LIST [--as-of DATE]` prints one.")
        return 0
    code_list = catalogue.lists.get(list_name)
    if code_list is None:
        click.echo(
            f"ssbtek-validate: no code list {list_name!r}; known: {', '.join(sorted(catalogue.lists))}", err=True
        )
        return EXIT_USAGE
    used_by = [b.id for b in catalogue.bindings if list_name in b.lists]
    click.echo(f"{code_list.title} ({code_list.name}, {code_list.status}) as of {when.isoformat()}")
    click.echo(f"source: {code_list.source}")
    if code_list.note:
        click.echo(f"note: {code_list.note}")
    click.echo(f"used by: {', '.join(used_by) or '(no binding)'}\n")
    valid = code_list.as_of(when)
    width = max((len(row.code) for row in code_list.codes), default=4)
    if not valid:
        click.echo(f"(no code of this list is valid on {when.isoformat()})")
    for row in valid:
        click.echo(f"{row.code:{width}}  {row.description or '—'}  [{row.period()}{row.place()}]  ({row.source})")
    others = [row for row in code_list.codes if row not in valid]
    if others:
        click.echo(f"\nnot valid on {when.isoformat()}:")
        for row in others:
            click.echo(f"{row.code:{width}}  {row.description or '—'}  [{row.period()}{row.place()}]  ({row.source})")
    return 0
