"""The spec against the documents it is written from (``../shared/seeds/``, beside the checkout, not in it).

These run in ``nox -s reference`` (``pytest -m reference``), not in ``nox -s tests``: a clean clone has no
documents to compare with. Without them each test fails, saying where it looked.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from aioclicksend._generated.webhooks import WEBHOOKS
from codegen.coverage import docs_sections

from ..support import SPEC

pytestmark = pytest.mark.reference

ROOT = Path(__file__).resolve().parent.parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"


@pytest.fixture(scope="module")
def reference_lines() -> list[str]:
    """The lines of the ClickSend v3 API reference (``001_…``)."""
    reference = SEEDS / "001_5dfe397238c1fbca.txt"
    assert reference.exists(), f"the API reference is not at {reference}: these checks need the documents"
    return reference.read_text(encoding="utf-8").splitlines()


def test_docs_sections_list_matches_the_reference(reference_lines: list[str]) -> None:
    """openapi/docs-sections.txt is the reference's own list of operation sections."""
    titles = [
        reference_lines[index - 2].strip()
        for index, line in enumerate(reference_lines)
        if line == "Code samples"
    ]
    listed = docs_sections(ROOT / "openapi" / "docs-sections.txt")
    assert [title.removesuffix(" (POST)") for title in listed] == titles


def docs_variables(lines: list[str]) -> dict[str, list[str]]:
    """The variables of each push section of the reference, by the section's title and part."""
    found: dict[str, list[str]] = {}
    for index, line in enumerate(lines):
        if line not in ("Push Inbound SMS", "Push Delivery Receipts"):
            continue
        start = next(at for at in range(index, index + 20) if lines[at].split()[:1] == ["Variable"])
        rows = []
        for row in lines[start + 1 :]:
            if not row.strip():
                break
            rows.append(row)
        names = [row.split()[0] for row in rows]
        constant = next((row.split("'")[1] for row in rows if row.startswith("message_type ")), None)
        part = {"sms": "SMS", "voice": "Voice", "fax": "Fax"}.get(constant or "")
        found[f"{line} ({part})" if part else line] = names
    return found


def test_the_payloads_are_the_docs_variables(reference_lines: list[str]) -> None:
    """Each push's schema lists the variables of its docs section, in the docs' order."""
    sections = docs_variables(reference_lines)
    assert sorted(sections) == sorted(entry.docs_section for entry in WEBHOOKS.values())
    for entry in WEBHOOKS.values():
        assert list(SPEC["components"]["schemas"][entry.schema]["properties"]) == sections[entry.docs_section]
