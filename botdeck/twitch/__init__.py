"""Everything botdeck knows about Twitch, in one package: the chat source and sink
(twitchio 3, EventSub in, Helix out), the token file, and the `botdeck auth` logins.

twitchio is imported here and nowhere else, so a twitchio upgrade or a second platform
touches one package; the rest of botdeck sees `TwitchChat` as any `ChatSource`.
"""
