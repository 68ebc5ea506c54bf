"""The ``aioclicksend`` command against the sandbox: bulk CSV sends (killed and resumed), one SMS,
history, contacts, and what bad input gets."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from aioclicksend import AsyncClickSend
from aioclicksend.cli import cli
from aioclicksend.cli._results import ResultsFile
from aioclicksend.journal import PostgresJournal
from aioclicksend.sandbox import SandboxServer

from ..hostile_server import HostileServer, Reply
from ..support import assert_job_settled, assert_journal_settled, sandbox_in_a_thread


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with sandbox_in_a_thread(accounts={"demo": "key"}) as running:
        yield running


def invoke(server: SandboxServer, *arguments: str, username: str = "demo") -> Result:
    environment = {
        "CLICKSEND_USERNAME": username,
        "CLICKSEND_API_KEY": "key",
        "CLICKSEND_BASE_URL": server.base_url,
    }
    return CliRunner().invoke(cli, list(arguments), env=environment, catch_exceptions=False)


def write_csv(
    path: Path, count: int, *, start: int = 0, header: tuple[str, ...] = ("name", "phone", "body")
) -> Path:
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        for i in range(start, start + count):
            writer.writerow([f"name {i}", f"+614{i:08d}", f"Hello {i}"][: len(header)])
    return path


def results_of(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as file:
        return list(csv.DictReader(file))


def delivered(server: SandboxServer, prefix: str = "") -> Counter[str]:
    return Counter(
        {
            key: count
            # (a copy made in one step: the sandbox's thread adds to it meanwhile)
            for (channel, key), count in dict.copy(server.counters.deliveries).items()
            if channel == "sms" and key.startswith(prefix)
        }
    )


def test_a_csv_is_sent_with_a_results_row_per_input_row(server: SandboxServer, tmp_path: Path) -> None:
    messages = write_csv(tmp_path / "messages.csv", 1_200)
    with messages.open("a", newline="") as file:
        csv.writer(file).writerow(["empty", "+61411111111", ""])
    results = tmp_path / "results.csv"
    command = [
        "bulk",
        "sms",
        str(messages),
        "--results",
        str(results),
        "--map",
        "to=phone",
        "--job-id",
        "happy",
    ]
    answer = invoke(server, *command)
    assert answer.exit_code == 0, answer.output
    rows = results_of(results)
    assert sorted(int(row["row"]) for row in rows) == list(range(1, 1_202))
    by_outcome = Counter(row["outcome"] for row in rows)
    assert by_outcome == {"accepted": 1_200, "invalid": 1}
    assert all(row["message_id"] and row["price"] for row in rows if row["outcome"] == "accepted")
    assert [row["reason"] for row in rows if row["outcome"] == "invalid"] == ["body: Field required"]
    customs = {row["custom_string"] for row in rows if row["outcome"] == "accepted"}
    assert all(delivered(server)[custom] == 1 for custom in customs)
    assert "1200 accepted" in answer.output and (tmp_path / "results.csv.journal").exists()
    write_csv(messages, 1_200, start=7)  # another input for the same job: refused, results kept
    refused = invoke(server, *command)
    assert refused.exit_code == 1 and "the input differs (send it as a new job" in refused.output
    assert results_of(results) == rows


def test_a_text_over_several_lines_is_one_row(server: SandboxServer, tmp_path: Path) -> None:
    messages = tmp_path / "messages.csv"
    messages.write_text('to,body\n+61411111111,"Line one\nline two"\n\n+61411111112,short\n')
    answer = invoke(server, "bulk", "sms", str(messages), "--results", str(tmp_path / "r.csv"))
    assert answer.exit_code == 0, answer.output
    assert [row["outcome"] for row in results_of(tmp_path / "r.csv")] == ["accepted", "accepted"]


def test_a_dry_run_checks_and_prices_without_sending(server: SandboxServer, tmp_path: Path) -> None:
    messages = write_csv(tmp_path / "messages.csv", 30, header=("name", "to", "body"))
    before = sum(server.counters.deliveries.values())
    answer = invoke(server, "bulk", "sms", str(messages), "--results", str(tmp_path / "dry.csv"), "--dry-run")
    assert answer.exit_code == 0, answer.output
    assert sum(server.counters.deliveries.values()) == before
    assert "dry run: 30 rows would be sent in 30 parts for 2.31" in answer.output
    assert {row["outcome"] for row in results_of(tmp_path / "dry.csv")} == {"would send"}


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["--map", "to=mobile"], "no 'mobile' or 'list_id' column (name it, or --map to=COLUMN)"),
        (["--map", "colour=phone"], "--map: colour is not a field of these messages"),
        (["--map", "to"], "'to': expected FIELD=COLUMN"),
        (["--concurrency", "0"], "Invalid value for '--concurrency'"),
        (["--map", "to=phone", "--journal", "."], "Invalid value for '--journal': File '.' is a directory."),
        (
            ["--map", "to=phone", "--journal", "postgresql://127.0.0.1/jobs"],
            "--journal postgresql://...: give --job-id too",
        ),
    ],
)
def test_bad_arguments_get_one_line_and_exit_2(
    server: SandboxServer, tmp_path: Path, arguments: list[str], said: str
) -> None:
    messages = write_csv(tmp_path / "messages.csv", 3)
    answer = invoke(server, "bulk", "sms", str(messages), "--results", str(tmp_path / "r.csv"), *arguments)
    assert answer.exit_code == 2 and said in answer.output and "Traceback" not in answer.output


def test_unreadable_files_and_refused_credentials_get_one_line(server: SandboxServer, tmp_path: Path) -> None:
    results = str(tmp_path / "r.csv")
    missing = invoke(server, "bulk", "sms", str(tmp_path / "nope.csv"), "--results", results)
    assert missing.exit_code == 2 and "nope.csv: cannot be read" in missing.output
    (tmp_path / "binary.csv").write_bytes(b"\xff\xfe\x00bad")
    binary = invoke(server, "bulk", "sms", str(tmp_path / "binary.csv"), "--results", results)
    assert binary.exit_code == 2 and "cannot be read" in binary.output
    broken = write_csv(tmp_path / "broken.csv", 300)
    with broken.open("a") as file:
        file.write('name,+61411111111,"a quote never closed\n')
    before = sum(server.counters.deliveries.values())
    damaged = invoke(server, "bulk", "sms", str(broken), "--results", results, "--map", "to=phone")
    assert damaged.exit_code == 2 and "broken.csv: line 302: cannot be read" in damaged.output
    assert "Traceback" not in damaged.output and sum(server.counters.deliveries.values()) == before
    (tmp_path / "empty.csv").write_text("")
    empty = invoke(server, "bulk", "sms", str(tmp_path / "empty.csv"), "--results", results)
    assert empty.exit_code == 2 and "empty, no header row" in empty.output
    messages = write_csv(tmp_path / "messages.csv", 5)
    refused = invoke(
        server, "bulk", "sms", str(messages), "--results", results, "--map", "to=phone", username="intruder"
    )
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert "5 not sent (the job stopped: ClickSend refused the account" in refused.output
    single = invoke(server, "sms", "send", "--to", "+61411111111", "--body", "hi", username="intruder")
    assert (
        single.exit_code == 1 and single.output.startswith("Error: ") and len(single.output.splitlines()) == 1
    )


def test_one_sms_its_price_and_the_history(server: SandboxServer) -> None:
    sent = invoke(
        server, "sms", "send", "--to", "+61411111111", "--body", "from the cli", "--custom-string", "cli-1"
    )
    assert sent.exit_code == 0, sent.output
    assert json.loads(sent.output)["messages"][0]["custom_string"] == "cli-1"
    price = invoke(server, "sms", "price", "--to", "+61411111111", "--body", "from the cli")
    assert price.exit_code == 0 and json.loads(price.output)["total_price"]
    history = invoke(server, "sms", "history", "--since", "2020-01-01")
    assert history.exit_code == 0
    assert "cli-1" in [json.loads(line).get("custom_string") for line in history.output.splitlines()]
    table = invoke(server, "sms", "history", "--since", str(int(time.time()) - 60), "--format", "table")
    assert table.output.splitlines()[0].split() == ["date", "to", "status", "message_id", "body"]
    assert "from the cli" in table.output
    bad = invoke(server, "sms", "history", "--since", "last tuesday")
    assert bad.exit_code == 2 and "not a Unix time nor an ISO date" in bad.output


def test_contacts_are_imported_into_a_list(server: SandboxServer, tmp_path: Path) -> None:
    async def new_list() -> int:
        async with AsyncClickSend("demo", "key", base_url=server.base_url) as cs:
            created = await cs.contact_lists.create(list_name="from csv")
            assert created.list_id is not None
            return created.list_id

    list_id = asyncio.run(new_list())
    contacts = write_csv(tmp_path / "contacts.csv", 25, header=("first_name", "phone_number"))
    answer = invoke(server, "contacts", "import", str(list_id), str(contacts))
    assert answer.exit_code == 0, answer.output
    assert f"25 contacts added to list {list_id}" in answer.output


def test_a_contact_row_that_does_not_line_up_is_not_added(server: SandboxServer, tmp_path: Path) -> None:
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("first_name,phone_number\nAnn,+61411000071\nSmith, Bob,+61411000072\n")
    answer = invoke(server, "contacts", "import", "1", str(contacts))
    assert answer.exit_code == 1 and "1 contacts added to list 1" in answer.output
    assert "row 2: line 3: the header has 2 columns, this row 3" in answer.output


def test_contacts_refused_are_counted_and_the_first_ones_said(server: SandboxServer, tmp_path: Path) -> None:
    contacts = write_csv(tmp_path / "contacts.csv", 30, header=("first_name", "phone_number"))
    server.faults.error_rate = 1.0  # every create answered 5xx (and not repeated: it may have been done)
    try:
        answer = invoke(server, "contacts", "import", "1", str(contacts))
    finally:
        server.faults.error_rate = 0.0
    assert answer.exit_code == 1
    assert "0 contacts added to list 1" in answer.output and "30 rows not added" in answer.output
    assert len([line for line in answer.output.splitlines() if line.startswith("row ")]) == 20


def test_other_channels_take_their_shared_fields(server: SandboxServer, tmp_path: Path) -> None:
    messages = tmp_path / "messages.csv"
    messages.write_text("to,body,subject\n" + "".join(f"+614{i:08d},Look {i},Offer\n" for i in range(12)))
    mms = invoke(
        server,
        "bulk",
        "mms",
        str(messages),
        "--results",
        str(tmp_path / "mms.csv"),
        "--media-file",
        "https://x/a.jpg",
    )
    assert mms.exit_code == 0 and "12 accepted" in mms.output, mms.output
    missing = invoke(server, "bulk", "fax", str(messages), "--results", str(tmp_path / "fax.csv"))
    assert missing.exit_code == 2 and "Missing option '--file-url'" in missing.output


def test_every_command_has_help(server: SandboxServer) -> None:
    commands = [[], ["sms"], ["sms", "send"], ["sms", "price"], ["sms", "history"], ["bulk"], ["contacts"]]
    commands += [["bulk", channel] for channel in ("sms", "mms", "voice", "fax")] + [["contacts", "import"]]
    for command in commands:
        answer = invoke(server, *command, "--help")
        assert answer.exit_code == 0 and "Usage: " in answer.output and "Options:" in answer.output, command


def run_cli(server: SandboxServer, *arguments: str, **options: Any) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "CLICKSEND_USERNAME": "demo",
        "CLICKSEND_API_KEY": "key",
        "CLICKSEND_BASE_URL": server.base_url,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "aioclicksend.cli", *arguments],
        env=environment,
        **{"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, **options},
    )


def start_sending(server: SandboxServer, command: list[str]) -> subprocess.Popen[bytes]:
    """Run the command; return once the sandbox has taken messages from it (its job has begun, so its
    Ctrl-C handler is in place)."""
    before = sum(delivered(server).values())
    process = run_cli(server, *command)
    deadline = time.monotonic() + 30
    while not sum(delivered(server).values()) > before:
        assert time.monotonic() < deadline and process.poll() is None, "the run never got to sending"
        time.sleep(0.01)
    return process


def test_killed_at_random_and_run_again_every_row_is_sent_exactly_once(
    server: SandboxServer, tmp_path: Path
) -> None:
    """SIGKILL (no chance to clean up) at random moments of a 20 000-row job, each while it sends, then
    a graceful Ctrl-C, each followed by the same command: in the end every row reached the sandbox once, the results file
    has a row per input row, and the journal is whole."""
    count = 20_000
    messages = write_csv(tmp_path / "messages.csv", count, start=50_000)
    results, journal = tmp_path / "results.csv", tmp_path / "job.db"
    command = ["bulk", "sms", str(messages), "--results", str(results), "--journal", str(journal)]
    command += ["--map", "to=phone", "--batch-size", "250", "--concurrency", "2", "--history-lag", "0"]
    server.faults.latency_ms = 15
    randomness = random.Random(20261127)
    progress = []
    try:
        for kill in range(10):
            time.sleep(0.2)  # for the sandbox to finish what the killed run had in flight
            process = start_sending(server, command)
            time.sleep(randomness.uniform(0, 0.1))
            process.send_signal(signal.SIGKILL if kill < 9 else signal.SIGINT)
            _, errors = process.communicate(timeout=60)
            assert b"Traceback" not in errors, errors.decode()
            progress.append(sum(delivered(server).values()))
        final = run_cli(server, *command)
        _, errors = final.communicate(timeout=120)
    finally:
        server.faults.latency_ms = 0
    started = sum(delivered(server).values()) - count
    assert progress[-1] - started < count, f"the job was still running when last stopped: {progress}"
    assert len(set(progress)) == len(progress), f"each kill came at another point of the job: {progress}"
    assert final.returncode == 0, errors.decode()
    rows = results_of(results)
    assert sorted(int(row["row"]) for row in rows) == list(range(1, count + 1))
    assert Counter(row["outcome"] for row in rows) == {"accepted": count}
    sent = delivered(server, rows[0]["custom_string"].split(":")[0] + ":")
    assert len(sent) == count and set(sent.values()) == {1}, "every row reached ClickSend exactly once"
    assert {row["custom_string"] for row in rows} == set(sent)
    summary = errors.decode().strip().splitlines()[-1]
    assert f"{count}/{count} messages: {count} accepted" in summary
    assert_journal_settled(journal)


def test_ctrl_c_twice_interrupts_at_once_without_a_traceback(server: SandboxServer, tmp_path: Path) -> None:
    messages = write_csv(tmp_path / "messages.csv", 3_000, start=90_000)
    command = ["bulk", "sms", str(messages), "--results", str(tmp_path / "r.csv"), "--map", "to=phone"]
    command += ["--batch-size", "100", "--concurrency", "1", "--history-lag", "0"]
    server.faults.latency_ms = 200
    try:
        process = start_sending(server, command)
        process.send_signal(signal.SIGINT)
        time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=30)
    finally:
        server.faults.latency_ms = 0
    assert process.returncode == 1 and b"Traceback" not in errors, errors.decode()
    assert b"interrupted: run the same command again to finish the job" in errors
    finish = run_cli(server, *command)
    _, errors = finish.communicate(timeout=60)
    assert finish.returncode == 0, errors.decode()
    rows = results_of(tmp_path / "r.csv")
    assert Counter(row["outcome"] for row in rows) == {"accepted": 3_000}
    assert {delivered(server)[row["custom_string"]] for row in rows} == {1}


# ---- strict input, safe output ----


def test_a_row_that_does_not_line_up_with_the_header_is_invalid_and_never_sent(
    server: SandboxServer, tmp_path: Path
) -> None:
    messages = tmp_path / "messages.csv"
    messages.write_text(
        "to,body,custom_string\n"
        "+61411000031,Hello, John your code is 1234,strict-1\n"  # an unquoted comma
        "+61411000032,short\n"
        "+61411000033,   ,strict-3\n"  # a blank body
        "+61411000034,fine,strict-4\n"
    )
    answer = invoke(server, "bulk", "sms", str(messages), "--results", str(tmp_path / "r.csv"))
    assert answer.exit_code == 0, answer.output
    rows = results_of(tmp_path / "r.csv")
    assert [(row["outcome"], row["reason"]) for row in rows] == [
        ("invalid", "line 2: the header has 3 columns, this row 4"),
        ("invalid", "line 3: the header has 3 columns, this row 2"),
        ("invalid", "body: Field required"),
        ("accepted", ""),
    ]
    assert [delivered(server, "strict-")[f"strict-{i}"] for i in (1, 3, 4)] == [0, 0, 1]


def test_the_delimiter_header_case_and_encoding_are_the_files(server: SandboxServer, tmp_path: Path) -> None:
    semicolons = tmp_path / "semicolons.csv"
    semicolons.write_text(" To ;BODY; Custom_String \n+61411000041;Hello, John;sniffed-1\n")
    tabs = tmp_path / "tabs.csv"
    tabs.write_text("to\tbody\tcustom_string\n+61411000042\tHi; there, you\tsniffed-2\n")
    commas = tmp_path / "commas.csv"
    commas.write_text('to,body,custom_string\n+61411000043,"Hi; there",sniffed-3\n')
    latin = tmp_path / "latin.csv"
    latin.write_bytes("to,body,custom_string\n+61411000044,Café,sniffed-4\n".encode("latin-1"))
    for source, options in ((semicolons, []), (tabs, []), (commas, []), (latin, ["--encoding", "latin-1"])):
        results = tmp_path / f"{source.stem}-results.csv"
        answer = invoke(server, "bulk", "sms", str(source), "--results", str(results), *options)
        assert answer.exit_code == 0, answer.output
        assert [row["outcome"] for row in results_of(results)] == ["accepted"], source
    assert set(delivered(server, "sniffed-").values()) == {1} and len(delivered(server, "sniffed-")) == 4
    undecodable = invoke(server, "bulk", "sms", str(latin), "--results", str(tmp_path / "r.csv"))
    assert undecodable.exit_code == 2 and len(undecodable.output.splitlines()) == 1
    assert "latin.csv: line 2: cannot be read: not utf-8-sig text" in undecodable.output
    unknown = invoke(server, "bulk", "sms", str(latin), "--results", "r.csv", "--encoding", "martian")
    assert unknown.exit_code == 2 and "'martian': no such encoding" in unknown.output


def test_a_second_run_of_a_job_leaves_the_first_and_its_results_alone(
    server: SandboxServer, tmp_path: Path
) -> None:
    count = 2_000
    messages = write_csv(tmp_path / "messages.csv", count, start=200_000)
    results = tmp_path / "r.csv"
    command = ["bulk", "sms", str(messages), "--results", str(results), "--map", "to=phone"]
    command += ["--batch-size", "100", "--concurrency", "1", "--history-lag", "0"]
    server.faults.latency_ms = 200
    try:
        before = sum(delivered(server).values())
        first = start_sending(server, command)
        while sum(delivered(server).values()) - before < 600:  # (results written to disk meanwhile)
            assert first.poll() is None, "the first run ended too soon"
            time.sleep(0.01)
        second = invoke(server, *command)
        _, errors = first.communicate(timeout=120)
    finally:
        server.faults.latency_ms = 0
    assert first.returncode == 0, errors.decode()
    assert b"\0" not in results.read_bytes()
    rows = results_of(results)
    assert [int(row["row"]) for row in rows] == list(range(1, count + 1))
    assert Counter(row["outcome"] for row in rows) == {"accepted": count}
    assert second.exit_code == 1 and second.output.splitlines() == [
        f"Error: journal {results}.journal: cannot be used: database is locked"
    ]


def test_the_results_never_replace_the_input_nor_go_through_a_link(
    server: SandboxServer, tmp_path: Path
) -> None:
    messages = write_csv(tmp_path / "messages.csv", 3, start=300_000, header=("name", "to", "body"))
    kept = messages.read_bytes()
    (tmp_path / "link.csv").symlink_to(messages)
    for results, journal, said in [
        (messages, [], "--results"),
        (tmp_path / "link.csv", [], "--results"),
        (tmp_path / "job.db", ["--journal", str(tmp_path / "job.db")], "the same file as --journal"),
        (tmp_path / "r.csv", ["--journal", str(messages)], "the same file as the input file"),
    ]:
        answer = invoke(server, "bulk", "sms", str(messages), "--results", str(results), *journal)
        assert answer.exit_code == 2 and said in answer.output, answer.output
    assert messages.read_bytes() == kept
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    results = tmp_path / "out.csv"
    for link in (results, tmp_path / "out.csv.partial"):
        link.symlink_to(victim)
    answer = invoke(server, "bulk", "sms", str(messages), "--results", str(results))
    assert answer.exit_code == 0, answer.output
    assert victim.read_text() == "keep me" and not results.is_symlink()
    assert [row["outcome"] for row in results_of(results)] == ["accepted"] * 3


def open_to_write(fifo: Path, reader: subprocess.Popen[bytes]) -> int:
    """The FIFO opened to write, once ``reader`` has it open to read (before, such an open fails)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            assert time.monotonic() < deadline and reader.poll() is None, "the command never read"
            time.sleep(0.01)


