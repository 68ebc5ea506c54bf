"""What the sandbox's Kazoo keeps: faxes by folder, the SMTP log and auth tokens, and the helpers tests use
to receive a fax, log an email-to-fax attempt or expire every token.

A fax sent is a job in the ``outgoing`` folder until ``transmit_after`` seconds have passed; it is then
transmitted (its ``tx_result`` filled in, its pages counted from the document sent) and moves to the
``outbox`` under the same id. A fax received with ``receiving=True`` waits in ``incoming`` the same way
before it is in the ``inbox``. Nothing runs in the background: the clock is read whenever the state is
looked at (a request, or a helper), and what is due by then has happened.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
import secrets
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "GREGORIAN_OFFSET",
    "Fax",
    "KazooState",
    "Token",
    "count_pages",
    "make_pdf",
    "page_key",
    "read_page_key",
]

GREGORIAN_OFFSET = 62167219200
"""Kazoo's times are Gregorian seconds: Unix time plus this."""
FAILING_SUFFIX = "0000"
"""By default a fax to a number ending in this fails (no answer), so that failures can be tried."""
DEFAULT_FROM_NUMBER = "+15555550199"
"""The caller id of the sandbox's faxbox: the sender of faxes submitted by email."""
FAXBOX_ID = "5a4e0d3f9c6b2e1f0a7d8c9b6e5f4a3b"
"""The id of the sandbox's one faxbox (email-to-fax), in Kazoo's 32-hex form."""
PAGE_OBJECT = re.compile(rb"/Type\s*/Page\b")
"""A page object of a PDF (``/Type /Page``; the page tree's ``/Type /Pages`` does not match)."""
FIELDS = (
    "document",
    "from_name",
    "from_number",
    "notifications",
    "retries",
    "subject",
    "to_name",
    "to_number",
)
"""The fax fields a request gives (004's schema table, without those the system sets)."""
EMPTY_TX_RESULT = {
    "error_message": "",
    "fax_bad_rows": 0,
    "fax_error_correction": False,
    "fax_receiver_id": "",
    "fax_speed": 0,
    "pages_sent": 0,
    "success": False,
    "time_elapsed": 0,
}
"""A job's ``tx_result`` before its transmission (the values of 004's answers)."""


def count_pages(document: bytes | None, content_type: str | None) -> int:
    """The pages of a document: a PDF's page objects are counted; anything else (a TIFF, a document known
    only by its URL, which the sandbox never fetches) is one page."""
    if document is None or content_type != "application/pdf":
        return 1
    return max(1, len(PAGE_OBJECT.findall(document)))


def make_pdf(pages: int = 1, text: str = "aioclicksend sandbox") -> bytes:
    """A minimal valid PDF of ``pages`` pages showing ``text`` (ASCII), with its cross-reference table."""
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode("ascii")
    first_page, content = 3, 3 + pages
    kids = b" ".join(b"%d 0 R" % number for number in range(first_page, content))
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R" % content
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
        *[page + b" /Resources << /Font << /F1 %d 0 R >> >> >>" % (content + 1)] * pages,
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    document = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(document))
        document += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    table = len(document)
    document += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    document += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    document += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, table)
    return bytes(document)


def _now() -> int:
    """The wall clock in Gregorian seconds."""
    return int(time.time()) + GREGORIAN_OFFSET


def _new_id() -> str:
    """A new fax or log id as Kazoo writes those of its month databases: ``<YYYYMM>-<32 hex digits>``."""
    return f"{time.strftime('%Y%m', time.gmtime())}-{uuid.uuid4().hex}"


@dataclass(eq=False)
class Fax:
    """A fax in one folder: its public fields as answered, and the document the sandbox holds for it."""

    id: str
    folder: str
    """``outgoing`` (a job being sent), ``outbox``, ``incoming`` (being received) or ``inbox``."""
    fields: dict[str, Any]
    """What a get answers, but for ``id`` and ``folder``: the fields given and those the system set."""
    key: int
    """Its place in lists (the order faxes were made in), which paging keys name."""
    due: float
    """When (on the state's clock) a fax being sent or received is done."""
    document: bytes | None = None
    content_type: str | None = None

    def view(self) -> dict[str, Any]:
        """The fax as a get answers it (a job in the outgoing queue has no folder)."""
        folder = {} if self.folder == "outgoing" else {"folder": self.folder}
        return {**self.fields, "id": self.id, **folder}


