"""Where replies come from, by the names streamers know: the offline responder, OpenAI, and
the local servers that speak OpenAI's API at their usual addresses.

Plain data: `botdeck init` offers these, and the engine's error for an `[ai] provider`
named after a server (say "ollama") points to the matching `base_url`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AIPreset:
    key: str  # what `botdeck init --provider` takes
    label: str
    provider: str  # the config's [ai] provider: "offline" or "openai"
    base_url: str = ""
    model: str = ""
    api_key_env: str = ""  # "": the server needs no key
    # One line for the config's comment and the prompt; "{model}" is the model written.
    note: str = ""

    def note_for(self, model: str = "") -> str:
        """The note about the model actually chosen (`--model`, or the preset's own), so
        the comment above `model = ...` never names another one."""
        return self.note.replace("{model}", model or self.model)


PRESETS: dict[str, AIPreset] = {
    preset.key: preset
    for preset in (
        AIPreset(
            "offline",
            "offline (built-in replies: no server, no key, no cost)",
            "offline",
            note="canned in-character replies; switch to a real model any time",
        ),
        AIPreset(
            "openai",
            "OpenAI",
            "openai",
            "https://api.openai.com/v1",
            "gpt-4o-mini",
            "OPENAI_API_KEY",
            "the key is read from $OPENAI_API_KEY, never stored here",
        ),
        AIPreset(
            "ollama",
            "Ollama (local)",
            "openai",
            "http://localhost:11434/v1",
            "llama3.2",
            note="`ollama pull {model}` first (or any model you pulled)",
        ),
        AIPreset(
            "lmstudio",
            "LM Studio (local)",
            "openai",
            "http://localhost:1234/v1",
            "qwen2.5-7b-instruct",
            note="load {model} and start the server in LM Studio's Developer tab",
        ),
        AIPreset(
            "llamacpp",
            "llama.cpp server (local)",
            "openai",
            "http://localhost:8080/v1",
            "local",
            note="`llama-server -m model.gguf`; it answers with the model it loaded",
        ),
        AIPreset(
            "vllm",
            "vLLM (local)",
            "openai",
            "http://localhost:8000/v1",
            "Qwen/Qwen2.5-7B-Instruct",
            note="`vllm serve {model}` first; model = the name it serves",
        ),
    )
}

# Other spellings of the local servers' names, as people type them for `[ai] provider`.
SERVER_ALIASES = {"lm-studio": "lmstudio", "lm studio": "lmstudio", "llama.cpp": "llamacpp",
                  "llama-cpp": "llamacpp"}  # fmt: skip


def server_hints() -> dict[str, str]:
    """For each local server's name (and its spellings): the `[ai]` lines to write instead
    of `provider = name`, since it speaks OpenAI's API."""
    names = {key: key for key, preset in PRESETS.items() if preset.key not in ("offline", "openai")}
    names |= SERVER_ALIASES
    return {
        name: f'use provider = "openai" with base_url = "{PRESETS[key].base_url}"'
        for name, key in names.items()
    }
