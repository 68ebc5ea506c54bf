"""``nox -s release``: the next version and its CHANGELOG entry, from the notes under Unreleased, the spec
diff and the public API snapshot's diff against the last release tag (``v*``) or a ref given.

    python -m codegen.release --dry-run [--against REF]   # print the next version and its entry
    python -m codegen.release [--against REF]             # write them to version.py and CHANGELOG.md

It makes no git tag and pushes nothing. The bump is the largest of the spec diff's (codegen.spec_diff,
which classifies each change of the spec), the API snapshot diff's (a removed public name or a changed
signature is breaking, an added one additive) and a patch when there are notes. Semantic versioning with
the spec diff's rule for 0.x: before 1.0 a breaking change bumps the minor version and anything else the
patch. With no release tag yet, the first release is the version in version.py.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import re
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol, cast

from . import api_snapshot
from .git_tree import is_commit, write_folder

ROOT = Path(__file__).resolve().parent.parent
VERSION_FILE = ROOT / "src" / "aioclicksend" / "_core" / "version.py"
CHANGELOG = ROOT / "CHANGELOG.md"
BUMPS = ("patch", "minor", "major")
"""From least to most."""
SECTIONS = ("Added", "Changed", "Deprecated", "Removed", "Fixed", "Security")
"""Keep a Changelog's kinds of change, in its order; an entry's other headings follow them."""
SECTION = re.compile(r"^### (.+)$", re.MULTILINE)
VERSION = re.compile(r'^__version__ = "(?P<version>\d+\.\d+\.\d+)"$', re.MULTILINE)
UNRELEASED = "## [Unreleased]"
LINKS = re.compile(r"^\[Unreleased\]: (?P<repository>https://github\.com/[^/\s]+/[^/\s]+)/\S*$", re.MULTILINE)


class ReleaseError(Exception):
    """The release cannot be drafted; the message says why."""


class SpecReport(Protocol):
    """What the spec diff's ``compare`` answers: the bump (with the 0.x rule) and the entry's sections."""

    @property
    def bump(self) -> str | None: ...

    def markdown(self) -> str: ...


class SpecDiff(Protocol):
    """The parts of ``codegen.spec_diff`` the release uses."""

    SpecDiffError: type[Exception]

    def compare(self, old: str | Path, new: str | Path, *, repo: Path, version: str) -> SpecReport: ...

    def last_release_tag(self, repo: Path) -> str | None: ...


def read_version() -> str:
    match = VERSION.search(VERSION_FILE.read_text(encoding="utf-8"))
    if match is None:
        raise ReleaseError(f'{VERSION_FILE}: no line __version__ = "MAJOR.MINOR.PATCH"')
    return match["version"]


def larger(*bumps: str | None) -> str | None:
    """The largest of the bumps given (None: no change at all)."""
    given = [bump for bump in bumps if bump is not None]
    unknown = [bump for bump in given if bump not in BUMPS]
    if unknown:
        raise ReleaseError(f"unknown version bump {unknown[0]!r}: expected one of {', '.join(BUMPS)}")
    return max(given, key=BUMPS.index, default=None)


def for_version(bump: str | None, version: str) -> str | None:
    """A semantic version bump ("major" breaking, "minor" additive) as it applies to ``version``: before
    1.0, a breaking change bumps the minor and anything else the patch (the spec diff's rule too)."""
    if bump is None or not version.startswith("0."):
        return bump
    return "minor" if bump == "major" else "patch"


def next_version(current: str, bump: str | None) -> str:
    major, minor, patch = (int(part) for part in current.split("."))
    if bump == "major":
        return f"{major + 1}.0.0"
    if bump == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}" if bump == "patch" else current


def export(ref: str, into: Path) -> Path:
    """The package's source as it is at ``ref``, written under ``into`` (its ``src/``)."""
    if not is_commit(ROOT, ref):
        raise ReleaseError(f"{ref!r} names no commit of this repository")
    if not write_folder(ROOT, ref, "src/aioclicksend", into):
        raise ReleaseError(f"{ref} has no src/aioclicksend to compare the public API with")
    return into / "src"


def spec_diff() -> SpecDiff:
    try:
        return cast("SpecDiff", importlib.import_module("codegen.spec_diff"))
    except ModuleNotFoundError as error:
        raise ReleaseError("the spec diff (codegen.spec_diff) is not here yet") from error


