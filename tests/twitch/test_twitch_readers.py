"""Who reads chat: the broadcaster first, then the bots; set aside with a reason, back when
their token is fixed, everyone again when nobody is left."""

from __future__ import annotations

from botdeck.twitch.readers import ReaderPool


def test_the_first_available_account_reads_and_the_next_takes_over():
    pool = ReaderPool(["streamer", "alpha_bot", "beta_bot"], ["alpha_bot", "beta_bot"])
    assert pool.current == "alpha_bot" and pool.note() is None  # no broadcaster token: no note
    pool.bench("alpha_bot", "banned")
    assert pool.current == "beta_bot"
    assert pool.note() == "reader alpha_bot banned: reading as beta_bot"
    pool.bench("beta_bot", "token revoked")
    assert pool.current is None
    assert pool.note() == (
        "readers alpha_bot banned, beta_bot token revoked: no account left to read chat"
    )


def test_refusals_count_until_the_limit_and_success_resets_them():
    pool = ReaderPool(["alpha_bot", "beta_bot"], ["alpha_bot", "beta_bot"], refusals_allowed=2)
    assert not pool.refused("alpha_bot")
    pool.succeeded("alpha_bot")
    assert not pool.refused("alpha_bot")
    assert pool.refused("alpha_bot")


def test_a_restored_reader_reads_only_when_nobody_does_and_retry_all_starts_over():
    pool = ReaderPool(["streamer", "alpha_bot"], ["alpha_bot"])
    pool.restore("streamer")  # the broadcaster's token appeared: alpha_bot keeps reading
    assert pool.current == "alpha_bot"
    pool.bench("alpha_bot", "banned")
    assert pool.current == "streamer"
    assert pool.note() is None  # the preferred reader reads
    pool.bench("streamer", "token revoked")
    assert pool.current is None
    pool.retry_all()
    assert pool.current == "streamer" and pool.benched == {}
