"""The smoke test of an installed aioclicksend, run by ``nox -s wheel`` in a fresh venv holding only the
wheel (or the sdist) and the ``[sandbox]`` extra: ``python smoke.py EXPECTED_VERSION``.

It checks that the package comes from that venv (no checkout, no editable install), says the version the
build was given, makes a client, sends one SMS to the embedded sandbox (which reads the spec bundled in
the package), and that both commands answer ``--help``.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import subprocess
import sys
import sysconfig
from pathlib import Path


class SmokeError(Exception):
    """What the installed package got wrong."""


def check(holds: bool, problem: str) -> None:
    if not holds:
        raise SmokeError(problem)


def check_installed(expected_version: str) -> None:
    import aioclicksend

    where = Path(aioclicksend.__file__).resolve()
    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    check(site in where.parents, f"aioclicksend imported from {where}, not from this venv's {site}")
    check(aioclicksend.__version__ == expected_version, f"__version__ is {aioclicksend.__version__}")
    installed = importlib.metadata.version("aioclicksend")
    check(installed == expected_version, f"the installed metadata says {installed}")
    check(
        (where.parent / "py.typed").is_file(), "py.typed is missing: type checkers would ignore the package"
    )


async def send_to_the_sandbox() -> None:
    from aioclicksend import AsyncClickSend
    from aioclicksend.testing import clicksend_sandbox

    async with AsyncClickSend("smoke-user", "smoke-key") as client:
        check(client.base_url == "https://rest.clicksend.com/v3", f"default address {client.base_url}")
    async with clicksend_sandbox() as (server, sandbox_client):
        sent = await sandbox_client.sms.send(
            messages=[{"to": "+61411111111", "body": "smoke", "source": "smoke"}]
        )
        statuses = [message.status for message in sent.messages or []]
        check(statuses == ["SUCCESS"], f"the sandbox answered {statuses}")
        check(server.counters.requests["SendSms"] == 1, f"the sandbox counted {server.counters.requests}")
        history = await sandbox_client.sms.history.list()
        check(history.total == 1, f"the history holds {history.total} messages")


def check_commands() -> None:
    scripts = Path(sysconfig.get_paths()["scripts"])
    for command in ("aioclicksend", "aioclicksend-sandbox"):
        done = subprocess.run([str(scripts / command), "--help"], capture_output=True, text=True, check=False)
        check(done.returncode == 0, f"{command} --help exited {done.returncode}: {done.stderr}")
        check("usage" in done.stdout.lower(), f"{command} --help printed no usage: {done.stdout[:200]}")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python smoke.py EXPECTED_VERSION", file=sys.stderr)
        return 2
    try:
        check_installed(argv[0])
        asyncio.run(send_to_the_sandbox())
        check_commands()
    except SmokeError as error:
        print(f"smoke test failed: {error}", file=sys.stderr)
        return 1
    print(f"smoke test passed: aioclicksend {argv[0]} from {sys.prefix}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