def merge(notes: Iterable[str]) -> str:
    """Markdown texts merged by their ``###`` sections (Keep a Changelog's first, in its order); what
    comes before a text's first section leads the whole."""
    leads: list[str] = []
    sections: dict[str, list[str]] = {}
    for text in notes:
        lead, *titled = SECTION.split(text)
        leads.append(lead.strip())
        for title, body in zip(titled[::2], titled[1::2], strict=True):
            sections.setdefault(title.strip(), []).append(body.strip())
    order = [title for title in SECTIONS if title in sections] + [t for t in sections if t not in SECTIONS]
    parts = ["\n\n".join(lead for lead in leads if lead)] + [
        f"### {title}\n\n" + "\n".join(body for body in sections[title] if body)
        for title in order
        if any(sections[title])
    ]
    return "\n\n".join(part for part in parts if part) + "\n"


def unreleased(changelog: str) -> tuple[int, int]:
    """Where the Unreleased section's notes start and end in the CHANGELOG's text."""
    heading = changelog.find(f"\n{UNRELEASED}\n")
    if heading < 0:
        raise ReleaseError(f"CHANGELOG.md has no '{UNRELEASED}' heading")
    start = heading + len(UNRELEASED) + 2
    ends = [changelog.find(marker, start) for marker in ("\n## [", "\n[Unreleased]: ")]
    return start, min((end for end in ends if end >= 0), default=len(changelog))


def written(changelog: str, version: str, date: str, entry: str, previous: str | None) -> str:
    """The CHANGELOG with ``entry`` as version's section under an emptied Unreleased, and its links."""
    start, end = unreleased(changelog)
    text = f"{changelog[:start]}\n## [{version}] - {date}\n\n{entry}{changelog[end:]}"
    links = LINKS.search(text)
    if links is None:
        raise ReleaseError("CHANGELOG.md has no '[Unreleased]: https://github.com/OWNER/NAME/...' link")
    repository = links["repository"]
    since = f"compare/{previous}...v{version}" if previous else f"releases/tag/v{version}"
    return (
        text[: links.start()]
        + f"[Unreleased]: {repository}/compare/v{version}...HEAD\n[{version}]: {repository}/{since}"
        + text[links.end() :]
    )


def draft(baseline: str | None, differ: SpecDiff) -> tuple[str, str]:
    """The next version and its entry: after ``baseline`` (a git ref), or the first release if None."""
    current = read_version()
    changelog = CHANGELOG.read_text(encoding="utf-8")
    start, end = unreleased(changelog)
    notes = changelog[start:end]
    if baseline is None:
        return current, merge([notes])
    with tempfile.TemporaryDirectory() as scratch:
        before = api_snapshot.snapshot(export(baseline, Path(scratch)))
    difference = api_snapshot.compare(before, api_snapshot.snapshot(ROOT / "src"))
    try:
        report = differ.compare(baseline, ROOT, repo=ROOT, version=current)
    except differ.SpecDiffError as error:
        raise ReleaseError(f"spec diff: {error}") from None
    noted = "patch" if notes.strip() else None  # a fix needs a release even when no signature changed
    bump = larger(noted, for_version(difference.bump, current), report.bump)
    if bump is None:
        raise ReleaseError(f"nothing to release: no notes under Unreleased and no change since {baseline}")
    changes = [report.markdown()] if report.bump is not None else []
    return next_version(current, bump), merge([notes, *changes, difference.markdown()])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen.release", description=__doc__)
    parser.add_argument("--dry-run", action="store_true", help="print the version and entry; write nothing")
    parser.add_argument(
        "--against", metavar="REF", help="the git ref to compare with (default: the last v* tag)"
    )
    parser.add_argument("--date", default=datetime.date.today().isoformat(), help="the release date (ISO)")
    arguments = parser.parse_args(argv)
    try:
        differ = spec_diff()
        tag = differ.last_release_tag(ROOT)
        baseline = arguments.against or tag
        current = read_version()
        version, entry = draft(baseline, differ)
    except ReleaseError as error:
        print(f"release: {error}", file=sys.stderr)
        return 2
    since = f"since {baseline}" if baseline else "the first release: no v* tag yet"
    print(f"aioclicksend {current} -> {version} ({since})\n\n## [{version}] - {arguments.date}\n\n{entry}")
    if arguments.dry_run:
        return 0
    previous = tag if baseline == tag else None
    changelog = written(CHANGELOG.read_text(encoding="utf-8"), version, arguments.date, entry, previous)
    CHANGELOG.write_text(changelog, encoding="utf-8")
    text = VERSION_FILE.read_text(encoding="utf-8")
    VERSION_FILE.write_text(VERSION.sub(f'__version__ = "{version}"', text), encoding="utf-8")
    print(f"wrote {VERSION_FILE.relative_to(ROOT)} and {CHANGELOG.name}: tag v{version} once merged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
