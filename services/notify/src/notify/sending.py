"""The email sender: hands queued emails to the SMTP server and records what happened to each.

A send pass leases a few due rows in one short transaction (`claim_due_emails`, stamped with a
token of its own), then sends them one at a time. Just before each send it checks that its token
still holds the row, pending (renewing the row's lease once the claim's own runs short), and
records the outcome as soon as the server answers, on the
connection the pass keeps, so a busy pool cannot hold a mark back while the lease runs out. Marks
and releases name the token: a sender whose lease ran out can change nothing another sender holds.

An email the server took is never sent again by a sender that keeps running: if its mark fails
(the database went away, a fault in the outbox), the sender keeps it and does the mark again, with
backoff, before it claims anything new. So only a crash, a kill, or a stop that cannot finish the
email in flight within the SMTP timeout can double an email: the one in flight on each loop (the
server took it, its mark did not commit) goes once more, with the same Message-ID, which mail
stores use to drop it. A server that hangs up after the whole message but before its `250` leaves
the sender not knowing either: the email is retried (an attempt), so it may arrive twice. Rows
leased but not yet tried come back when the lease ends (or at once, when the loop stops in an
orderly way).

Every SMTP outcome is classified (`classify`): a mail server that cannot be reached costs the
email no attempt (the batch stops and the loop backs off); other temporary outcomes (4xx, timeouts,
a connection lost in the middle of an email) are retried with growing waits; permanent ones (5xx
for this message, an address the server cannot take, a header that cannot be written) fail the
email at once, with the reason in `last_error`. An email still not sent `send_give_up_after_seconds`
after it was queued fails. Sent and failed rows are deleted after `email_retention_seconds`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import email.errors
import email.utils
import io
import json
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.generator import BytesGenerator
from email.headerregistry import Address, BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage, Message
from email.policy import Compat32, Policy
from email.policy import default as default_policy
from email.utils import format_datetime, parseaddr
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import aiosmtplib
import asyncpg

from backbone.correlation import REQUEST_ID_HEADER
from backbone.db import CONNECTION_ERRORS
from backbone.logs import get_logger
from backbone.outbox import add_event
from backbone.workers import Backoff, TryLater, run_forever
from notify.contracts import EMAIL_SENT, EmailSentV1
from notify.deliveries import record_attempt
from notify.links import Signer, signer_for, unsubscribe_url
from notify.mailing import EMAILS_QUEUED, add_attachments, q
from notify.preferences import BULK
from notify.settings import SEND_STEPS, Settings

log = get_logger(__name__)
T = TypeVar("T")
# What a server may say is kept in `last_error`; more than this is noise.
_ERROR_LIMIT = 1000
# A connection unused for longer than this may have been dropped by the server: ask it (NOOP) first.
_IDLE_CHECK_SECONDS = 1.0
_PRUNE_BATCH = 1000
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_LINE_END = re.compile(r"\r\n|\r|\n")
# Answers after which the connection is still good for the next email.
_REFUSALS = (aiosmtplib.SMTPResponseException, aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPNotSupported)
_RECORD_ERRORS: tuple[type[BaseException], ...] = (*CONNECTION_ERRORS, TimeoutError)


def one_line(text: str) -> str:
    """A header value on one line: any run of whitespace, line breaks included, becomes one space."""
    return " ".join(text.split())


def storable(text: str) -> str:
    """Text PostgreSQL takes: a server's bytes that are not UTF-8 become `?`, NULs go, and it is capped."""
    clean = text.encode("utf-8", errors="replace").decode("utf-8").replace("\x00", "")
    return clean if len(clean) <= _ERROR_LIMIT else clean[: _ERROR_LIMIT - 1] + "…"


def envelope_recipient(row: dict[str, Any]) -> str:
    """The one address an email goes to; ValueError for anything else (a list, a name, a header)."""
    text = row["recipient"]
    # The parser takes only ASCII; a non-ASCII letter (SMTPUTF8, the server decides) stands in as
    # `x`, which plays the same part in an address. Line breaks, commas and quotes are ASCII.
    shape = _NON_ASCII.sub("x", text)
    try:
        address = Address(addr_spec=shape)  # ValueError unless all of it is one address
    except (ValueError, IndexError, email.errors.HeaderParseError) as exc:
        raise ValueError(f"not exactly one email address: {exc}") from None
    if not address.username or not address.domain or address.addr_spec != shape:
        raise ValueError("not exactly one email address")
    return text


def list_unsubscribe(row: dict[str, Any], signer: Signer, settings: Settings) -> str | None:
    """The List-Unsubscribe value of a bulk email (RFC 2369, RFC 8058), or None for any other.

    The https link is the one-click one; a mailto, if set, is for mail programs without it.
    """
    category = row.get("category") or "other"
    if category not in BULK:
        return None
    link = unsubscribe_url(signer, settings.public_url, row["recipient"], category)
    value = f"<{link}>"
    if settings.unsubscribe_mailto:
        value += f", <mailto:{settings.unsubscribe_mailto}?subject=unsubscribe%20{category}>"
    return value


