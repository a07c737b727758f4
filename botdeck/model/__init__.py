"""The bottom layer: plain data every other layer speaks, importing nothing from botdeck.

Chat lines, job words (priority, phase, outcome), router and connection states, the
snapshots a dashboard polls, the engine's event stream, the journal's vocabulary, and the
few numbers more than one layer needs (Twitch's limits, the key table). Nothing here does
anything: it is what the engine, the adapters, the dashboard and the report agree on.
"""
