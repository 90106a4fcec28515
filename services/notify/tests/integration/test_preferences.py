"""Preferences, one-click unsubscribe and digests, against a real SMTP sink.

A person reaches their preferences, and unsubscribes, with the signed link from an email: the
calls come as the gateway's visitor (no roles, no account). "Not sent" is checked in the sink's
attempts log (every DATA it was handed).
"""

from __future__ import annotations

import mailbox
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from backbone.embedded import free_port
from backbone.identity import Identity, bearer_headers, load_signing_key
from devstack.mailsink import attempts_log_for, deliveries, read_attempts, read_maildir, start_sink
from notify.app import create_app
from notify.digests import latest_slot, send_due_digests
from notify.links import preferences_url
from notify.mailing import Attachment, message_id_for, queue_email
from notify.rendering import RenderedEmail
from notify.sending import EmailSender
from notify.settings import DEVELOPMENT_LINK_SECRET, MIGRATIONS_DIR, Settings

DOMAIN = "test.local"
VISITOR = Identity(subject="visitor", roles=())


@pytest.fixture
def sink(tmp_path) -> Any:
    port = free_port()
    maildir = tmp_path / "mail"
    controller, handler = start_sink(maildir, "127.0.0.1", port)
    yield port, maildir
    controller.stop()
    handler.close()


class Notify:
    def __init__(self, http: httpx.AsyncClient, app: Any, settings: Settings, key: Any, maildir: Any) -> None:
        self.http = http
        self.app = app
        self.settings = settings
        self.key = key
        self.maildir = maildir

    @property
    def pool(self) -> Any:
        return self.app.state.runtime.pool

    async def public(self, method: str, path: str, body: Any, expect: int = 200) -> Any:
        """A call from the public side: the gateway speaking for a visitor without an account."""
        headers = bearer_headers(VISITOR, key=self.key, audience="notify")
        response = await self.http.request(method, path, json=body, headers=headers)
        assert response.status_code == expect, response.text
        return response.json()

    async def queue(
        self, recipient: str, template: str, *, attachments: list[Attachment] | None = None
    ) -> str:
        """Queue as a consumer does: the template alone says its category and whether it is critical."""
        cause = str(uuid.uuid4())
        async with self.pool.acquire() as conn, conn.transaction():
            await queue_email(
                conn=conn,
                cause_event_id=cause,
                template=template,
                recipient=recipient,
                rendered=RenderedEmail(
                    subject=f"Om {template}", text=f"Text om {template}.", html="<p>x</p>"
                ),
                mail_domain=DOMAIN,
                message_key=DEVELOPMENT_LINK_SECRET,
                attachments=attachments or [],
            )
        email_id = uuid.uuid5(uuid.UUID(cause), f"{template}:{recipient.lower()}")
        return message_id_for(email_id, DOMAIN, DEVELOPMENT_LINK_SECRET)

    async def send(self) -> int:
        return await EmailSender(pool=self.pool, settings=self.settings).send_due()

    def handed_over(self) -> list[str]:
        return [
            e["message_id"] for e in read_attempts(attempts_log_for(self.maildir)) if e["stage"] == "DATA"
        ]

    def deliveries(self) -> dict[str, int]:
        return dict(deliveries(attempts_log_for(self.maildir)))


@pytest.fixture
async def notify(make_database, nats_server, identity_keys, sink) -> Any:
    port, maildir = sink
    settings = Settings(
        environment="test",
        database_url=make_database("notify", MIGRATIONS_DIR),
        nats_url=nats_server.url,
        identity_public_key=str(identity_keys.public),
        run_consumers=False,
        run_relay=False,
        smtp_port=port,
        mail_domain=DOMAIN,
        message_key=DEVELOPMENT_LINK_SECRET,
        public_url="https://delaktig.example.se",
        unsubscribe_mailto="avregistrera@delaktig.example.se",
    )
    key = load_signing_key(str(identity_keys.signing))
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://notify") as http:
            yield Notify(http, app, settings, key, maildir)


