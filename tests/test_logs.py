"""Secrets never reach the log file, whoever logs them."""

from __future__ import annotations

import logging

from botdeck.storage.logs import redact, setup_logging


def test_registered_secrets_are_masked_in_messages_and_tracebacks(tmp_path, monkeypatch):
    monkeypatch.setenv("BOTDECK_LOG_DIR", str(tmp_path))
    path = setup_logging()
    assert path is not None
    token, secret = "tok3n-abcdef-123456", "client-secret-98765"
    redact(token, secret, "short", None)
    log = logging.getLogger("twitchio.http")
    log.warning("Request POST https://id/oauth2/token?client_secret=%s failed", secret)
    try:
        raise RuntimeError(f'Please re-authenticate user with token: "{token}"')
    except RuntimeError:
        log.exception("refresh failed")
    log.warning("nothing secret here, short words stay")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = path.read_text()
    assert token not in text and secret not in text
    assert text.count("[redacted]") == 2
    assert "short words stay" in text and "RuntimeError" in text
    logging.getLogger().handlers.clear()