class ListUnsubscribeHeader(UnstructuredHeader, BaseHeader):
    """List-Unsubscribe written as it is, one link a line, never as RFC 2047 encoded words.

    The signed https link is one long word that cannot be folded at 78 characters; the email
    package's own folding then encodes it, and mail providers (which read the links as written,
    RFC 2369) show no unsubscribe at all. A line stays far below the hard limit of 998.
    """

    def fold(self, *, policy: Policy) -> str:
        links = [part.strip() for part in str(self).split(",") if part.strip()]
        return f"{self.name}: " + f",{policy.linesep} ".join(links) + policy.linesep


class _KeptHeaderClasses(HeaderRegistry):
    """The header registry, its class for each header name made once instead of for every header.

    The standard registry builds a new class (`type(...)`) for every header it makes: with some
    fifty headers in an email and its parts, that was most of an email's cost to build (and every
    new class empties the interpreter's method caches). The classes hold no state of their own, so
    one per name serves every message.
    """

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type[BaseHeader]] = {}

    def map_to_type(self, name: str, cls: type[BaseHeader]) -> None:
        super().map_to_type(name, cls)
        self._classes.clear()

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        made = self._classes.get(key)
        if made is None:
            made = self._classes[key] = super().__getitem__(key)
        return made


_HEADERS = _KeptHeaderClasses()
_HEADERS.map_to_type("list-unsubscribe", ListUnsubscribeHeader)
# The generator (aiosmtplib flattens with policy.SMTP) asks each header object to fold itself.
MESSAGE_POLICY = default_policy.clone(header_factory=_HEADERS)


def build_message(
    row: dict[str, Any],
    mail_from: str,
    *,
    zone: ZoneInfo,
    now: datetime | None = None,
    unsubscribe: str | None = None,
) -> WireMessage | EmailMessage:
    """The email of a queued row; raises ValueError for a header that cannot be written safely.

    Dated in `zone`, the time the people we write to live in, with its real offset (+0100/+0200).
    With `unsubscribe` (see `list_unsubscribe`) it carries List-Unsubscribe and its one-click POST.

    Written straight to the bytes that go to the server (`WireMessage`): headers through the classic
    policy (`WIRE_POLICY`), which writes short ASCII headers as they are and folds or encodes the
    others, and the MIME structure by hand, as the classic classes (compat32 `MIMEMultipart`,
    `MIMEText`) write it. Those classes and their generator took more than a millisecond of CPU per
    email, the biggest part of the sender's own work. Any parser reads the same email as from the
    email package's modern API (a test compares it with `build_message_by_email_policy`), except
    that the parts are base64 (never too long a line) and non-ASCII headers are encoded words. An
    address that is not ASCII needs SMTPUTF8, which only the modern API writes: such an email is
    built by it.
    """
    recipient = envelope_recipient(row)
    if not (recipient.isascii() and mail_from.isascii()) or not parseaddr(mail_from)[1]:
        return build_message_by_email_policy(row, mail_from, zone=zone, now=now, unsubscribe=unsubscribe)
    headers = {
        "From": mail_from,
        "To": recipient,
        "Subject": one_line(row["subject"]),
        "Date": format_datetime((now or datetime.now(UTC)).astimezone(zone)),
        "Message-ID": row["message_id"],
        "Auto-Submitted": "auto-generated",
    }
    if row["request_id"]:
        headers[REQUEST_ID_HEADER] = one_line(row["request_id"])
    if unsubscribe:
        headers["List-Unsubscribe"] = unsubscribe
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    headers["Content-Language"] = row.get("language") or "sv"
    fold = WIRE_POLICY.fold_binary
    alternative = _boundary()
    body = [
        _CRLF.join((f"--{alternative}", _TEXT_PLAIN, _BASE64_ENCODING, "", _base64(row["body_text"]))),
        _CRLF.join((f"--{alternative}", _TEXT_HTML, _BASE64_ENCODING, "", _base64(row["body_html"]))),
        f"--{alternative}--{_CRLF}",
    ]
    alternative_type = f"Content-Type: multipart/alternative;{_CRLF} boundary=\"{alternative}\"{_CRLF}"
    attachments = _attachments_of(row)
    if attachments:
        mixed = _boundary()
        parts = [f"--{mixed}{_CRLF}{alternative_type}{_CRLF}" + _CRLF.join(body)]
        parts += [f"--{mixed}{_CRLF}" + _attachment_part(item) for item in attachments]
        top = f"Content-Type: multipart/mixed; boundary=\"{mixed}\"{_CRLF}".encode("ascii")
        text = _CRLF.join([*parts, f"--{mixed}--{_CRLF}"])
    else:
        top = alternative_type.encode("ascii")
        text = _CRLF.join(body)
    head = [top, b"MIME-Version: 1.0\r\n"]
    for name, value in headers.items():
        checked = _header_value(name, value)
        head.append(fold(name, _LinksAsWritten(checked) if name == "List-Unsubscribe" else checked))
    return WireMessage(headers, b"".join(head) + b"\r\n" + text.encode("ascii"))


