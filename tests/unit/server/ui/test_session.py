"""UI session cookies: only this server's key opens them, and they expire."""

from __future__ import annotations

import pytest

from streammesh.server.ui.session import SESSION_SECONDS, SessionKeyInvalid, SessionKeys


def test_a_sealed_session_id_opens_with_the_same_key_only() -> None:
    keys = SessionKeys(b"k" * 32)
    cookie = keys.seal("session-id", now=1000.0)
    assert "session-id" not in cookie
    opened = keys.open(cookie, now=1001.0)
    assert opened is not None and opened.session_id == "session-id"
    assert SessionKeys(b"x" * 32).open(cookie, now=1001.0) is None


def test_an_altered_or_expired_cookie_is_refused() -> None:
    keys = SessionKeys(b"k" * 32)
    cookie = keys.seal("session-id", now=1000.0)
    flipped = cookie[:20] + ("A" if cookie[20] != "A" else "B") + cookie[21:]
    assert keys.open(flipped, now=1001.0) is None
    assert keys.open("not a cookie", now=1001.0) is None
    assert keys.open(cookie, now=1000.0 + SESSION_SECONDS + 1) is None


def test_csrf_tokens_are_bound_to_their_seed() -> None:
    keys = SessionKeys(b"k" * 32)
    token = keys.csrf_token("seed-a")
    assert keys.csrf_valid("seed-a", token)
    assert not keys.csrf_valid("seed-b", token)
    assert not keys.csrf_valid("", keys.csrf_token(""))


def test_a_configured_key_must_be_32_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMMESH_UI_SESSION_KEY", "c2hvcnQ")
    with pytest.raises(SessionKeyInvalid, match="32 random bytes"):
        SessionKeys.from_environment()