PIPED = "to,body\n" + "".join(f"+614{i:08d},Piped {i}\n" for i in range(400_000, 400_050))


def test_stdin_is_read_once(server: SandboxServer, tmp_path: Path) -> None:
    command = ["bulk", "sms", "-", "--results", str(tmp_path / "piped.csv"), "--batch-size", "10"]
    piped = run_cli(server, *command, stdin=subprocess.PIPE)
    _, errors = piped.communicate(PIPED.encode(), timeout=60)
    assert piped.returncode == 0, errors.decode()
    assert Counter(row["outcome"] for row in results_of(tmp_path / "piped.csv")) == {"accepted": 50}


def test_a_fifo_is_read_once(server: SandboxServer, tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    command = ["bulk", "sms", str(fifo), "--results", str(tmp_path / "fifo-results.csv")]
    reading = run_cli(server, *command)
    with os.fdopen(open_to_write(fifo, reading), "w") as writer:
        os.set_blocking(writer.fileno(), True)
        writer.write(PIPED)
    try:
        _, errors = reading.communicate(timeout=60)
    finally:
        reading.kill()
    assert reading.returncode == 0, errors.decode()
    assert Counter(row["outcome"] for row in results_of(tmp_path / "fifo-results.csv")) == {"accepted": 50}


def test_ctrl_c_ends_the_wait_for_a_fifo(server: SandboxServer, tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    waiting = run_cli(server, "bulk", "sms", str(fifo), "--results", str(tmp_path / "r.csv"))
    writer = open_to_write(fifo, waiting)  # and write nothing: the command waits for its first line
    try:
        waiting.send_signal(signal.SIGINT)
        _, errors = waiting.communicate(timeout=30)
    finally:
        os.close(writer)
        waiting.kill()
    assert waiting.returncode == 1 and errors.decode().splitlines() == [
        f"Error: interrupted while reading {fifo}"
    ]


@pytest.mark.parametrize(("options", "escaped"), [([], True), (["--raw-cells"], False)])
def test_results_cells_like_formulas_are_escaped(
    server: SandboxServer, tmp_path: Path, options: list[str], escaped: bool
) -> None:
    formulas = ["=HYPERLINK(1)", "+1+2", "-3+4", "@SUM(5)", "\t=6", "\r=7"]
    messages = tmp_path / "messages.csv"
    with messages.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["to", "body", "custom_string"])
        writer.writerows(
            [f"+614110005{i:02d}", "Hi", f"{cell}:{tmp_path.name}"] for i, cell in enumerate(formulas)
        )
    results = tmp_path / "r.csv"
    answer = invoke(server, "bulk", "sms", str(messages), "--results", str(results), *options)
    assert answer.exit_code == 0, answer.output
    customs = [row["custom_string"] for row in results_of(results)]
    prefix = "'" if escaped else ""
    assert customs == [f"{prefix}{cell}:{tmp_path.name}" for cell in formulas]


def test_server_text_is_shown_without_control_characters(server: SandboxServer, tmp_path: Path) -> None:
    body = "bold\x1b[1m\rwiped\x07\x9b"
    sent = invoke(server, "sms", "send", "--to", "+61411000061", "--body", body)
    assert sent.exit_code == 0, sent.output
    table = invoke(server, "sms", "history", "--since", str(int(time.time()) - 60), "--format", "table")
    assert table.exit_code == 0
    assert "bold\\x1b[1m wiped\\x07\\x9b" in table.output
    assert not {"\x1b", "\r", "\x07", "\x9b"} & set(table.output)
    hostile = HostileServer()
    answer = json.dumps({"http_code": 400, "response_code": "BAD", "response_msg": "no\x1b[2J\rwiped"})
    head = f"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: {len(answer)}\r\n"
    hostile.handlers["hostile"] = lambda request: Reply(f"{head}Connection: close\r\n\r\n{answer}".encode())
    hostile.start()
    try:
        environment = {"CLICKSEND_USERNAME": "demo", "CLICKSEND_API_KEY": "key"}
        arguments = ["--base-url", f"{hostile.base_url}/hostile/v3", "sms", "send", "--to", "+61411000062"]
        refused = CliRunner().invoke(cli, [*arguments, "--body", "hi"], env=environment)
    finally:
        hostile.stop()
    assert refused.exit_code == 1 and len(refused.output.splitlines()) == 1, refused.output
    assert "no\\x1b[2J wiped" in refused.output and not {"\x1b", "\r"} & set(refused.output)


def test_a_closed_output_pipe_ends_quietly(server: SandboxServer, tmp_path: Path) -> None:
    messages = write_csv(tmp_path / "messages.csv", 2_000, start=500_000, header=("name", "to", "body"))
    assert invoke(server, "bulk", "sms", str(messages), "--results", str(tmp_path / "r.csv")).exit_code == 0
    history = run_cli(
        server, "sms", "history", "--since", "2020-01-01", "--format", "table", stdout=subprocess.PIPE
    )
    assert history.stdout is not None
    assert history.stdout.readline().split() == [b"date", b"to", b"status", b"message_id", b"body"]
    history.stdout.close()  # as `| head -1` does
    _, errors = history.communicate(timeout=60)
    assert (history.returncode, errors) == (141, b"")


def test_a_finished_job_run_again_says_it_is_complete(server: SandboxServer, tmp_path: Path) -> None:
    messages = write_csv(tmp_path / "messages.csv", 2, start=600_000, header=("name", "to", "body"))
    command = ["bulk", "sms", str(messages), "--results", str(tmp_path / "r.csv")]
    assert invoke(server, *command).exit_code == 0
    again = invoke(server, *command)
    assert again.exit_code == 0, again.output
    assert "already complete: 2 accepted; nothing sent" in again.output
    assert [row["outcome"] for row in results_of(tmp_path / "r.csv")] == ["accepted", "accepted"]


def test_results_come_in_input_order_and_rows_without_one_are_found(tmp_path: Path) -> None:
    results = tmp_path / "r.csv"
    with ResultsFile(results, 5, raw_cells=False) as out:
        for row in (3, 0, 4):
            out.add(row, ["accepted", "SUCCESS", f"id-{row}", "0.07", f"c{row}", ""])
        assert list(out.unfilled()) == [1, 2]
        for row in out.unfilled():
            out.add(row, ["not_sent", "", "", "", "", "not taken: the job stopped"])
    rows = results_of(results)
    assert [row["row"] for row in rows] == ["1", "2", "3", "4", "5"]
    assert [row["outcome"] for row in rows] == ["accepted", "not_sent", "not_sent", "accepted", "accepted"]
    assert [path.name for path in tmp_path.iterdir()] == ["r.csv"]


def test_a_resume_stopped_while_it_reads_the_history_writes_results_that_agree(
    server: SandboxServer, tmp_path: Path
) -> None:
    """A job killed while it sends, run again, and stopped with SIGTERM while it looks its batches in flight
    up in the history: the results file claims nothing the sandbox contradicts (accepted rows reached it,
    not_sent rows did not), and the run after finishes the job with every row sent once."""
    count = 12_000
    messages = write_csv(tmp_path / "messages.csv", count, start=200_000)
    results, journal = tmp_path / "results.csv", tmp_path / "job.db"
    command = ["bulk", "sms", str(messages), "--results", str(results), "--journal", str(journal)]
    command += ["--map", "to=phone", "--batch-size", "1000", "--concurrency", "4", "--history-lag", "0"]
    before = sum(delivered(server).values())
    server.faults.latency_ms = 300
    try:
        process = start_sending(server, command)
        while sum(delivered(server).values()) - before < 4000:
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)  # batches in flight: the next run looks them up
        process.communicate(timeout=60)
        time.sleep(0.5)  # for the sandbox to finish what the killed run had in flight
        lookups = server.counters.requests["ListSmsHistory"]
        process = run_cli(server, *command)
        deadline = time.monotonic() + 60
        while server.counters.requests["ListSmsHistory"] == lookups:
            assert time.monotonic() < deadline and process.poll() is None, "the run never read the history"
            time.sleep(0.005)
        process.send_signal(signal.SIGTERM)
        stopped_at = time.monotonic()
        _, errors = process.communicate(timeout=60)
        stop_seconds = time.monotonic() - stopped_at
    finally:
        server.faults.latency_ms = 0
    assert b"Traceback" not in errors, errors.decode()
    assert process.returncode == 1, errors.decode()
    assert stop_seconds < 5, f"the stop took {stop_seconds:.1f} s"
    rows = results_of(results)
    assert sorted(int(row["row"]) for row in rows) == list(range(1, count + 1))
    tag = next(row["custom_string"] for row in rows if row["custom_string"]).split(":")[0]
    sent = delivered(server, tag + ":")
    kinds = Counter(row["outcome"] for row in rows)
    assert kinds["accepted"] > 0 and kinds["unknown"] > 0, kinds
    for row in rows:
        custom = f"{tag}:{int(row['row']) - 1}"
        if row["outcome"] == "accepted":
            assert sent[custom] == 1, row
        elif row["outcome"] == "not_sent":
            assert custom not in sent, row
    final = run_cli(server, *command)
    _, errors = final.communicate(timeout=120)
    assert final.returncode == 0, errors.decode()
    assert Counter(row["outcome"] for row in results_of(results)) == {"accepted": count}
    sent = delivered(server, tag + ":")
    assert len(sent) == count and set(sent.values()) == {1}, "every row reached ClickSend exactly once"
    assert_journal_settled(journal)