@dataclass(frozen=True)
class Token:
    """An auth token: the account it is for (None: any, when API keys are not restricted) and until when."""

    account: str | None
    expires: float


@dataclass
class KazooState:
    """The Kazoo side of one sandbox server (shared by every account in the URL: it is a test double).

    ``api_keys`` (account id → API key) restricts the keys ``PUT /v2/api_auth`` accepts, and a token is
    then good for its own account only; without it any non-empty key gets a token good for any account.
    """

    api_keys: Mapping[str, str] | None = None
    transmit_after: float = 1.0
    """Seconds a fax stays in the outgoing queue (or incoming) before it is transmitted (received)."""
    failing_suffix: str | None = FAILING_SUFFIX
    """A fax to a number ending in this fails; None: every fax goes through."""
    token_lifetime: float = 3600.0
    clock: Callable[[], float] = time.monotonic
    faxes: dict[str, Fax] = field(default_factory=dict)
    """Every fax by id, in the order they were made; its folder says where it is."""
    smtplog: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Email-to-fax attempts by id (the SmtpLogAttempt fields, and ``created``), oldest first."""
    tokens: dict[str, Token] = field(default_factory=dict)
    _keys: Iterator[int] = field(default_factory=itertools.count, init=False, repr=False)

    def __post_init__(self) -> None:
        if not 0 <= self.transmit_after < float("inf"):
            raise ValueError(f"transmit_after must be 0 or more seconds, not {self.transmit_after!r}")

    # --- auth ---------------------------------------------------------------------------------------------

    def issue_token(self, api_key: str, *, token: str | None = None) -> tuple[str, str] | None:
        """A new token for an API key and the account it is for; None if the key is not accepted.
        ``token`` is the token's text, if a test wants one it knows beforehand (else a random one)."""
        given = api_key.encode("utf-8", "surrogatepass")  # (compared as bytes: a key may be any text)
        if self.api_keys is None:
            account = None
            shown = hashlib.md5(given, usedforsecurity=False).hexdigest()
        else:
            found = [
                name
                for name, key in self.api_keys.items()
                if secrets.compare_digest(key.encode("utf-8", "surrogatepass"), given)
            ]
            if not found:
                return None
            account = shown = found[0]
        now = self.clock()
        self.tokens = {text: kept for text, kept in self.tokens.items() if kept.expires > now}
        token = token or secrets.token_urlsafe(32)
        self.tokens[token] = Token(account, now + self.token_lifetime)
        return token, shown

    def token(self, token: str) -> Token | None:
        """The token if it was issued and has not expired."""
        found = self.tokens.get(token)
        if found is None or found.expires <= self.clock():
            self.tokens.pop(token, None)
            return None
        return found

    def expire_tokens(self) -> int:
        """Every token issued so far expires now (a request with one gets a 401); how many there were."""
        expired = len(self.tokens)
        self.tokens.clear()
        return expired

    # --- faxes --------------------------------------------------------------------------------------------

    def advance(self) -> None:
        """What is due by now has happened: faxes sent are transmitted, faxes being received are in."""
        now = self.clock()
        for fax in self.faxes.values():
            if fax.folder == "outgoing" and fax.due <= now:
                self._transmit(fax)
            elif fax.folder == "incoming" and fax.due <= now:
                fax.folder = "inbox"
                fax.fields["status"] = "completed"

    def folder(self, name: str) -> list[Fax]:
        """The faxes of a folder as of now, oldest first."""
        self.advance()
        return [fax for fax in self.faxes.values() if fax.folder == name]

    def find(self, folder: str, fax_id: str) -> Fax | None:
        self.advance()
        fax = self.faxes.get(fax_id)
        return fax if fax is not None and fax.folder == folder else None

    def queue(self, given: Mapping[str, Any], document: bytes | None, content_type: str | None) -> Fax:
        """A new job in the outgoing queue: the fax fields given (not those the system sets), pending."""
        fields = {name: given[name] for name in FIELDS if name in given}
        fields.setdefault("retries", 1)  # 004's default
        if isinstance(fields.get("document"), dict):  # 004's default method, which every answer shows
            fields["document"] = {"method": "get", **fields["document"]}
        fields.update(
            attempts=0,
            created=_now(),
            delivered="undefined",
            fax_timezone="undefined",
            status="pending",
            tx_result=dict(EMPTY_TX_RESULT),
        )
        return self._add("outgoing", fields, document, content_type)

    def _add(
        self, folder: str, fields: dict[str, Any], document: bytes | None, content_type: str | None
    ) -> Fax:
        """A new fax in ``folder``, done (sent or received) ``transmit_after`` seconds from now."""
        fax = Fax(
            _new_id(),
            folder,
            fields,
            next(self._keys),
            self.clock() + self.transmit_after,
            document,
            content_type,
        )
        self.faxes[fax.id] = fax
        return fax

    def _transmit(self, fax: Fax) -> None:
        fields = fax.fields
        number = str(fields.get("to_number", ""))
        failed = self.failing_suffix is not None and number.endswith(self.failing_suffix)
        result = {
            **EMPTY_TX_RESULT,
            "fax_error_correction": not failed,
            "fax_speed": 0 if failed else 14400,
            "pages_sent": 0 if failed else count_pages(fax.document, fax.content_type),
            "success": not failed,
            "time_elapsed": round(self.transmit_after),
        }
        if failed:
            result["error_message"] = (
                f"no fax answered at {number} (the sandbox fails numbers ending in {self.failing_suffix})"
            )
        fields.update(
            attempts=max(1, fields.get("retries", 1)) if failed else 1,
            status="failed" if failed else "completed",
            tx_result=result,
        )
        if not failed:
            fields["delivered"] = _now()
        fax.folder = "outbox"

    def receive_fax(
        self,
        *,
        from_number: str = "+15555550142",
        to_number: str = DEFAULT_FROM_NUMBER,
        document: bytes | None = None,
        content_type: str = "application/pdf",
        from_name: str | None = None,
        to_name: str | None = None,
        receiving: bool = False,
    ) -> dict[str, Any]:
        """A fax received: in the inbox now (with its document, a one-page PDF if none is given), or with
        ``receiving=True`` in the incoming folder until ``transmit_after`` seconds have passed. Returns it as
        a get answers it (its ``id`` among the fields)."""
        document = make_pdf() if document is None else document
        names = {name: value for name, value in (("from_name", from_name), ("to_name", to_name)) if value}
        pages = count_pages(document, content_type)
        fields = {
            "from_number": from_number,
            "to_number": to_number,
            **names,
            "created": _now(),
            "fax_timezone": "undefined",
            "status": "receiving" if receiving else "completed",
            "rx_result": {
                "success": True,
                "pages_received": pages,
                "fax_speed": 14400,
                "time_elapsed": pages,
            },
        }
        return self._add("incoming" if receiving else "inbox", fields, document, content_type).view()

    def email_fax(
        self,
        *,
        sender: str = "someone@example.com",
        to_number: str = "+15555550100",
        document: bytes | None = None,
        filename: str = "fax.pdf",
        content_type: str = "application/pdf",
        subject: str | None = None,
        error: str | None = None,
        faxbox_domain: str = "fax.sandbox.invalid",
    ) -> dict[str, Any]:
        """An email to ``<to_number>@<faxbox_domain>`` with a document attached: logged in the SMTP log and,
        unless ``error`` says why it was not, queued as a fax from the faxbox's number. Returns the log
        entry as a get answers it."""
        entry: dict[str, Any] = {
            "id": _new_id(),
            "from": sender,
            "to": f"{to_number}@{faxbox_domain}",
            "original_number": to_number,
            "translated_number": to_number,
            "faxbox_domain": faxbox_domain,
            "faxbox_id": FAXBOX_ID,
            "content_type": content_type,
            "filename": filename,
            "errors": [] if error is None else [error],
            "created": _now(),
        }
        if error is None:
            given = {"from_number": DEFAULT_FROM_NUMBER, "to_number": to_number}
            if subject is not None:
                given["subject"] = subject
            fax = self.queue(given, make_pdf() if document is None else document, content_type)
            fax.fields["faxbox_id"] = FAXBOX_ID
            entry.update(faxdoc_id=fax.id, faxdoc_db="faxes")
        self.smtplog[entry["id"]] = entry
        return dict(entry)


def page_key(key: int) -> str:
    """The opaque paging key of a list's item (URL-safe Base64, as Kazoo 4.2 and later writes keys)."""
    return base64.urlsafe_b64encode(str(key).encode()).decode().rstrip("=")


def read_page_key(text: str) -> int | None:
    """The place a paging key names; None for a key the sandbox did not give."""
    try:
        decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return None
    return int(decoded) if decoded.isdigit() and len(decoded) < 19 else None