class WireMessage:
    """An email as it goes to the SMTP server (`data`), with its headers as they were given."""

    def __init__(self, headers: dict[str, str], data: bytes) -> None:
        self._headers = {name.lower(): value for name, value in headers.items()}
        self.data = data

    def __getitem__(self, name: str) -> str | None:
        return self._headers.get(name.lower())


_CRLF = "\r\n"
_TEXT_PLAIN = 'Content-Type: text/plain; charset="utf-8"'
_TEXT_HTML = 'Content-Type: text/html; charset="utf-8"'
_BASE64_ENCODING = "Content-Transfer-Encoding: base64"


def _base64(text: str) -> str:
    """A text part's body: its canonical form (CRLF line ends, RFC 2045) in base64 lines of 76
    characters, as the email package writes it, ending in an empty line before the boundary."""
    encoded = base64.encodebytes(_crlf(text).encode("utf-8")).decode("ascii")
    return encoded.replace("\n", _CRLF) + _CRLF


def _boundary() -> str:
    """A part boundary that cannot occur in a base64 part: `_` is not in the base64 alphabet. (The
    generator's own boundaries are checked against the text with a new regular expression each.)"""
    return f"=_{uuid.uuid4().hex}"


class _WirePolicy(Compat32):
    """compat32 as aiosmtplib writes it (CRLF), but a short ASCII header is written as it is instead
    of through `email.header.Header` (a fold that finds nothing to fold), and a header that is not
    ASCII as base64 encoded words (the quoted-printable ones are written a character at a time).

    compat32 folds only at spaces (and `,;`): a run without one that does not fit a line stays
    whole, past SMTP's 998 characters if long enough (a relay refuses or cuts the email), and one
    that does not fit beside the name is folded right after it (read back with a leading space).
    Free text with such a run is written as encoded words, which fold anywhere; any other header
    with a line too long is refused (ValueError) before the connection is touched."""

    def fold_binary(self, name: str, value: Any) -> bytes:
        if isinstance(value, str):
            if value.isascii():
                if len(name) + 2 + len(value) <= _FOLD_AT:
                    return f"{name}: {value}{self.linesep}".encode("ascii")
                if name.lower() in _FREE_TEXT and _longest_run(value) > _FOLD_AT - len(name) - 2:
                    return self._encoded_words(name, value)
            else:
                return self._encoded_words(name, value)
        return self._checked(name, super().fold_binary(name, value))

    def _encoded_words(self, name: str, value: str) -> bytes:
        """The value as RFC 2047 base64 encoded words of UTF-8, one a line, each short enough for a
        line of 78 beside the name; a character is never split across two words. (What
        `email.header.Header` writes, at a fraction of its cost: it measures every piece again.)"""
        words: list[str] = []
        chunk: list[str] = []
        size = 0
        for char in value:
            length = len(char.encode("utf-8"))
            if size + length > _WORD_BYTES and chunk:
                words.append("".join(chunk))
                chunk, size = [], 0
            chunk.append(char)
            size += length
        if chunk:
            words.append("".join(chunk))
        encoded = [f"=?utf-8?b?{base64.b64encode(word.encode('utf-8')).decode('ascii')}?=" for word in words]
        folded = f"{name}: " + f"{self.linesep} ".join(encoded) + self.linesep
        return self._checked(name, folded.encode("ascii"))

    def _checked(self, name: str, folded: bytes) -> bytes:
        if max(len(line) for line in folded.split(self.linesep.encode("ascii"))) <= _LINE_LIMIT:
            return folded
        raise ValueError(
            f"the {name} header cannot be written in lines of at most {_LINE_LIMIT} characters "
            "(SMTP's limit); shorten it"
        )


def _longest_run(value: str) -> int:
    """The longest stretch without whitespace, where compat32 cannot fold."""
    return max((len(word) for word in value.split()), default=0)


_FOLD_AT = 78
# UTF-8 bytes in one encoded word: 39 bytes are 52 in base64, with `=?utf-8?b?`, `?=` and a name as
# long as `List-Unsubscribe-Post: ` still within 78.
_WORD_BYTES = 39
_LINE_LIMIT = 998  # RFC 5322 2.1.1, without the CRLF
# Headers of free text, which read back the same as encoded words (RFC 2047); never an address or a
# link, which encoded words would break.
_FREE_TEXT = frozenset({"subject", REQUEST_ID_HEADER.lower()})
WIRE_POLICY = _WirePolicy(linesep="\r\n")


