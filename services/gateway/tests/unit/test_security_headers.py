"""The headers every response carries: the content security policy, caching and HSTS."""

from __future__ import annotations

from gateway import security_headers


def test_security_headers() -> None:
    headers = dict(security_headers.headers_for("/meetings", behind_tls=True))
    assert b"script-src 'self'" in headers[b"content-security-policy"]
    assert b"frame-ancestors 'none'" in headers[b"content-security-policy"]
    assert headers[b"cache-control"] == b"no-store"
    assert b"strict-transport-security" in headers
    static = dict(security_headers.headers_for("/static/app.css", behind_tls=False))
    assert static[b"cache-control"].startswith(b"public")
    assert b"strict-transport-security" not in static


def test_service_documents_through_the_api_get_no_script_at_all() -> None:
    headers = dict(security_headers.headers_for("/api/meetings/v1/minutes/x/print", behind_tls=False))
    csp = headers[b"content-security-policy"]
    assert b"default-src 'none'" in csp
    assert b"script-src" not in csp
    assert b"frame-ancestors 'none'" in csp
