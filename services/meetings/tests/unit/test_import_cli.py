"""The `meetings-import` command: JSON output, reading files, posting to the service (answered by a fake)."""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib.resources import as_file, files
from pathlib import Path

import httpx
import pytest

from backbone.identity import KeyFiles, load_verifying_key, verify, write_keypair
from meetings.import_cli import main

SEEDS = [
    "2016-02-22-gemensam-utvecklingsgrupp.txt",
    "2016-03-07-gemensam-utvecklingsgrupp.txt",
    "2016-04-04-gemensam-utvecklingsgrupp.txt",
]
NO_YEAR = "\n".join(
    [
        "Gemensam utvecklingsgrupp 7 mars",
        "",
        "Närvarande",
        "Gösta Strand, arbetsmarknadsförvaltningen",
        "",
        "Rubrik",
        "Text.",
    ]
)


@pytest.fixture(autouse=True)
def keys(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> KeyFiles:
    """The operator is given the gateway's private identity key (a file) in the environment."""
    keys = write_keypair(tmp_path_factory.mktemp("identity"))
    monkeypatch.setenv("MEETINGS_IMPORT_SIGNING_KEY", str(keys.signing))
    return keys


@pytest.fixture
def seed_paths() -> list[str]:
    folder = files("meetings") / "demo" / "minutes"
    paths = []
    for name in SEEDS:
        with as_file(folder / name) as path:
            paths.append(str(path))
    return paths


def refuse_http(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no HTTP call was expected, got {request.method} {request.url}")


def recording(
    answer: Callable[[httpx.Request], httpx.Response],
) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer(request)

    return httpx.MockTransport(handler), seen


def test_json_prints_one_object_per_file_and_sends_nothing(
    seed_paths: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--json", *seed_paths], transport=httpx.MockTransport(refuse_http))
    out = capsys.readouterr().out
    assert code == 0
    parsed = json.loads(out)
    assert [item["date"] for item in parsed] == ["2016-02-22", "2016-03-07", "2016-04-04"]
    assert [item["source_name"] for item in parsed] == SEEDS
    first = parsed[0]
    for field in ("title", "date", "needs_review", "group", "attendees", "sections", "minute_taker",
                  "decisions", "action_items", "mentioned_dates", "warnings", "absent"):  # fmt: skip
        assert field in first
    assert first["title"] == "Gemensam utvecklingsgrupp 22 februari 2016"
    assert {"name": "Leif Redestig", "organisation": "socialförvaltningen", "role": None} in first[
        "attendees"
    ]
    assert "socialförvaltningen" in out  # written as UTF-8, not as \\u escapes


def test_json_uses_the_given_year(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    minutes = tmp_path / "gug-7-mars.txt"
    minutes.write_text(NO_YEAR, encoding="utf-8")
    assert main(["--year", "2017", "--json", str(minutes)]) == 0
    [parsed] = json.loads(capsys.readouterr().out)
    assert parsed["date"] == "2017-03-07"
    assert parsed["needs_review"] is False


def test_json_without_a_year_flags_the_missing_date(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    minutes = tmp_path / "gug-7-mars.txt"
    minutes.write_text(NO_YEAR, encoding="utf-8")
    assert main(["--json", str(minutes)]) == 0
    [parsed] = json.loads(capsys.readouterr().out)
    assert parsed["date"] is None
    assert parsed["needs_review"] is True


def test_windows_1252_text_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    minutes = tmp_path / "old.txt"
    minutes.write_bytes(NO_YEAR.replace("\n", "\r\n").encode("cp1252"))
    assert main(["--json", "--year", "2016", str(minutes)]) == 0
    [parsed] = json.loads(capsys.readouterr().out)
    assert parsed["attendees"] == [
        {"name": "Gösta Strand", "organisation": "arbetsmarknadsförvaltningen", "role": None}
    ]


def test_missing_file_exits_2_with_a_message_and_sends_nothing(
    seed_paths: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "finns-inte.txt"
    code = main([seed_paths[0], str(missing)], transport=httpx.MockTransport(refuse_http))
    captured = capsys.readouterr()
    assert code == 2
    assert f"{missing}: no such file" in captured.err
    assert "nothing was imported" in captured.err
    assert captured.out == ""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.4 ...", "PDF, Word or other binary file"),
        (b"PK\x03\x04\x14\x00\x06\x00", "PDF, Word or other binary file"),
        (b"  \n\r\n", "the file is empty"),
        (b"Gemensam utvecklingsgrupp \x81\x8d\x8f\x90\x9d", "neither UTF-8 nor Windows-1252"),
    ],
)
def test_unreadable_text_exits_2_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    broken = tmp_path / "minutes.txt"
    broken.write_bytes(content)
    assert main(["--json", str(broken)]) == 2
    assert message in capsys.readouterr().err


def test_a_folder_is_not_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--json", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_bad_year_is_refused_by_the_argument_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--year", "sjuttio", "--json", "x.txt"])
    assert stopped.value.code == 2
    assert "is not a year" in capsys.readouterr().err


def test_import_posts_each_file_to_the_service_named_in_the_environment(
    seed_paths: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEETINGS_URL", "http://meetings.test:9000")
    transport, seen = recording(
        lambda request: httpx.Response(
            201,
            json={"id": f"import-{len(seen)}", "status": "needs_review", "meeting_id": "m", "parsed": {}},
        )
    )
    code = main(["--year", "2016", *seed_paths[:2]], transport=transport)
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert [str(request.url) for request in seen] == ["http://meetings.test:9000/v1/imports"] * 2
    body = json.loads(seen[0].content)
    assert body == {
        "text": Path(seed_paths[0]).read_text(encoding="utf-8"),
        "year": 2016,
        "source_name": SEEDS[0],
    }
    assert out == [f"{SEEDS[0]}: imported, id import-1", f"{SEEDS[1]}: imported, id import-2"]


def test_import_carries_an_identity_the_service_trusts(seed_paths: list[str], keys: KeyFiles) -> None:
    transport, seen = recording(lambda request: httpx.Response(201, json={"id": "i", "parsed": {}}))
    assert main(seed_paths[:1], transport=transport) == 0
    token = seen[0].headers["Authorization"].removeprefix("Bearer ")
    identity = verify(token, key=load_verifying_key(str(keys.public)), audience="meetings")
    assert identity.roles == ("system",)


def test_the_signing_key_can_be_given_on_the_command_line(
    seed_paths: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MEETINGS_IMPORT_SIGNING_KEY")
    other = write_keypair(tmp_path)
    transport, seen = recording(lambda request: httpx.Response(201, json={"id": "i", "parsed": {}}))
    assert main(["--signing-key", str(other.signing), *seed_paths[:1]], transport=transport) == 0
    token = seen[0].headers["Authorization"].removeprefix("Bearer ")
    assert verify(token, key=load_verifying_key(str(other.public)), audience="meetings").roles == ("system",)


def test_without_a_signing_key_nothing_is_sent_and_the_operator_is_told_what_to_give(
    seed_paths: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MEETINGS_IMPORT_SIGNING_KEY")
    transport, seen = recording(lambda request: httpx.Response(201, json={"id": "i", "parsed": {}}))
    assert main(seed_paths[:1], transport=transport) == 2
    assert seen == []
    assert "--signing-key" in capsys.readouterr().err


def test_import_reports_warnings_and_a_missing_meeting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    minutes = tmp_path / "gug.txt"
    minutes.write_text(NO_YEAR, encoding="utf-8")
    transport, seen = recording(
        lambda request: httpx.Response(
            201, json={"id": "abc", "meeting_id": None, "parsed": {"warnings": ["no year", "other"]}}
        )
    )
    assert main(["--url", "http://other.test", str(minutes)], transport=transport) == 0
    assert json.loads(seen[0].content)["year"] is None
    assert str(seen[0].url) == "http://other.test/v1/imports"
    assert capsys.readouterr().out == (
        "gug.txt: imported, id abc; 2 warnings to review; no meeting created yet (the date is unknown)\n"
    )


def test_failed_import_prints_the_services_message_and_exits_1(
    seed_paths: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if json.loads(request.content)["source_name"] == SEEDS[1]:
            return httpx.Response(422, json={"detail": [{"msg": "year must be at least 1990"}]})
        return httpx.Response(201, json={"id": "ok"})

    transport, _ = recording(answer)
    assert main(seed_paths[:2], transport=transport) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{SEEDS[0]}: imported, id ok",
        f"{SEEDS[1]}: failed - HTTP 422: year must be at least 1990",
    ]


def test_plain_text_errors_are_shown_too(seed_paths: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    transport, _ = recording(lambda request: httpx.Response(503, text="Service Unavailable"))
    assert main(seed_paths[:1], transport=transport) == 1
    assert capsys.readouterr().out == f"{SEEDS[0]}: failed - HTTP 503: Service Unavailable\n"


def test_service_that_cannot_be_reached_is_a_failure_with_advice(
    seed_paths: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MEETINGS_URL", raising=False)

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    assert main(seed_paths[:1], transport=httpx.MockTransport(refuse)) == 1
    out = capsys.readouterr().out
    assert "could not reach the meetings service at http://127.0.0.1:8101" in out
    assert "Set MEETINGS_URL or --url" in out