def wire_bytes(message: WireMessage | Message) -> bytes:
    """The email as it goes to the SMTP server (see `build_message`)."""
    if isinstance(message, WireMessage):
        return message.data
    out = io.BytesIO()
    BytesGenerator(out, policy=WIRE_POLICY).flatten(message)
    return out.getvalue()


def _crlf(text: str) -> str:
    """Text in its canonical form for a base64 part (RFC 2045): every line ends in CRLF."""
    return _LINE_END.sub("\r\n", text)


def _header_value(name: str, value: str) -> str:
    """A header's value as given; ValueError for a line break in it (it would start a header of its
    own). Not ASCII: the classic generator writes it as RFC 2047 encoded words."""
    if "\r" in value or "\n" in value:
        raise ValueError(f"the {name} header may not contain a line break")
    return value


class _LinksAsWritten:
    """List-Unsubscribe for the classic generator: one link a line, never encoded words (see
    `ListUnsubscribeHeader`, the same for the modern API). The generator asks a value that is not
    a str to encode itself."""

    def __init__(self, value: str) -> None:
        self._value = value

    def __str__(self) -> str:
        return self._value

    def __eq__(self, other: object) -> bool:
        return str(other) == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def encode(self, linesep: str = "\n", maxlinelen: int | None = None) -> str:
        links = [part.strip() for part in self._value.split(",") if part.strip()]
        return f",{linesep} ".join(links)


def _attachment_part(item: Mapping[str, Any]) -> str:
    """A text attachment (an .ics) with the parameters of its type (`method=REQUEST`), headers and
    body, as the classic classes write it: the charset first, then the type's own parameters."""
    maintype, _, rest = item["content_type"].partition("/")
    if maintype != "text":
        raise ValueError(f"only text attachments can be sent, not {item['content_type']}")
    subtype, *parameters = (part.strip() for part in rest.split(";"))
    content_type = f'text/{subtype}; charset="utf-8"'
    for key, value in (p.split("=", 1) for p in parameters if "=" in p):
        if key.strip().lower() != "charset":  # written with the type itself
            content_type += "; " + _parameter(key.strip(), value.strip())
    fold = WIRE_POLICY.fold_binary
    lines = [
        _BASE64_ENCODING + _CRLF,
        fold("Content-Type", _header_value("Content-Type", content_type)).decode("ascii"),
        fold(
            "Content-Disposition",
            _header_value("Content-Disposition", "attachment; " + _parameter("filename", item["filename"])),
        ).decode("ascii"),
    ]
    return "".join(lines) + _CRLF + _base64(item["content"])


def _parameter(key: str, value: str) -> str:
    """`key="value"` as the email package writes a parameter; RFC 2231 when it is not ASCII."""
    if value.isascii():
        return f'{key}="{email.utils.quote(value)}"'
    return f"{key}*={email.utils.encode_rfc2231(value, 'utf-8')}"


def build_message_by_email_policy(
    row: dict[str, Any],
    mail_from: str,
    *,
    zone: ZoneInfo,
    now: datetime | None = None,
    unsubscribe: str | None = None,
) -> EmailMessage:
    """`build_message` through the email package's modern API: for an address that is not ASCII
    (SMTPUTF8, which only that API writes), and as the reference the fast one is tested against."""
    msg = EmailMessage(policy=MESSAGE_POLICY)
    msg["From"] = mail_from
    msg["To"] = envelope_recipient(row)
    msg["Subject"] = one_line(row["subject"])
    msg["Date"] = format_datetime((now or datetime.now(UTC)).astimezone(zone))
    msg["Message-ID"] = row["message_id"]
    msg["Auto-Submitted"] = "auto-generated"
    if row["request_id"]:
        msg[REQUEST_ID_HEADER] = one_line(row["request_id"])
    msg.set_content(row["body_text"])
    msg.add_alternative(row["body_html"], subtype="html")
    if unsubscribe:
        msg["List-Unsubscribe"] = unsubscribe
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    add_attachments(msg, _attachments_of(row))
    # After the attachments: making the email multipart/mixed moves every Content-* header set
    # before into its first part, where mail programs do not look for the language.
    msg["Content-Language"] = row.get("language") or "sv"
    return msg


def _attachments_of(row: dict[str, Any]) -> list[dict[str, Any]]:
    value = row.get("attachments") or []
    # asyncpg hands jsonb over as text unless the pool sets a codec for it.
    return list(json.loads(value) if isinstance(value, str) else value)


class MailServerAway(Exception):
    """No connection to the mail server could be made: nothing about any email was said."""


@dataclass(frozen=True)
class Refusal:
    """Why an email did not go out this time."""

    error: str  # kept in `last_error`; may quote the server, so it is never logged
    kind: str  # for logs: the class of failure, without addresses
    permanent: bool  # never retried
    reconnect: bool = False  # the connection is no good any more
    server_away: bool = False  # the server is unreachable: no attempt counted, stop and back off


