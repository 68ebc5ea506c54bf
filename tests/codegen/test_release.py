"""``nox -s release`` on a scratch repository: the next version is the current one bumped by the larger of
what the spec diff and the public API snapshot's diff imply (semantic versioning's rule for 0.x), and the
drafted entry merges the Unreleased notes with both diffs; --dry-run writes nothing, a release writes
version.py and CHANGELOG.md. A fake module stands in for codegen.spec_diff, with the parts the release
uses: ``compare(old, new, repo=, version=)`` answering ``.bump`` (the 0.x rule applied) and
``.markdown()``, ``last_release_tag(repo)`` and ``SpecDiffError``; the last test runs the real one."""

from __future__ import annotations

import shutil
import subprocess
import sys
import types
from dataclasses import dataclass
from pathlib import Path

import pytest

from codegen import release
from codegen.release import ReleaseError, for_version, larger, merge, next_version

from .scratch_specs import edit

PACKAGE = '''"""A package standing in for aioclicksend."""


def send(to: str) -> None:
    """Send."""


def price(to: str) -> float:
    """Price."""
    return 0.0
'''
CHANGELOG = """# Changelog

Intro.

## [Unreleased]

### Fixed

- A fix.

## [0.3.0] - 2026-01-01

### Added

- Everything.

[Unreleased]: https://github.com/owner/name/compare/v0.3.0...HEAD
[0.3.0]: https://github.com/owner/name/releases/tag/v0.3.0
"""


def release_root() -> Path:
    """The checkout's root (the release module's, before a test points it at a scratch repository)."""
    return Path(release.__file__).resolve().parent.parent


@dataclass
class FakeReport:
    bump: str | None
    changes: str

    def markdown(self) -> str:
        return self.changes


class FakeSpecDiffError(Exception):
    pass


@dataclass
class FakeSpecDiff:
    """codegen.spec_diff as the release calls it: one report for any two versions, and what it compared."""

    repository: Path
    report: FakeReport
    compared: list[tuple[str | Path, str | Path, str]]

    def compare(self, old: str | Path, new: str | Path, *, repo: Path, version: str) -> FakeReport:
        assert repo == self.repository
        self.compared.append((old, new, version))
        if old == "broken":
            raise FakeSpecDiffError("openapi.yaml: not a spec")
        return self.report

    def last_release_tag(self, repo: Path) -> str | None:
        tag = subprocess.run(["git", "describe", "--tags", "--abbrev=0"], cwd=repo, capture_output=True)
        return tag.stdout.decode().strip() or None


def git(repository: Path, *arguments: str) -> None:
    identity = ["-c", "user.name=test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", *identity, *arguments], cwd=repository, check=True, capture_output=True)


@pytest.fixture
def repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository released as v0.3.0, with a package, a spec and a CHANGELOG: the release's ROOT."""
    root = tmp_path / "repository"
    package = root / "src" / "aioclicksend"
    (package / "_core").mkdir(parents=True)
    (package / "__init__.py").write_text(PACKAGE)
    (package / "_core" / "version.py").write_text('"""The version."""\n\n__version__ = "0.3.0"\n')
    (root / "openapi").mkdir()
    (root / "openapi" / "openapi.yaml").write_text("openapi: 3.1.0\n")  # no kazoo/: one API here
    (root / "CHANGELOG.md").write_text(CHANGELOG)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "0.3.0")
    git(root, "tag", "v0.3.0")
    monkeypatch.setattr(release, "ROOT", root)
    monkeypatch.setattr(release, "VERSION_FILE", package / "_core" / "version.py")
    monkeypatch.setattr(release, "CHANGELOG", root / "CHANGELOG.md")
    return root


def fake_spec_diff(
    monkeypatch: pytest.MonkeyPatch, repository: Path, bump: str | None, changes: str = ""
) -> FakeSpecDiff:
    fake = FakeSpecDiff(repository, FakeReport(bump, changes), [])
    module = types.ModuleType("codegen.spec_diff")
    module.compare = fake.compare  # type: ignore[attr-defined]
    module.last_release_tag = fake.last_release_tag  # type: ignore[attr-defined]
    module.SpecDiffError = FakeSpecDiffError  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "codegen.spec_diff", module)
    return fake


def edit_package(repository: Path, old: str, new: str) -> None:
    path = repository / "src" / "aioclicksend" / "__init__.py"
    path.write_text(path.read_text().replace(old, new))


def test_versions_follow_semver_with_the_0x_rule() -> None:
    breaking_additive_cosmetic_none = ("major", "minor", "patch", None)
    assert [for_version(bump, "0.3.0") for bump in breaking_additive_cosmetic_none] == [
        "minor",
        "patch",
        "patch",
        None,
    ]
    assert [for_version(bump, "1.2.3") for bump in breaking_additive_cosmetic_none] == [
        "major",
        "minor",
        "patch",
        None,
    ]
    assert [next_version("1.2.3", bump) for bump in breaking_additive_cosmetic_none] == [
        "2.0.0",
        "1.3.0",
        "1.2.4",
        "1.2.3",
    ]
    assert next_version("0.3.0", "minor") == "0.4.0"
    assert larger(None, "patch", "major", "minor") == "major"
    assert larger(None, None) is None
    with pytest.raises(ReleaseError, match="unknown version bump 'huge'"):
        larger("huge")