def _token(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


def _https_link(list_unsubscribe: str) -> str:
    [link] = [part.strip(" <>") for part in list_unsubscribe.split(",") if "https://" in part]
    return link


async def test_one_post_without_login_unsubscribes_and_no_more_bulk_mail_of_that_category_comes(notify):
    first = await notify.queue("Leif@example.se", "minutes_published")
    assert await notify.send() == 1
    [mail] = read_maildir(notify.maildir)
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "<mailto:avregistrera@delaktig.example.se" in mail["List-Unsubscribe"]
    link = _https_link(mail["List-Unsubscribe"])
    assert link.startswith("https://delaktig.example.se/installningar/e-post/avregistrera?token=")

    # One POST, as the mail program makes it; a second one (a double click) changes nothing more.
    done = await notify.public("POST", "/v1/public/unsubscribe", {"token": _token(link)})
    assert done == {"category": "minutes", "label": "Protokoll från möten"}
    assert await notify.public("POST", "/v1/public/unsubscribe", {"token": _token(link)}) == done

    later = await notify.queue("leif@example.se", "minutes_published")
    other = await notify.queue("leif@example.se", "meeting_scheduled")
    someone_else = await notify.queue("kenneth@example.se", "minutes_published")
    await notify.send()
    assert notify.deliveries() == {first: 1, other: 1, someone_else: 1}
    assert later not in notify.handed_over()


def _raw_messages(maildir: Any) -> list[bytes]:
    """The bytes the sink was handed, as a mail provider reads them: no decoding of encoded words."""
    box = mailbox.Maildir(str(maildir), create=True)
    return [box.get_bytes(key) for key in box.iterkeys()]


async def test_list_unsubscribe_goes_out_as_plain_links_not_as_encoded_words(notify):
    await notify.queue("Lina@example.se", "minutes_published")
    assert await notify.send() == 1
    [raw] = _raw_messages(notify.maildir)
    headers = raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    assert (
        b"\nList-Unsubscribe: <https://delaktig.example.se/installningar/e-post/avregistrera?token="
        in headers
    )
    assert (
        b"=?utf-8?"
        not in headers.lower().split(b"\nlist-unsubscribe:", 1)[1].split(b"\nlist-unsubscribe-post")[0]
    )
    assert max(len(line) for line in headers.split(b"\n")) <= 998


async def test_only_bulk_categories_carry_list_unsubscribe(notify):
    await notify.queue("a@example.se", "meeting_scheduled")
    assert await notify.send() == 1
    [mail] = read_maildir(notify.maildir)
    assert mail["List-Unsubscribe"] is None and mail["List-Unsubscribe-Post"] is None


async def test_a_critical_message_comes_even_when_its_category_is_switched_off(notify):
    token = _token(preferences_url(notify.settings, "b@example.se"))
    shown = await notify.public("POST", "/v1/public/preferences/look-up", {"token": token})
    assert {c["category"]: c["choice"] for c in shown["categories"]}["registrations"] == "immediately"
    choices = {"registrations": "off", "meetings": "off"}
    body = {
        "token": token,
        "choices": choices,
        "digest_hour": 7,
        "digest_weekday": 5,
        "version": shown["version"],
    }
    saved = await notify.public("PUT", "/v1/public/preferences", body)
    assert saved["digest_hour"] == 7 and saved["digest_weekday"] == 5
    assert {c["category"]: c["choice"] for c in saved["categories"]}["registrations"] == "off"
    offer = await notify.queue("B@example.se", "offer_made")
    plain = await notify.queue("b@example.se", "meeting_scheduled")
    await notify.send()
    assert notify.deliveries() == {offer: 1}
    assert plain not in notify.handed_over()


async def test_a_link_that_is_not_ours_or_is_for_something_else_is_refused_in_plain_words(notify):
    refused = await notify.public("POST", "/v1/public/preferences/look-up", {"token": "nonsense"}, expect=400)
    assert refused["error"] == "invalid_link" and "Länken är trasig" in refused["detail"]
    preferences_token = _token(preferences_url(notify.settings, "c@example.se"))
    await notify.public("POST", "/v1/public/unsubscribe", {"token": preferences_token}, expect=400)
    body = {
        "token": preferences_token,
        "choices": {"nonsense": "off"},
        "digest_hour": 8,
        "digest_weekday": 1,
        "version": 0,
    }
    unknown = await notify.public("PUT", "/v1/public/preferences", body, expect=409)
    assert "nonsense" in unknown["detail"]


async def _choose(
    notify: Notify, address: str, choices: dict[str, str], hour: int = 8, weekday: int = 1
) -> None:
    token = _token(preferences_url(notify.settings, address))
    shown = await notify.public("POST", "/v1/public/preferences/look-up", {"token": token})
    body = {"token": token, "choices": choices, "digest_hour": hour, "digest_weekday": weekday}
    await notify.public("PUT", "/v1/public/preferences", body | {"version": shown["version"]})


def _next_slot(after: datetime, settings: Settings, *, frequency: str, hour: int, weekday: int) -> datetime:
    """The first time after `after` that a digest of `frequency` is due."""
    later = after + timedelta(days=8)
    slot = latest_slot(later, frequency=frequency, hour=hour, weekday=weekday, zone=settings.zone)
    while (
        earlier := latest_slot(
            slot - timedelta(seconds=1), frequency=frequency, hour=hour, weekday=weekday, zone=settings.zone
        )
    ) > after:
        slot = earlier
    return slot


async def test_a_daily_digest_groups_what_was_held_and_goes_at_the_chosen_hour(notify):
    await _choose(notify, "d@example.se", {"minutes": "daily", "action_items": "daily"}, hour=7)
    held_at = datetime.now(UTC)
    for template in ["minutes_published", "action_item_assigned", "minutes_published"]:
        await notify.queue("d@example.se", template)
    assert await notify.send() == 0, "held for the digest"
    slot = _next_slot(held_at, notify.settings, frequency="daily", hour=7, weekday=1)
    assert await send_due_digests(notify.pool, notify.settings, now=slot - timedelta(minutes=1)) == 0
    assert await send_due_digests(notify.pool, notify.settings, now=slot + timedelta(minutes=1)) == 1
    assert await send_due_digests(notify.pool, notify.settings, now=slot + timedelta(minutes=2)) == 0
    assert await notify.send() == 1
    [digest] = read_maildir(notify.maildir)
    assert digest["Subject"] == "Dina meddelanden från Delaktig i dag"
    text = digest.get_body(preferencelist=("plain",)).get_content()
    assert text.index("Protokoll från möten") < text.index("Uppgifter som du ska göra")
    assert text.count("-- Om minutes_published --") == 2 and text.count("-- Om action_item_assigned --") == 1
    assert digest.get_body(preferencelist=("html",)) is not None
    assert "https://delaktig.example.se/installningar/e-post?token=" in text
    next_day = slot + timedelta(days=1, minutes=1)
    assert await send_due_digests(notify.pool, notify.settings, now=next_day) == 0, "never sent empty"
    assert len(notify.handed_over()) == 1


async def test_a_weekly_digest_waits_for_the_chosen_weekday(notify):
    await _choose(notify, "w@example.se", {"action_items": "weekly"}, hour=9, weekday=3)
    held_at = datetime.now(UTC)
    await notify.queue("w@example.se", "action_item_assigned")
    slot = _next_slot(held_at, notify.settings, frequency="weekly", hour=9, weekday=3)
    assert slot.astimezone(notify.settings.zone).isoweekday() == 3
    assert await send_due_digests(notify.pool, notify.settings, now=slot - timedelta(hours=1)) == 0
    assert await send_due_digests(notify.pool, notify.settings, now=slot) == 1
    assert await notify.send() == 1
    [digest] = read_maildir(notify.maildir)
    assert digest["Subject"] == "Dina meddelanden från Delaktig den här veckan"


async def test_no_digest_goes_to_someone_with_nothing_held(notify):
    await _choose(notify, "e@example.se", {"minutes": "daily"})
    far = datetime.now(UTC) + timedelta(days=3)
    assert await send_due_digests(notify.pool, notify.settings, now=far) == 0
    assert await notify.send() == 0


async def test_an_event_held_for_a_digest_is_not_also_sent_on_its_own_after_a_change_of_mind(notify):
    await _choose(notify, "f@example.se", {"minutes": "daily"})
    cause = str(uuid.uuid4())

    async def handle_again() -> None:  # the same event, redelivered
        async with notify.pool.acquire() as conn, conn.transaction():
            await queue_email(
                conn=conn,
                cause_event_id=cause,
                template="minutes_published",
                recipient="f@example.se",
                rendered=RenderedEmail(subject="Protokoll", text="Text.", html="<p>Text.</p>"),
                mail_domain=DOMAIN,
                message_key=DEVELOPMENT_LINK_SECRET,
            )

    await handle_again()
    await _choose(notify, "f@example.se", {"minutes": "immediately"})
    await handle_again()
    assert await notify.send() == 0
    far = datetime.now(UTC) + timedelta(days=2)
    # The round follows the new choice: the held email goes now, on its own, and no digest.
    assert await send_due_digests(notify.pool, notify.settings, now=far) == 0
    await handle_again()
    assert await notify.send() == 1
    assert await send_due_digests(notify.pool, notify.settings, now=far) == 0
    assert len(notify.handed_over()) == 1, "once, never also in a digest"


async def test_what_a_digest_carried_is_deleted_with_the_old_emails(notify):
    await _choose(notify, "g@example.se", {"minutes": "daily"})
    await notify.queue("g@example.se", "minutes_published")
    await notify.queue("g@example.se", "event_reminder")  # not held: at once
    far = datetime.now(UTC) + timedelta(days=2)
    assert await send_due_digests(notify.pool, notify.settings, now=far) == 1
    await notify.send()
    await notify.queue("g@example.se", "minutes_published")  # waits for the next
    async with notify.pool.acquire() as conn:
        await conn.execute("UPDATE emails SET created_at = now() - interval '91 days'")
        await conn.execute("UPDATE digest_items SET created_at = now() - interval '91 days'")
    await EmailSender(pool=notify.pool, settings=notify.settings).prune()
    async with notify.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM emails") == 0
        waiting = await conn.fetch("SELECT digest_email_id FROM digest_items")
    assert [r["digest_email_id"] for r in waiting] == [None], "only the one still waiting is kept"


async def test_a_template_says_its_own_category_and_criticality_and_an_unknown_one_is_refused(notify):
    await _choose(notify, "k@example.se", {"registrations": "off", "minutes": "off"})
    offer = await notify.queue("k@example.se", "offer_made")  # critical: comes although switched off
    await notify.queue("k@example.se", "minutes_published")
    await notify.send()
    assert notify.deliveries() == {offer: 1}
    with pytest.raises(KeyError, match="no_such_template"):
        await notify.queue("k@example.se", "no_such_template")


async def test_invitations_with_a_calendar_file_and_reminders_are_never_held_for_a_digest(notify):
    await _choose(notify, "i@example.se", {"meetings": "daily", "reminders": "daily", "minutes": "daily"})
    ics = Attachment(
        "mote.ics", "text/calendar; method=REQUEST; charset=utf-8", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    )
    invitation = await notify.queue("i@example.se", "meeting_scheduled", attachments=[ics])
    reminder = await notify.queue("i@example.se", "event_reminder")
    await notify.queue("i@example.se", "minutes_published")  # not bound to a time: held
    await notify.send()
    assert notify.deliveries() == {invitation: 1, reminder: 1}


async def test_an_item_committed_after_its_slots_digest_went_waits_for_the_next_digest(notify):
    await _choose(notify, "h@example.se", {"minutes": "daily"}, hour=7)
    held_at = datetime.now(UTC)
    await notify.queue("h@example.se", "minutes_published")
    slot = _next_slot(held_at, notify.settings, frequency="daily", hour=7, weekday=1)
    assert await send_due_digests(notify.pool, notify.settings, now=slot + timedelta(minutes=1)) == 1
    await notify.queue("h@example.se", "minutes_published")
    async with notify.pool.acquire() as conn:
        # Its transaction began before the slot and committed after that slot's digest was queued.
        await conn.execute(
            "UPDATE digest_items SET created_at = $1 WHERE digest_email_id IS NULL",
            slot - timedelta(minutes=1),
        )
    assert await send_due_digests(notify.pool, notify.settings, now=slot + timedelta(minutes=2)) == 0
    async with notify.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM digest_items WHERE digest_email_id IS NULL") == 1
    next_day = slot + timedelta(days=1, minutes=1)
    assert await send_due_digests(notify.pool, notify.settings, now=next_day) == 1
    assert await notify.send() == 2


async def test_what_is_held_follows_the_current_choice_off_drops_it_immediately_sends_it(notify):
    await _choose(notify, "j@example.se", {"minutes": "daily", "action_items": "daily"})
    await notify.queue("j@example.se", "minutes_published")
    task = await notify.queue("j@example.se", "action_item_assigned")
    assert await notify.send() == 0
    await _choose(notify, "j@example.se", {"minutes": "off", "action_items": "immediately"})
    far = datetime.now(UTC) + timedelta(days=8)
    assert await send_due_digests(notify.pool, notify.settings, now=far) == 0, "nothing left for a digest"
    await notify.send()
    assert notify.deliveries() == {task: 1}
    [mail] = read_maildir(notify.maildir)
    assert mail["Subject"] == "Om action_item_assigned"
    assert mail.get_body(preferencelist=("html",)) is not None


async def test_a_form_opened_before_a_one_click_unsubscribe_cannot_write_the_old_choices_back(notify):
    address = "m@example.se"
    token = _token(preferences_url(notify.settings, address))
    opened = await notify.public("POST", "/v1/public/preferences/look-up", {"token": token})
    # Meanwhile, from a newer email: one click stops the minutes.
    await notify.queue(address, "minutes_published")
    await notify.send()
    [mail] = read_maildir(notify.maildir)
    await notify.public(
        "POST", "/v1/public/unsubscribe", {"token": _token(_https_link(mail["List-Unsubscribe"]))}
    )
    choices = {c["category"]: c["choice"] for c in opened["categories"]}
    body = {
        "token": token,
        "choices": choices,
        "digest_hour": 8,
        "digest_weekday": 1,
        "version": opened["version"],
    }
    stale = await notify.public("PUT", "/v1/public/preferences", body, expect=409)
    assert stale["error"] == "stale_version" and "Ladda om sidan" in stale["detail"]
    now = await notify.public("POST", "/v1/public/preferences/look-up", {"token": token})
    assert {c["category"]: c["choice"] for c in now["categories"]}["minutes"] == "off"
    fresh = await notify.public("PUT", "/v1/public/preferences", {**body, "version": now["version"]})
    assert fresh["version"] > now["version"]
