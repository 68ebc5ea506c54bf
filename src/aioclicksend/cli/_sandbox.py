"""``aioclicksend sandbox``: the embedded sandbox, from the same command."""

from __future__ import annotations

import click

from ._common import Failed

__all__ = ["sandbox"]


@click.command("sandbox", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def sandbox(context: click.Context) -> None:
    """Run the embedded sandbox (a local ClickSend); takes the same options as aioclicksend-sandbox
    (--port, --latency-ms, --rate-limit, ...: see aioclicksend sandbox --help-sandbox)."""
    try:
        from ..sandbox.__main__ import main as sandbox_main
    except ImportError as error:
        raise Failed(f"the sandbox needs its extra: pip install 'aioclicksend[sandbox]' ({error})") from None
    sandbox_main(["--help" if argument == "--help-sandbox" else argument for argument in context.args])
