"""The `botdeck` commands: the argparse entry (`cli`) and one module per command.

Each command only chooses: it reads its flags and its config, opens a run through
`botdeck.engine`'s public names (or calls the Twitch logins, for `auth`) and turns the
result into an exit code. What a run does is the engine's.
"""