async def test_a_postgresql_journal_holds_the_job_by_its_id_from_before_any_output(
    server: SandboxServer, tmp_path: Path, postgres_dsn: str
) -> None:
    """--journal postgresql://... --job-id: the job is journaled in the database; while another worker
    holds it a run ends before it writes anything; run again once done, it sends nothing. The DSN's
    password is never shown."""
    messages = write_csv(tmp_path / "messages.csv", 300, start=700_000, header=("name", "to", "body"))
    results, job_id = tmp_path / "r.csv", "spring/0-of-1"
    dsn = postgres_dsn.replace("postgres@", "postgres:pass-word@")  # (the test server trusts any)
    command = ["bulk", "sms", str(messages), "--results", str(results), "--journal", dsn, "--job-id", job_id]
    before = sum(delivered(server).values())

    other_worker = PostgresJournal(postgres_dsn)
    await other_worker.lock(job_id)
    try:
        held = await asyncio.to_thread(invoke, server, *command)
    finally:
        await other_worker.close()
    assert held.exit_code == 1 and "is held by another worker" in held.output, held.output
    assert not results.exists() and sum(delivered(server).values()) == before

    first = await asyncio.to_thread(invoke, server, *command)
    assert first.exit_code == 0, first.output
    assert "300 accepted" in first.output and "journal postgresql://postgres@127.0.0.1:" in first.output
    again = await asyncio.to_thread(invoke, server, *command)
    assert again.exit_code == 0 and "already complete: 300 accepted; nothing sent" in again.output
    assert sum(delivered(server).values()) == before + 300
    assert [row["outcome"] for row in results_of(results)] == ["accepted"] * 300
    assert "pass-word" not in held.output + first.output + again.output
    await assert_job_settled(postgres_dsn, job_id)
