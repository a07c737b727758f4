"""Where replies come from, by the names streamers know: the offline responder, OpenAI, and
the local servers that speak OpenAI's API at their usual addresses.

Plain data, no botdeck imports: `botdeck init` offers these, and the config's error for an
unknown `[ai] provider` (say "ollama") points to the matching `base_url`.
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
    note: str = ""  # one line for the config's comment and the prompt


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
            note="`ollama pull llama3.2` first; any model you pulled works",
        ),
        AIPreset(
            "lmstudio",
            "LM Studio (local)",
            "openai",
            "http://localhost:1234/v1",
            "qwen2.5-7b-instruct",
            note="start the server in LM Studio's Developer tab; model = the loaded model's id",
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
            note="`vllm serve MODEL`; model = the name it serves",
        ),
    )
}

# Names people type for the servers above (lower case, without spaces, dots or dashes).
_ALIASES = {"lm-studio": "lmstudio", "llama.cpp": "llamacpp", "llama-cpp": "llamacpp"}


def find_preset(name: str) -> AIPreset | None:
    """The preset a name means ("Ollama", "LM Studio", "llama.cpp", ...), if any."""
    folded = name.strip().lower()
    folded = _ALIASES.get(folded, folded).replace(" ", "").replace("-", "").replace(".", "")
    return PRESETS.get(folded)


def provider_hint(value: object) -> str:
    """One line for an `[ai] provider` that is neither "openai" nor "offline"."""
    preset = find_preset(str(value))
    if preset is not None and preset.provider == "openai":
        return (
            f"unknown provider {value!r}: {preset.label.removesuffix(' (local)')} speaks the"
            f' OpenAI API, so use provider = "openai" with base_url = "{preset.base_url}"'
        )
    return (
        f'expected "openai" or "offline", got {value!r}: any OpenAI-compatible server'
        ' (Ollama, LM Studio, llama.cpp, vLLM) is provider = "openai" with its base_url'
    )
