"""``python -m codegen.upstream [PATH]`` (``nox -s upstream -- PATH``): what ClickSend's published spec at
PATH (a local copy: it is not vendored) and the Kazoo faxes document (seed 004) have that our specs lack or
contradict, grouped: missing operations, extra operations, field differences, type differences. Each file
is checked against its sha256 in openapi/upstream.yaml; the report says when it is not the pinned one.

Exit status: 0 when the reports are written (differences are for a person to read, not failures), 2 when
a file cannot be read.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..bundle import SpecError, bundle
from ..generate import ROOT
from ..operations import read_api
from .compare import compare, render
from .kazoo import seed_operations
from .shapes import OperationShape, UpstreamError, base_path, normalised_path, operation_shapes

PINS = ROOT / "openapi" / "upstream.yaml"
SEEDS = ROOT.parent / "shared" / "seeds"
RAW_URL = "https://raw.githubusercontent.com/{repo}/{commit}/{path}"


@dataclass(frozen=True)
class Pin:
    """One upstream of openapi/upstream.yaml: where ours is, and the file it is compared with."""

    spec: Path
    sha256: str
    source: str
    """Where the pinned file comes from, as the report names it."""
    url: str = ""


def read_pins(path: Path) -> dict[str, Pin]:
    """The pins of ``path`` by upstream name (``clicksend``, ``kazoo``)."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        clicksend, kazoo = document["clicksend"], document["kazoo"]
        return {
            "clicksend": Pin(
                spec=ROOT / clicksend["spec"],
                sha256=clicksend["sha256"],
                source=f"{clicksend['repo']} {clicksend['path']} at commit {clicksend['commit']}",
                url=RAW_URL.format(**clicksend),
            ),
            "kazoo": Pin(spec=ROOT / kazoo["spec"], sha256=kazoo["sha256"], source=kazoo["document"]),
        }
    except (KeyError, TypeError) as error:
        raise UpstreamError(
            f"{path}: a pin lacks {error} (see the file's comments for what each holds)"
        ) from error


def provenance(content: bytes, pin: Pin, where: Path) -> list[str]:
    """The report's notes on the file read: where it is, and whether it is the pinned one."""
    digest = hashlib.sha256(content).hexdigest()
    if digest == pin.sha256:
        return [f"Read {where}: the pinned file ({pin.source}, sha256 {digest})."]
    return [
        f"Read {where}: NOT the pinned file: its sha256 is {digest},",
        f"the pin ({pin.source}) says {pin.sha256}. If it is a newer release: read this report,",
        "bring the spec up to date, then pin the new file in openapi/upstream.yaml.",
    ]


def ours(spec_dir: Path) -> tuple[dict[str, Any], dict[tuple[str, str], OperationShape]]:
    """Our bundled spec (codegen's reader) and its operations, each named by operationId and SDK method."""
    spec = bundle(spec_dir)
    names = {
        method.operation_id: f"{method.operation_id}, {method.qualified_name}"
        for method in read_api(spec).methods
    }
    return spec, operation_shapes(spec, names)


def clicksend_report(pin: Pin, path: Path) -> str:
    content = path.read_bytes()
    theirs = yaml.safe_load(content)
    if not isinstance(theirs, Mapping) or "paths" not in theirs:
        raise UpstreamError(f"{path}: not an OpenAPI document (no paths)")
    _, our_operations = ours(pin.spec)
    comparison = compare(our_operations, operation_shapes(theirs))
    return render(comparison, "ClickSend: ours against the published spec", provenance(content, pin, path))


def kazoo_report(pin: Pin, path: Path) -> str:
    content = path.read_bytes()
    spec, our_operations = ours(pin.spec)
    theirs = seed_operations(content.decode("utf-8"), normalised_path(base_path(spec)))
    comparison = compare(our_operations, theirs)
    return render(comparison, "Kazoo: ours against the faxes document (004)", provenance(content, pin, path))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen.upstream", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "path", nargs="?", type=Path, help="a local copy of ClickSend's published openapi.yaml"
    )
    parser.add_argument(
        "--pins", type=Path, default=PINS, help=f"the pin file (default: {PINS.relative_to(ROOT)})"
    )
    parser.add_argument(
        "--seeds", type=Path, default=SEEDS, help="where seed 004 is (default: ../shared/seeds)"
    )
    arguments = parser.parse_args(argv)
    try:
        pins = read_pins(arguments.pins)
        if arguments.path is None:
            print(f"# ClickSend: skipped\n\nNo upstream file given: download {pins['clicksend'].url}")
            print("and pass its path: nox -s upstream -- PATH\n")
        else:
            print(clicksend_report(pins["clicksend"], arguments.path))
        seed = arguments.seeds / pins["kazoo"].source
        if seed.exists():
            print(kazoo_report(pins["kazoo"], seed))
        else:
            print(f"# Kazoo: skipped\n\nThe faxes document is not at {seed}.")
    except (OSError, UnicodeDecodeError, yaml.YAMLError, SpecError, UpstreamError) as error:
        print(f"upstream: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
