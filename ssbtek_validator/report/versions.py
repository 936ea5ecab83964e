"""``ssbtek-validate versions``: every pack the tool knows, with the facts a vendor asks first.

Which namespace, live when, closed when, how trustworthy (status), which agencies, and for v6–v8
which LEFI Online versions FK speaks. Built from the packs themselves (pack.toml) and
``xsd/lefi-online/versions.toml``, so the listing can never disagree with what validation uses.
"""

from __future__ import annotations

import json
from typing import TextIO

from ssbtek_validator import __version__
from ssbtek_validator.packs.lefi_online import lefi_facts
from ssbtek_validator.packs.schema_packs import Pack


def pack_entry(pack: Pack) -> dict:
    entry = pack.summary()
    entry["contract_date"] = pack.contract_date.isoformat() if pack.contract_date else None
    entry["lefi_online"] = [v.version for v in lefi_facts().served_by(pack.version)]
    return entry


def entries(packs: dict[int, Pack]) -> list[dict]:
    return [pack_entry(packs[n]) for n in sorted(packs)]


def write_json(packs: dict[int, Pack], stream: TextIO) -> None:
    document = {"tool": {"name": "ssbtek-validator", "version": __version__}, "packs": entries(packs)}
    json.dump(document, stream, ensure_ascii=False, indent=2)
    stream.write("\n")


def write_text(packs: dict[int, Pack], stream: TextIO) -> None:
    rows = entries(packs)
    header = ("pack", "status", "live from", "closed", "namespace")
    table = [header] + [
        (
            row["id"],
            row["status"],
            row["live_from"] or "—",
            row["closed"] or "—",
            row["namespace"],
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(header) - 1)]
    for line, row in zip(table, [None, *rows], strict=True):
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=False)]
        stream.write("  ".join([*cells, line[-1]]).rstrip() + "\n")
        if row is None:
            continue
        stream.write(f"    agencies: {', '.join(row['agencies'])}\n")
        stream.write(f"    operations: {', '.join(row['operations'])}\n")
        if row["lefi_online"]:
            stream.write(f"    FK: LEFI Online {', '.join(row['lefi_online'])} (XML)\n")
        if row["contract_date"]:
            stream.write(f"    contract dated {row['contract_date']} (no go-live date known)\n")
    stream.write(
        "Dates: release notes (v6–v8), contract (v10); '—': no source gives one. Status: official-derived "
        "(from a published contract), provisional (from a reconstruction by others), reconstructed (by us from "
        "the release notes), external (--schemas).\n"
    )


WRITERS = {"text": write_text, "json": write_json}
