"""The dashboard: a Textual app that observes and commands the engine."""