def test_entries_merge_by_keep_a_changelog_section() -> None:
    notes = "A lead paragraph.\n\n### Fixed\n\n- A fix.\n\n### Added\n\n- A note.\n"
    spec = "### Removed\n\n- Spec: `DeleteThing`\n\n### Added\n\n- Spec: `CreateThing`\n"
    assert merge([notes, spec, ""]) == (
        "A lead paragraph.\n\n"
        "### Added\n\n- A note.\n- Spec: `CreateThing`\n\n"
        "### Removed\n\n- Spec: `DeleteThing`\n\n"
        "### Fixed\n\n- A fix.\n"
    )


def test_a_dry_run_prints_the_bump_and_entry_and_writes_nothing(
    repository: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = fake_spec_diff(monkeypatch, repository, "patch", "### Added\n\n- Spec: operation `CreateThing`\n")
    edit_package(repository, "def price(", "def quote(")  # a removed public name: breaking
    assert release.main(["--dry-run", "--date", "2026-12-05"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("aioclicksend 0.3.0 -> 0.4.0 (since v0.3.0)\n\n## [0.4.0] - 2026-12-05\n\n")
    assert printed.endswith(
        "### Added\n\n- Spec: operation `CreateThing`\n- Public API: `aioclicksend.quote`\n\n"
        "### Removed\n\n- Public API: `aioclicksend.price`\n\n"
        "### Fixed\n\n- A fix.\n\n"
    )
    assert spec.compared == [("v0.3.0", repository, "0.3.0")]  # the tag against the working tree
    assert (repository / "CHANGELOG.md").read_text() == CHANGELOG
    assert release.read_version() == "0.3.0"


def test_an_additive_change_is_a_patch_before_1_0(
    repository: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_spec_diff(monkeypatch, repository, None)
    edit_package(repository, "def send(", "def cancel() -> None:\n    pass\n\n\ndef send(")
    assert release.main(["--dry-run"]) == 0
    assert capsys.readouterr().out.startswith("aioclicksend 0.3.0 -> 0.3.1 (since v0.3.0)")


def test_a_release_writes_the_version_and_the_changelog(
    repository: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_spec_diff(monkeypatch, repository, "minor", "### Removed\n\n- Spec: operation `DeleteThing`\n")
    assert release.main(["--date", "2026-12-05"]) == 0
    assert release.read_version() == "0.4.0"
    assert (repository / "CHANGELOG.md").read_text() == (
        "# Changelog\n\nIntro.\n\n## [Unreleased]\n\n"
        "## [0.4.0] - 2026-12-05\n\n"
        "### Removed\n\n- Spec: operation `DeleteThing`\n\n### Fixed\n\n- A fix.\n\n"
        "## [0.3.0] - 2026-01-01\n\n### Added\n\n- Everything.\n\n"
        "[Unreleased]: https://github.com/owner/name/compare/v0.4.0...HEAD\n"
        "[0.4.0]: https://github.com/owner/name/compare/v0.3.0...v0.4.0\n"
        "[0.3.0]: https://github.com/owner/name/releases/tag/v0.3.0\n"
    )


def test_the_first_release_is_the_current_version_with_the_notes(
    repository: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_spec_diff(monkeypatch, repository, None)
    git(repository, "tag", "-d", "v0.3.0")
    assert release.main(["--dry-run", "--date", "2026-12-05"]) == 0
    assert capsys.readouterr().out == (
        "aioclicksend 0.3.0 -> 0.3.0 (the first release: no v* tag yet)\n\n"
        "## [0.3.0] - 2026-12-05\n\n### Fixed\n\n- A fix.\n\n"
    )


def test_nothing_to_release_a_bad_ref_and_a_spec_diff_error_are_refused(
    repository: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_spec_diff(monkeypatch, repository, None)
    changelog = repository / "CHANGELOG.md"
    changelog.write_text(CHANGELOG.replace("### Fixed\n\n- A fix.\n\n", ""))
    assert release.main(["--dry-run"]) == 2
    assert (
        "nothing to release: no notes under Unreleased and no change since v0.3.0" in capsys.readouterr().err
    )
    assert release.main(["--dry-run", "--against", "no-such-ref"]) == 2
    assert "release: 'no-such-ref' names no commit of this repository" in capsys.readouterr().err
    git(repository, "tag", "broken")
    assert release.main(["--dry-run", "--against", "broken"]) == 2
    assert "release: spec diff: openapi.yaml: not a spec" in capsys.readouterr().err


def test_without_the_spec_diff_the_release_says_so(
    repository: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "codegen.spec_diff", None)  # an import of it fails
    assert release.main(["--dry-run"]) == 2
    assert "the spec diff (codegen.spec_diff) is not here yet" in capsys.readouterr().err


def test_with_the_real_spec_diff_a_removed_operation_is_a_breaking_minor_bump_before_1_0(
    repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = repository / "openapi"
    shutil.rmtree(spec)
    shutil.copytree(release_root() / "openapi", spec, ignore=shutil.ignore_patterns("COVERAGE.md"))
    git(repository, "add", "-A")
    git(repository, "commit", "-qm", "our specs")
    git(repository, "tag", "-f", "v0.3.0")
    edit(spec, "resources/sms.yaml", lambda document: document["paths"].pop("/sms/cancel-all"))
    assert release.main(["--dry-run", "--date", "2026-12-05"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("aioclicksend 0.3.0 -> 0.4.0 (since v0.3.0)\n\n")
    assert (
        "### Removed\n\n- **Breaking:** `sms.cancel_all`: PUT /sms/cancel-all (operation removed)\n"
        in printed
    )
