"""Hostile-input benchmark: peak memory and time of `botdeck rehearse` and `botdeck report`
on 1 GiB inputs, generated on the fly in a temporary folder:

- a gzip of about 1 MB that inflates to 1 GiB of newlines (gzip members of 1 MiB each,
  concatenated), as a replay log and as a journal;
- a sparse file of 1 GiB of zero bytes and no newline (no disk space used).

Each command runs as a subprocess; its peak RSS comes from `wait4`. The baseline is
botdeck as it was before issue 16 (BASELINE_COMMIT, extracted with `git archive`), run
on the inputs that hurt it, under a 3 GiB address-space cap (it would take more: the
issue measured 2.1 GB for the gzip and a MemoryError near 3 GB for /dev/zero); a
baseline that hits the cap is reported as the cap, labelled "capped".

    python -m benchmarks.hostile_bench -> JSON
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE_COMMIT = "8110b3d"  # main before issue 16
CAP = 3 << 30  # bytes of address space for the baseline
GIB = 1 << 30
CONFIG = '[send_limits]\nenabled = false\n\n[[bots]]\nname = "pixelsage"\n'


def make_inputs(folder: Path) -> dict[str, Path]:
    bomb = folder / "newlines.jsonl.gz"
    member = gzip.compress(b"\n" * (1 << 20), compresslevel=9)
    with bomb.open("wb") as out:
        for _ in range(GIB >> 20):
            out.write(member)
    zeros = folder / "zeros.jsonl"
    with zeros.open("wb") as out:
        out.truncate(GIB)
    config = folder / "botdeck.toml"
    config.write_text(CONFIG)
    return {"gzip": bomb, "zeros": zeros, "config": config}


@contextlib.contextmanager
def baseline_tree(folder: Path) -> Iterator[Path | None]:
    """botdeck before issue 16, or None when this is no git checkout that has it."""
    target = folder / "baseline"
    target.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", BASELINE_COMMIT, "botdeck"],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        yield None
        return
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    yield target


def measure(
    args: list[str], *, path: Path, logs: Path, cap: int | None = None
) -> dict[str, object]:
    """Run `python -m botdeck args` with botdeck from `path` (its log in `logs`): exit
    code, peak RSS (MB), wall time (s), the last line of stderr."""
    env = {**os.environ, "PYTHONPATH": str(path), "BOTDECK_LOG_DIR": str(logs)}

    def limit() -> None:
        if cap is not None:
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    began = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "botdeck", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        cwd=path,
        preexec_fn=limit,
    )
    assert proc.stderr is not None
    stderr = proc.stderr.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - began
    proc.returncode = os.waitstatus_to_exitcode(status)
    lines = stderr.strip().splitlines()
    return {
        "exit": proc.returncode,
        "peak_mb": round(usage.ru_maxrss / 1024, 1),  # KiB on Linux
        "seconds": round(seconds, 2),
        "stderr_lines": len(lines),
        "last_line": lines[-1][:200] if lines else "",
        "traceback": "Traceback" in stderr,
    }


def main() -> None:
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="botdeck-hostile-") as name:
        folder = Path(name)
        inputs = make_inputs(folder)
        config = str(inputs["config"])
        runs = {
            "rehearse_gzip": ["rehearse", "--config", config, "--replay", str(inputs["gzip"])],
            "rehearse_zeros": ["rehearse", "--config", config, "--replay", str(inputs["zeros"])],
            "report_gzip": ["report", str(inputs["gzip"])],
            "report_zeros": ["report", str(inputs["zeros"])],
        }
        for key, args in runs.items():
            results[key] = measure(args, path=ROOT, logs=folder / "logs")
        # Today's behaviour, capped, on the inputs that hurt it (the old report read only
        # plain files, and the old rehearse refused neither input by size).
        with baseline_tree(folder) as old:
            if old is not None:
                for key in ("rehearse_gzip", "report_zeros"):
                    results[f"baseline_{key}"] = measure(
                        runs[key], path=old, logs=folder / "logs", cap=CAP
                    )
    results["cap_mb"] = CAP >> 20
    print(json.dumps(results))


if __name__ == "__main__":
    main()
