"""What the built distributions hold, checked by ``nox -s wheel`` (``python contents.py DIST_DIR``), which
prints the wheel's contents by folder for the CI log.

The wheel: the package's tracked files, the specs it bundles among them (the sandbox reads them at run
time), py.typed and the LICENSE, nothing else. The sdist: what rebuilding and regenerating need (the
package, the specs, codegen, the API snapshot, the tests and the examples and docs they run, the noxfile
and the project's files), every tracked file of those, and nothing else: no CI script, benchmark or cache.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
PACKAGE = "src/aioclicksend"
SDIST_FOLDERS = ("src", "openapi", "codegen", "api", "tests", "examples", "docs")
SDIST_FILES = (
    "mkdocs.yml",
    "noxfile.py",
    "CHANGELOG.md",
    "README.md",
    "LICENSE",
    "pyproject.toml",
    "PKG-INFO",
)
SDIST_ALWAYS = (".gitignore",)
"""What hatch puts in an sdist whatever it is told."""
BUNDLED_SPECS = ("aioclicksend/_generated/openapi.json", "aioclicksend/kazoo/_generated/openapi.json")


def tracked(*paths: str) -> set[str]:
    listing = subprocess.run(
        ["git", "ls-files", "--", *paths], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(listing.stdout.splitlines())


def wheel_problems(wheel: Path) -> list[str]:
    names = set(zipfile.ZipFile(wheel).namelist())
    package = {name for name in names if name.startswith("aioclicksend/")}
    metadata = names - package
    expected = {name.removeprefix("src/") for name in tracked(PACKAGE)}
    problems = [f"wheel lacks {name}" for name in sorted(expected - package)]
    problems += [f"wheel has {name}, which git does not track" for name in sorted(package - expected)]
    problems += [
        f"wheel has {name} outside the package" for name in sorted(metadata) if ".dist-info/" not in name
    ]
    problems += [f"wheel lacks {name}" for name in BUNDLED_SPECS if name not in names]
    if not any(name.endswith(".dist-info/licenses/LICENSE") for name in metadata):
        problems.append("wheel lacks the LICENSE in its .dist-info/licenses/")
    return problems


def sdist_problems(sdist: Path) -> list[str]:
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    files = {name for name in names if not any(other.startswith(f"{name}/") for other in names)}
    expected = tracked(*SDIST_FOLDERS) | set(SDIST_FILES) | set(SDIST_ALWAYS)
    problems = [f"sdist lacks {name}" for name in sorted(expected - files)]
    return problems + [
        f"sdist has {name}, which a rebuild does not need" for name in sorted(files - expected)
    ]


def listing(wheel: Path) -> str:
    """The wheel's files and bytes by folder (two levels into the package)."""
    files: Counter[str] = Counter()
    sizes: Counter[str] = Counter()
    for entry in zipfile.ZipFile(wheel).infolist():
        folder = "/".join(entry.filename.split("/")[:3][:-1] or [entry.filename])
        files[folder] += 1
        sizes[folder] += entry.file_size
    rows = [f"{files[folder]:5} files {sizes[folder]:>10,} bytes  {folder}/" for folder in sorted(files)]
    return "\n".join(
        [*rows, f"{sum(files.values()):5} files {sum(sizes.values()):>10,} bytes  in {wheel.name}"]
    )


def main(argv: list[str]) -> int:
    dist = Path(argv[0]) if argv else ROOT / "dist"
    wheels, sdists = sorted(dist.glob("*.whl")), sorted(dist.glob("*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        print(f"expected one wheel and one sdist in {dist}, found {wheels + sdists}", file=sys.stderr)
        return 2
    print(listing(wheels[0]))
    problems = wheel_problems(wheels[0]) + sdist_problems(sdists[0])
    if problems:
        print("the distributions are not what they should be:", *problems, sep="\n  ", file=sys.stderr)
        return 1
    print(f"{wheels[0].name} and {sdists[0].name} hold what they should")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