def classify(exc: BaseException) -> Refusal:
    """What a failure to send one email means for that email, and for the connection."""
    kind = type(exc).__name__
    if isinstance(exc, MailServerAway | aiosmtplib.SMTPConnectError | aiosmtplib.SMTPHeloError):
        # Refused or unreachable at connect, greeting, TLS or login: about the server, not this email.
        cause = type(exc.__cause__).__name__ if exc.__cause__ is not None else kind
        return Refusal(f"could not connect to the mail server: {exc}", cause, False, True, True)
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        text = "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
        permanent = all(code >= 500 for code in codes)
        return Refusal(f"recipient refused: {text}", kind, permanent, reconnect=421 in codes)
    if isinstance(exc, aiosmtplib.SMTPSenderRefused):
        # Our own sender address refused: a setting to fix, after which the email should still go.
        return Refusal(f"sender refused: {exc.code} {exc.message}", kind, False, reconnect=exc.code == 421)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return Refusal(f"refused: {exc.code} {exc.message}", kind, exc.code >= 500, reconnect=exc.code == 421)
    if isinstance(exc, aiosmtplib.SMTPNotSupported):
        return Refusal(f"the mail server cannot take this email: {exc}", kind, True)
    if isinstance(exc, OSError | TimeoutError | aiosmtplib.SMTPException):
        # Timeouts, resets, a server that hung up in the middle of this email: whether it took the
        # email is unknown. An attempt, tried again after its wait.
        return Refusal(f"lost the mail server: {exc or kind}", kind, False, reconnect=True)
    if isinstance(exc, ValueError | TypeError | UnicodeError | email.errors.MessageError):
        return Refusal(f"the email cannot be written: {exc}", kind, True)
    # Anything else is a fault we did not foresee: retried, so it ends with the give-up age instead
    # of failing this email over and over at once.
    return Refusal(f"unexpected failure: {kind}: {exc}", kind, False, reconnect=True)


class SmtpLink:
    """One SMTP connection, kept open between emails and opened again when it is lost."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._smtp: aiosmtplib.SMTP | None = None
        self._last_used = 0.0
        self._busy = False  # in the middle of an email: a QUIT now would land inside DATA

    def client(self) -> aiosmtplib.SMTP:
        """A client with the TLS and login settings; the certificate is always checked."""
        s = self._settings
        return aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            timeout=s.smtp_timeout_seconds,
            use_tls=s.smtp_tls == "tls",
            # Never an opportunistic upgrade: "none" means plain, "starttls" means STARTTLS or nothing.
            start_tls={"none": False, "starttls": True, "tls": None}[s.smtp_tls],
            validate_certs=True,
            cert_bundle=str(s.smtp_ca_file) if s.smtp_ca_file else None,
            username=s.smtp_username,
            password=s.smtp_password.get_secret_value() if s.smtp_password else None,
        )

    async def send(self, message: WireMessage | EmailMessage, recipient: str) -> None:
        """Hand one email to `recipient` only; raises what went wrong (see `classify`).

        Never sent twice: a kept-open connection is checked before the email starts, and once it
        has started nothing is retried here, since the server may already have taken it.
        """
        timeout = self._settings.smtp_timeout_seconds
        # The message was written out (build_message) before the connection is touched: one that
        # cannot be written (ValueError) says nothing about the connection.
        try:
            async with asyncio.timeout(timeout):
                smtp = await self._ready()
        except (OSError, TimeoutError, aiosmtplib.SMTPException) as exc:
            self.abort()
            raise MailServerAway(str(exc) or type(exc).__name__) from exc
        self._busy = True
        try:
            async with asyncio.timeout(timeout):
                if isinstance(message, WireMessage):
                    await smtp.sendmail(parseaddr(str(message["From"]))[1], [recipient], message.data)
                else:
                    await smtp.send_message(message, recipients=[recipient])
        except BaseException as exc:
            # A refusal leaves a usable connection; anything else (a timeout, a stop, a lost link)
            # leaves one in an unknown state, to be closed without a word.
            if not isinstance(exc, _REFUSALS):
                self.abort()
            raise
        finally:
            self._busy = False
            self._last_used = time.monotonic()

    async def _ready(self) -> aiosmtplib.SMTP:
        smtp = self._smtp
        if smtp is not None and smtp.is_connected:
            if time.monotonic() - self._last_used < _IDLE_CHECK_SECONDS:
                return smtp
            try:
                await smtp.noop()
                return smtp
            except (aiosmtplib.SMTPException, OSError):
                self.abort()  # dropped while idle; nothing of an email was said on it
        smtp = self.client()
        await smtp.connect()
        self._smtp = smtp
        return smtp

    def abort(self) -> None:
        """Close the connection without QUIT."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()

    async def close(self) -> None:
        if self._busy:
            self.abort()
            return
        smtp, self._smtp = self._smtp, None
        if smtp is None or not smtp.is_connected:
            return
        try:
            async with asyncio.timeout(2.0):
                await smtp.quit()
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            smtp.close()


