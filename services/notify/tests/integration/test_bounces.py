"""Bounces handed over raw, as an MTA's pipe would: DSNs from Postfix and Exchange mark the email
bounced, a delay records a deferred try, an out-of-office reply changes nothing, and after a
permanent bounce bulk email to the address is not sent (critical email still is), with why."""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from notify.digests import send_due_digests
from notify.preferences import address_key
from notify.settings import DEVELOPMENT_BOUNCE_TOKEN

from . import test_delivery_log as delivery_log

# The delivery log's fixtures: notify over HTTP without its workers, and a real SMTP sink.
make_sink = delivery_log.make_sink
notify_factory = delivery_log.notify_factory
notify = delivery_log.notify

SAMPLES = Path(__file__).parents[1] / "samples" / "dsn"


def sample(name: str, *, message_id: str, recipient: str) -> bytes:
    text = (SAMPLES / name).read_text()
    return text.replace("{message_id}", message_id).replace("{recipient}", recipient).encode()


def bounce_token(token: str = DEVELOPMENT_BOUNCE_TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def hand_over(
    notify: Any,
    raw: bytes,
    *,
    as_: tuple[str, ...] | None = None,
    expect: int = 200,
    token: str | None = None,
) -> Any:
    """As the bounce pipe does (with the bounce token), or with an identity with the roles `as_`."""
    who = notify.headers(*as_) if as_ is not None else bounce_token(token or DEVELOPMENT_BOUNCE_TOKEN)
    response = await notify.http.post(
        "/v1/bounces", content=raw, headers={**who, "Content-Type": "message/rfc822"}
    )
    assert response.status_code == expect, response.text
    return response.json()


async def _sent(notify: Any, recipient: str, template: str = "minutes_published") -> str:
    message_id = await notify.queue(recipient, template=template)
    assert await notify.sender().send_due() == 1
    return message_id


async def _detail(notify: Any, message_id: str) -> dict[str, Any]:
    page = await notify.get("/v1/deliveries")
    [entry] = [e for e in page["items"] if e["message_id"] == message_id]
    return await notify.get(f"/v1/deliveries/{entry['id']}")


async def test_postfix_and_exchange_bounces_mark_the_email_bounced_once(notify) -> None:
    for name, status, address in (
        ("postfix_user_unknown.eml", "5.1.1", "gone@example.se"),
        ("exchange_recipient_not_found.eml", "5.1.10", "Left.Company@Kommun.example.se"),
    ):
        message_id = await _sent(notify, address)
        raw = sample(name, message_id=message_id, recipient=address.lower())
        [first] = (await hand_over(notify, raw))["results"]
        assert (first["outcome"], first["status"]) == ("bounced", status)
        [again] = (await hand_over(notify, raw))["results"]
        assert again["outcome"] == "bounced"
        detail = await _detail(notify, message_id)
        assert detail["state"] == "bounced"
        assert [a["outcome"] for a in detail["attempts_log"]] == ["sent", "bounced"]
        assert detail["attempts_log"][1]["reason"].startswith(status)


async def test_a_delay_is_logged_as_deferred_and_the_email_stays_sent(notify) -> None:
    message_id = await _sent(notify, "slow@example.se")
    [result] = (await hand_over(notify, sample("postfix_delayed.eml", message_id=message_id,
                                                recipient="slow@example.se")))["results"]
    assert (result["outcome"], result["status"]) == ("deferred", "4.4.1")
    detail = await _detail(notify, message_id)
    assert detail["state"] == "sent"
    assert [a["outcome"] for a in detail["attempts_log"]] == ["sent", "deferred"]
    assert "Connection timed out" in detail["attempts_log"][1]["reason"]
    # A delay stops nothing: the next bulk email goes out.
    assert await notify.queue("slow@example.se", template="minutes_published")
    assert await notify.sender().send_due() == 1


async def test_an_out_of_office_reply_and_a_stranger_s_dsn_are_ignored(notify) -> None:
    message_id = await _sent(notify, "away@example.se")
    [reply] = (await hand_over(notify, sample("out_of_office.eml", message_id=message_id,
                                               recipient="away@example.se")))["results"]
    assert reply["outcome"] == "ignored" and "Not a delivery status notification" in reply["detail"]
    [stranger] = (await hand_over(notify, sample("postfix_user_unknown.eml", message_id="<not-ours@x>",
                                                  recipient="away@example.se")))["results"]
    assert stranger["outcome"] == "ignored" and "not one notify made" in stranger["detail"]
    [other] = (await hand_over(notify, sample("postfix_user_unknown.eml", message_id=message_id,
                                               recipient="someone.else@example.se")))["results"]
    assert other["outcome"] == "ignored" and "another recipient" in other["detail"]
    assert (await _detail(notify, message_id))["state"] == "sent"
    assert await notify.queue("away@example.se", template="minutes_published")
    assert await notify.sender().send_due() == 1


async def test_after_a_permanent_bounce_bulk_email_stops_and_critical_email_still_goes(notify) -> None:
    address = "bounced@example.se"
    message_id = await _sent(notify, address)
    await hand_over(notify, sample("postfix_user_unknown.eml", message_id=message_id, recipient=address))

    bulk = await notify.queue(address, template="minutes_published")
    critical = await notify.queue(address, template="event_cancelled")
    assert await notify.sender().send_due() == 1
    assert list(notify.sink.deliveries()) == [message_id, critical]
    held_back = await _detail(notify, bulk)
    assert held_back["state"] == "failed"
    [why] = held_back["attempts_log"]
    assert why["outcome"] == "failed" and "studsade permanent" in why["reason"] and "5.1.1" in why["reason"]
    assert (await _detail(notify, critical))["state"] == "sent"


async def test_only_the_bounce_token_or_an_administrator_hands_over_bounces(notify) -> None:
    await hand_over(notify, b"From: x\n\nhi", as_=("staff",), expect=403)
    # The pipe needs no identity key any more: the system's identity is not what this route takes.
    await hand_over(notify, b"From: x\n\nhi", as_=("system",), expect=403)
    await hand_over(notify, b"From: x\n\nhi", as_=("administrator",))
    await hand_over(notify, b"From: x\n\nhi")
    await hand_over(notify, b"  ", expect=422)
    wrong = await hand_over(notify, b"From: x\n\nhi", token="not-the-bounce-token-but-long", expect=401)
    assert "NOTIFY_BOUNCE_TOKEN" in wrong["detail"]


async def test_a_configured_bounce_token_is_taken_on_its_route_only(notify_factory, make_sink) -> None:
    token = "b0unce" * 8
    async with notify_factory(make_sink(), bounce_token=token) as notify:
        await hand_over(notify, b"From: x\n\nhi", token=token)
        await hand_over(notify, b"From: x\n\nhi", token=DEVELOPMENT_BOUNCE_TOKEN, expect=401)
        await hand_over(notify, b"  ", token=token, expect=422)
        # Its body limit holds at this door too.
        await hand_over(notify, b"From: x\n\n" + b"x" * (300 * 1024), token=token, expect=413)
        # Anywhere else the token is no identity.
        for method, path in (
            ("GET", "/v1/deliveries"),
            ("POST", "/v1/deliveries/bounces"),
            ("GET", "/v1/admin/dead-letters"),
            ("GET", "/v1/bounces/"),
        ):
            answer = await notify.http.request(method, path, headers=bounce_token(token), json={})
            assert answer.status_code == 401, (method, path, answer.text)
        assert (await notify.http.get("/v1/bounces", headers=bounce_token(token))).status_code == 405


def test_the_pipe_command_without_a_token_says_so_and_asks_the_mta_to_try_again() -> None:
    missing_token = subprocess.run(
        [sys.executable, "-m", "notify.bounce_pipe", "--url", "http://127.0.0.1:9"],
        input=b"From: x\n\nhi", capture_output=True, env={"PATH": "/usr/bin:/bin"}, check=False,
    )
    assert missing_token.returncode == 75 and b"--token" in missing_token.stderr


async def test_a_report_nested_a_thousand_deep_is_ignored_not_an_error(notify) -> None:
    body = "Action: failed\n"
    for level in range(1000):
        body = (
            f'Content-Type: multipart/report; report-type=delivery-status; boundary="b{level}"\n\n'
            f"--b{level}\n{body}\n--b{level}--\n"
        )
    [result] = (await hand_over(notify, ("MIME-Version: 1.0\n" + body).encode()))["results"]
    assert result["outcome"] == "ignored"


async def test_a_body_larger_than_any_dsn_is_refused_before_it_is_read(notify) -> None:
    huge = b"From: x\n\n" + b"x" * (300 * 1024)
    await hand_over(notify, huge, expect=413)


def _answering(status: int, seen: list[str] | None = None) -> Any:
    """A local HTTP server that answers every POST with `status`, as notify would."""

    class Answer(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if seen is not None:
                seen.append(self.headers.get("Authorization", ""))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"detail": "no"}')

        def log_message(self, *_args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_the_pipe_asks_the_mta_to_try_again_only_when_notify_fails_not_when_it_refuses() -> None:
    token = "pipe-token-" * 4
    for status, code in ((413, 65), (422, 65), (401, 75), (503, 75)):
        seen: list[str] = []
        server = _answering(status, seen)
        try:
            ran = subprocess.run(
                [sys.executable, "-m", "notify.bounce_pipe", "--url", f"http://127.0.0.1:{server.server_port}"],
                input=b"From: x\n\nhi", capture_output=True, check=False,
                env={"PATH": "/usr/bin:/bin", "BOUNCE_PIPE_TOKEN": token},
            )
        finally:
            server.shutdown()
        assert ran.returncode == code, (status, ran.stderr)
        assert seen == [f"Bearer {token}"], "the token, and nothing minted"


def test_the_pipe_reads_its_token_from_a_file_so_it_stays_out_of_the_process_list(tmp_path) -> None:
    token_file = tmp_path / "bounce-token"
    token_file.write_text("filed-token-" * 4 + "\n")
    seen: list[str] = []
    server = _answering(503, seen)
    try:
        subprocess.run(
            [sys.executable, "-m", "notify.bounce_pipe", "--url", f"http://127.0.0.1:{server.server_port}",
             "--token-file", str(token_file)],
            input=b"From: x\n\nhi", capture_output=True, check=False, env={"PATH": "/usr/bin:/bin"},
        )
    finally:
        server.shutdown()
    assert seen == ["Bearer " + "filed-token-" * 4]


async def test_a_digest_to_an_address_that_bounced_is_not_sent_and_says_why(notify) -> None:
    address = "digested@example.se"
    async with notify.pool.acquire() as conn:
        await conn.execute("INSERT INTO recipient_settings (address) VALUES ($1)", address_key(address))
        await conn.execute(
            "INSERT INTO category_choices (address, category, choice) VALUES ($1, 'minutes', 'daily')",
            address_key(address),
        )
    held = await notify.queue(address, template="minutes_published")  # held before the bounce
    assert await notify.sender().send_due() == 0
    critical = await _sent(notify, address, template="event_cancelled")
    await hand_over(notify, sample("postfix_user_unknown.eml", message_id=critical, recipient=address))

    due = datetime.now(UTC) + timedelta(days=8)
    assert await send_due_digests(notify.pool, notify.settings, now=due) == 0, "none to send"
    assert await notify.sender().send_due() == 0
    assert held not in notify.sink.deliveries()
    async with notify.pool.acquire() as conn:
        digest = await conn.fetchrow(
            "SELECT status, last_error FROM emails WHERE recipient = $1 AND template = 'digest'", address
        )
    assert digest["status"] == "failed" and "studsade permanent" in digest["last_error"]


async def test_a_forged_dsn_naming_a_guessable_message_id_does_not_stop_mail(notify) -> None:
    # The email's id is derived from the event, the template and the address, so anyone may work it
    # out; without notify's key they cannot make the Message-ID that was really sent.
    address = "target@example.se"
    message_id = await _sent(notify, address)
    async with notify.pool.acquire() as conn:
        email_id = await conn.fetchval("SELECT id FROM emails WHERE message_id = $1", message_id)
    guessed = f"<{email_id}@{delivery_log.DOMAIN}>"
    [result] = (await hand_over(notify, sample("postfix_user_unknown.eml", message_id=guessed,
                                               recipient=address)))["results"]
    assert result["outcome"] == "ignored"
    assert (await _detail(notify, message_id))["state"] == "sent"
    async with notify.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM bounced_addresses") == 0


async def test_an_administrator_clears_a_bounced_address_and_bulk_mail_to_it_goes_again(notify) -> None:
    address = "back-again@example.se"
    message_id = await _sent(notify, address)
    await hand_over(notify, sample("postfix_user_unknown.eml", message_id=message_id, recipient=address))
    bounced = (await _detail(notify, message_id))["address_bounced"]
    assert bounced["status"] == "5.1.1" and bounced["bounced_at"]

    clear = {"address": "Back-Again@Example.se "}
    await notify.post("/v1/bounced-addresses/clear", clear, as_=("staff",), expect=403)
    cleared = await notify.post("/v1/bounced-addresses/clear", clear)
    assert cleared["address"] == address and cleared["status"] == "5.1.1"
    assert (await _detail(notify, message_id))["address_bounced"] is None
    again = await notify.post("/v1/bounced-addresses/clear", clear, expect=404)
    assert "studsat" in again["detail"]
    unknown = await notify.post("/v1/bounced-addresses/clear", {"address": "never@example.se"}, expect=404)
    assert "studsat" in unknown["detail"]
    empty = await notify.post("/v1/bounced-addresses/clear", {"address": "  "}, expect=422)
    assert empty["detail"]

    bulk = await notify.queue(address, template="minutes_published")
    assert await notify.sender().send_due() == 1
    assert bulk in notify.sink.deliveries()
