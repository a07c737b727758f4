"""Everything botdeck knows about Twitch, in one package, and the only place twitchio is
imported, so a twitchio upgrade or a second platform touches one package.

Three floors, each importing only the ones below (an import contract checks it): the
entry points, `adapter` (the registry entry of `source = "twitch"`) and the logins of
`botdeck auth` (`auth`, `device_auth`, `token_status`); the glue that turns the config
into credentials (`credentials`) and the token file (`tokens`); and the chat adapter,
which never reads the config: `client.TwitchChat`, the source and sink the engine sees,
over one module per job (see docs/architecture.md, "The Twitch adapter").
"""
