"""Our own replies echoed back by the channel get their depth back: by message id, by text
as a fallback, and by the sends still in flight when Twitch changed the text."""

from __future__ import annotations

from botdeck.engine.conversation import EchoDepth


def test_the_echo_is_matched_by_its_message_id_even_when_its_text_changed():
    echoes = EchoDepth()
    outgoing = echoes.sending("alpha_bot", "hello  there", depth=2)
    echoes.sent(outgoing, "id-1")
    assert echoes.restore("alpha_bot", "id-1", "hello there") == 2
    assert echoes.restore("alpha_bot", "id-other", "hello there") == 0  # used up


def test_an_echo_before_the_answer_matches_by_text_and_the_id_is_not_kept():
    echoes = EchoDepth()
    outgoing = echoes.sending("alpha_bot", "hello", depth=1)
    assert echoes.restore("alpha_bot", "id-1", "hello") == 1
    echoes.sent(outgoing, "id-1")
    assert echoes.restore("alpha_bot", "id-1", "hello") == 0  # not counted twice


def test_an_altered_echo_before_the_answer_takes_the_deepest_send_in_flight():
    echoes = EchoDepth()
    shallow = echoes.sending("alpha_bot", "one", depth=1)
    echoes.sending("alpha_bot", "two", depth=2)
    echoes.sending("beta_bot", "three", depth=5)  # another bot's sends do not count
    assert echoes.restore("alpha_bot", "id-x", "two, changed") == 2
    echoes.sent(shallow, "id-1")
    assert echoes.restore("alpha_bot", "id-1", "one, changed") == 1


def test_a_failed_send_expects_no_echo():
    echoes = EchoDepth()
    outgoing = echoes.sending("alpha_bot", "hello", depth=2)
    echoes.failed(outgoing)
    assert echoes.restore("alpha_bot", "id-1", "hello") == 0  # a line typed by hand
