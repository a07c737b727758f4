"""What the tests share, in one place (no test module imports another; the check is
tests/test_suite_layout.py).

- `virtual_time`: the event loop whose clock jumps to the next timer (exact timing claims)
- `waiting`: polling with a deadline (`until` in coroutines, `wait_for` in plain code)
- `journals`: reading a run's journal, and hand-made journals for the report
- `engine`: an engine from hand-picked parts, with scripted responders and sinks
- `scheduler`: a scheduler with sleeping job bodies
- `ai`: the real engine on the real OpenAI SDK against the fake OpenAI server
- `twitch`: the real engine on the real twitchio client against the fake Twitch
- `dashboard`: the Textual app on scripted chat, a frozen clock, keys typed at once
- `cli`: `botdeck` as a subprocess, a copy of the checkout
- `tmux`: a real terminal; `browser`: headless Chromium; `png`: reading its screenshots

The stand-ins they drive (servers, generated chat and journals, a failing dashboard) are
in `tests/fakes/`; fixtures are in the `conftest.py` files.
"""