@dataclass
class _Pass:
    claimed: int = 0
    sent: int = 0
    server_away: Refusal | None = None
    stuck: bool = False  # emails the server took are still not marked: no new work until they are


@dataclass(frozen=True)
class _Accepted:
    """An email the server took whose mark has not committed yet."""

    row: dict[str, Any]
    token: uuid.UUID


_LOST = object()  # the row's lease ran out and another sender holds it now


class RateLimit:
    """At most `per_second` emails a second toward the relay, over every loop that shares it.

    Each send takes the next free slot, `1 / per_second` after the one before: an even pace, not
    bursts, which is what relays that count per second or per minute take best. `clock` and `sleep`
    are the event loop's unless a test gives its own.
    """

    def __init__(
        self,
        per_second: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self._interval = 1.0 / per_second if per_second > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0

    async def wait(self) -> None:
        if not self._interval:
            return
        now = self._clock()
        slot = max(now, self._next)
        # Taken before the wait, so loops waiting at once line up behind each other.
        self._next = slot + self._interval
        if slot > now:
            await self._sleep(slot - now)


def claim_size(settings: Settings) -> int:
    """How many due rows one loop claims: no more than the pace lets go out within one lease.

    With a slow pace a full batch outlives its lease: its last rows come back to the queue while
    still claimed, and another loop claims them and sends them first. The pace is shared, so each
    of the loops counts on its share of it.
    """
    if settings.send_rate_per_second <= 0:
        return settings.send_batch_size
    share = settings.send_rate_per_second / settings.send_concurrency
    return max(1, min(settings.send_batch_size, int(share * settings.send_lease_seconds)))


class EmailSender:
    def __init__(
        self, *, pool: asyncpg.Pool, settings: Settings, rate_limit: RateLimit | None = None
    ) -> None:
        self._pool = pool
        self._settings = settings
        self._unmarked: dict[Any, _Accepted] = {}
        self._marking = asyncio.Lock()
        self._rate = rate_limit or RateLimit(settings.send_rate_per_second)
        self._signer = signer_for(settings)

    async def run(self) -> None:
        """Several send loops (SMTP round trips, not the CPU, set the pace of one) and the pruning."""
        # A task group, not gather: on a stop it waits for every loop to finish its email in flight.
        async with asyncio.TaskGroup() as group:
            for _ in range(self._settings.send_concurrency):
                group.create_task(self._loop())
            group.create_task(self._prune_loop())

    async def _loop(self) -> None:
        link = SmtpLink(self._settings)
        try:
            with EMAILS_QUEUED.listen(max_wait=1.0) as wake:

                async def step() -> None:
                    done = await self._send_pass(link)
                    if done.server_away:
                        raise TryLater("mail server unreachable, retrying", kind=done.server_away.kind)
                    if done.stuck:
                        raise TryLater()  # an email the server took waits for its mark: that first
                    await wake.wait(found_work=done.claimed > 0)

                # A lost database is a warning; anything else is logged with its traceback.
                await run_forever(
                    step, name="email-sender", backoff=Backoff(0.5, 10.0), expected=CONNECTION_ERRORS
                )
        finally:
            await link.close()

    async def send_due(self, link: SmtpLink | None = None) -> int:
        """Send one batch of due emails; returns how many the SMTP server took."""
        own = link is None
        link = link or SmtpLink(self._settings)
        try:
            return (await self._send_pass(link)).sent
        finally:
            if own:
                await link.close()

    async def _send_pass(self, link: SmtpLink) -> _Pass:
        if not await self._mark_accepted():
            return _Pass(stuck=True)
        s = self._settings
        token = uuid.uuid4()
        claimed_at = time.monotonic()  # before the claim: the lease surely lasts until this + its length
        # The pass keeps its connection: the mark of an email the server took must not wait for a
        # free one (consumers under load may hold them all) while the email's lease runs out.
        async with self._pool.acquire() as conn:
            claimed = await q.claim_due_emails.fetch(
                conn,
                limit=claim_size(s),
                lease_seconds=s.send_lease_seconds,
                lease_token=token,
            )
            rows = sorted((dict(r) for r in claimed), key=lambda r: r["queued_seq"])  # in queued order
            done = _Pass(claimed=len(rows))
            untried = {row["id"] for row in rows}
            try:
                for row in rows:
                    outcome = await self._finish_even_if_stopped(
                        self._send_and_record(conn, link, row, token, untried, claimed_at), link
                    )
                    if outcome is _LOST:
                        continue
                    if outcome is None:
                        done.sent += 1
                        if row["id"] in self._unmarked:
                            done.stuck = True  # its mark first, then new work
                            break
                        continue
                    assert isinstance(outcome, Refusal)
                    if outcome.reconnect:
                        await link.close()
                    if outcome.server_away:
                        done.server_away = outcome
                        break
            finally:
                # On a stop, a crash of this loop or a batch cut short: give back what was not
                # tried now, rather than when the lease ends.
                if untried:
                    await self._release(conn, untried, token)
        return done

    async def _finish_even_if_stopped(self, job: Coroutine[Any, Any, T], link: SmtpLink) -> T:
        """Run `job` (one email's send and mark); an orderly stop waits for it, up to the SMTP timeout.

        Cut short, the server may have taken the email without its mark: it would go again.
        """
        task = asyncio.ensure_future(job)
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self._settings.smtp_timeout_seconds
            while not task.done() and (left := deadline - loop.time()) > 0:
                with contextlib.suppress(asyncio.CancelledError):  # the runtime repeats its cancel
                    await asyncio.wait({task}, timeout=left)
            if not task.done():
                log.warning("stopped with an email in flight; it may be sent again")
                link.abort()  # not QUIT: that would land in the middle of the email
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait({task})
            if task.done() and not task.cancelled() and task.exception() is not None:
                log.warning("the email in flight at the stop failed", error=str(task.exception()))
            raise

    async def _send_and_record(
        self,
        conn: asyncpg.Connection,
        link: SmtpLink,
        row: dict[str, Any],
        token: uuid.UUID,
        untried: set[Any],
        claimed_at: float,
    ) -> Refusal | object | None:
        s = self._settings
        await self._rate.wait()
        needed = SEND_STEPS * s.smtp_timeout_seconds  # reaching the server, DATA, the mark
        leased_at = time.monotonic()
        held = None
        if leased_at - claimed_at < s.send_lease_seconds - needed:
            # The claim's lease should still cover this send and its mark: only ask whether the email
            # is still ours with that much lease left in the database (a read; an UPDATE here was a
            # durable commit per email). This process's clock is only a hint: the database decides.
            held = await q.lease_holds.fetchval(conn, id=row["id"], lease_token=token, needed=needed)
            if held is not None:
                leased_at = claimed_at
        if held is None:
            # A full lease for this email's send and mark, unless another sender took it meanwhile.
            leased_at = time.monotonic()
            held = await q.extend_lease.fetchval(
                conn, id=row["id"], lease_token=token, lease_seconds=s.send_lease_seconds
            )
        if held is None:
            untried.discard(row["id"])
            log.warning("claimed email taken over by another sender; not sent here", email_id=str(row["id"]))
            return _LOST
        refusal = await self._send_one(link, row)
        # Tried: from here on only its mark may be done again, never its send.
        untried.discard(row["id"])
        lease_left = max(leased_at + s.send_lease_seconds - time.monotonic(), 1.0)
        if refusal is None:
            await self._mark_sent(conn, row, token, lease_left)
        else:
            await self._mark_refused(conn, row, token, refusal, lease_left)
        return refusal

    async def _send_one(self, link: SmtpLink, row: dict[str, Any]) -> Refusal | None:
        try:
            message = build_message(
                row,
                self._settings.mail_from,
                zone=self._settings.zone,
                unsubscribe=list_unsubscribe(row, self._signer, self._settings),
            )
            await link.send(message, envelope_recipient(row))
        except Exception as exc:
            refusal = classify(exc)
            if refusal.error.startswith("unexpected"):
                log.exception("email sender met an unexpected failure", email_id=str(row["id"]))
            return refusal
        return None

    async def _commit_sent(self, conn: asyncpg.Connection, row: dict[str, Any], token: uuid.UUID) -> bool:
        """Mark a sent email and add its event; False if this claim no longer holds it."""
        async with conn.transaction():
            # Marked and logged as an attempt in one statement.
            if await q.mark_sent.fetchval(conn, id=row["id"], lease_token=token) is None:
                return False
            await add_event(
                conn,
                EMAIL_SENT,
                EmailSentV1(
                    email_id=str(row["id"]),
                    template=row["template"],
                    cause_event_id=str(row["cause_event_id"]),
                    message_id=row["message_id"],
                ),
                aggregate_id=str(row["id"]),
            )
        return True

    async def _mark_sent(
        self, conn: asyncpg.Connection, row: dict[str, Any], token: uuid.UUID, within: float
    ) -> None:
        try:
            async with asyncio.timeout(within):
                if not await self._commit_sent(conn, row, token):
                    log.warning("sent email no longer held by this sender", email_id=str(row["id"]))
        except BaseException as exc:
            # The server took it: whatever went wrong, it is marked again, never sent again.
            self._unmarked[row["id"]] = _Accepted(row, token)
            if not isinstance(exc, Exception):
                raise
            log.warning(
                "email sent but its mark failed; marking it again before new work",
                email_id=str(row["id"]),
                error=f"{type(exc).__name__}: {exc}",
            )

    async def _mark_accepted(self) -> bool:
        """Mark the emails the server took whose marks failed; True when none is left."""
        async with self._marking:
            for email_id, accepted in list(self._unmarked.items()):
                bound = self._settings.smtp_timeout_seconds
                try:
                    async with asyncio.timeout(bound), self._pool.acquire() as conn:
                        marked = await self._commit_sent(conn, accepted.row, accepted.token)
                except Exception as exc:  # noqa: BLE001 - whatever it was, the mark is tried again later
                    log.warning(
                        "an email the server took is still not marked sent, retrying",
                        email_id=str(email_id),
                        error=f"{type(exc).__name__}: {exc}",
                    )
                    return False
                del self._unmarked[email_id]
                if not marked:
                    # Already marked (a commit whose answer was lost), or its lease ran out and
                    # another sender took it, and may have sent it again.
                    log.warning("sent email was no longer held by this sender", email_id=str(email_id))
            return True

    async def _mark_refused(
        self, conn: asyncpg.Connection, row: dict[str, Any], token: uuid.UUID, refusal: Refusal, within: float
    ) -> None:
        s = self._settings
        retries = s.send_retry_seconds
        # A server that is away costs no attempt and no wait of the email's own: the loop backs off.
        counted = not refusal.server_away
        wait = float(retries[min(row["attempts"], len(retries) - 1)]) if counted else 0.0
        outcome = {
            "id": row["id"],
            "lease_token": token,
            "permanent": refusal.permanent,
            "counted": counted,
            "wait_seconds": wait,
            "give_up_after_seconds": s.send_give_up_after_seconds,
        }
        try:
            async with asyncio.timeout(within):
                error = storable(refusal.error)
                status = await self._record_refusal(conn, outcome, error)
        except _RECORD_ERRORS as exc:
            log.warning(
                "email refused, and the refusal not recorded; it returns when its lease ends",
                email_id=str(row["id"]),
                kind=refusal.kind,
                error=str(exc),
            )
            return
        except Exception as exc:
            # Any other failure to record the outcome still counts as an attempt: a row that cannot
            # be recorded must not come back for ever.
            log.exception("email refused, and the refusal could not be recorded", email_id=str(row["id"]))
            note = f"the outcome could not be recorded ({type(exc).__name__}); the first part: "
            text = note + storable(refusal.error).encode("ascii", "replace").decode("ascii")[:200]
            status = await self._record_refusal(conn, outcome, text)
        log.warning(
            "email failed for good" if status == "failed" else "email refused, will retry",
            email_id=str(row["id"]),
            kind=refusal.kind,
            attempt=row["attempts"] + (1 if counted else 0),
        )

    @staticmethod
    async def _record_refusal(conn: asyncpg.Connection, outcome: dict[str, Any], error: str) -> str | None:
        """The refusal on the email, and (when it counts as an attempt) in its log, in one transaction."""
        async with conn.transaction():
            status: str | None = await q.mark_attempt_failed.fetchval(conn, **outcome, last_error=error)
            if status is not None and outcome["counted"]:
                await record_attempt(
                    conn,
                    email_id=outcome["id"],
                    outcome="failed" if status == "failed" else "deferred",
                    reason=error,
                )
        return status

    async def _release(self, conn: asyncpg.Connection, ids: set[Any], token: uuid.UUID) -> None:
        try:
            # Bounded: on a shutdown or a lost database the rows come back with their lease anyway.
            async with asyncio.timeout(2.0):
                await q.release_emails.execute(conn, ids=list(ids), lease_token=token)
        except Exception as exc:  # noqa: BLE001 - a stop or a broken connection: the lease covers it
            log.warning("claimed emails not given back; they return when their lease ends", error=str(exc))

    async def prune(self) -> int:
        """Delete the sent, failed and bounced emails (and what their digests carried) older than the
        retention period; returns how many emails."""
        total = 0
        while True:
            retention = self._settings.email_retention_seconds
            async with self._pool.acquire() as conn:
                gone = int(
                    await q.prune_emails.fetchval(conn, older_than_seconds=retention, limit=_PRUNE_BATCH)
                )
                # What went out in a digest is kept as long as the digest email itself.
                held = await q.prune_digest_items.fetchval(
                    conn, older_than_seconds=retention, limit=_PRUNE_BATCH
                )
            total += gone
            gone = max(gone, int(held))
            if gone < _PRUNE_BATCH:
                return total

    async def _prune_loop(self) -> None:
        async def step() -> None:
            if gone := await self.prune():
                log.info("old emails deleted", count=gone)

        await run_forever(step, name="email-prune", every=self._settings.prune_interval_seconds)
