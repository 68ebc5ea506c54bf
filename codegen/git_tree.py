"""A folder of the repository as it is at a git commit, written out to compare one version with another
(the spec diff's ``openapi/``, the release's ``src/aioclicksend/``)."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

__all__ = ["GitError", "is_commit", "write_folder"]


class GitError(Exception):
    """A git command failed; the message is git's."""


def _git(repo: Path, *arguments: str) -> bytes:
    done = subprocess.run(["git", "-C", str(repo), *arguments], capture_output=True, check=False)
    if done.returncode != 0:
        raise GitError(f"git {' '.join(arguments)}: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def is_commit(repo: Path, ref: str) -> bool:
    """Whether ``ref`` names a commit of ``repo``."""
    try:
        _git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except GitError:
        return False
    return True


def write_folder(repo: Path, ref: str, folder: str, into: Path) -> bool:
    """The files under ``folder`` at commit ``ref`` of ``repo``, written under ``into`` at the same place
    (one ``git archive``); False, writing nothing, when that commit has no such folder."""
    if not _git(repo, "ls-tree", "--name-only", ref, "--", folder).strip():
        return False
    tar = _git(repo, "archive", "--format=tar", ref, "--", folder)
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        archive.extractall(into, filter="data")
    return True
