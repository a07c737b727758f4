"""botdeck: several AI chat-bot personas in one Twitch channel, run from a terminal dashboard."""

__version__ = "0.1.0"
