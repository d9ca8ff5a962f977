"""The machine and software a benchmark ran on: CPU, cores, RAM, versions, git state."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return float("nan")


def _git(*args: str) -> str:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def _sim_digest() -> str:
    """A short hash of the model source (sim/*.py, scenarios) that was measured."""
    h = hashlib.sha256()
    for path in sorted((ROOT / "sim").rglob("*")):
        if path.suffix in (".py", ".toml") and path.is_file():
            h.update(path.relative_to(ROOT).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:12]


def load_average() -> str:
    """The 1, 5 and 15 minute load averages (other work on the machine skews timings)."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def machine_info() -> dict[str, str]:
    """Date, machine, versions and git state, as strings for the report."""
    import mesa
    import networkx
    import numpy
    import scipy

    commit = _git("rev-parse", "--short", "HEAD") or "unknown"
    sim_changes = _git("status", "--porcelain", "--", "sim")
    cores = os.cpu_count() or 0
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = cores
    return {
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": _cpu_model(),
        "cores": f"{cores} logical ({usable} usable)",
        "ram": f"{_ram_gb():.1f} GB",
        "os": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_version()} ({sys.executable})",
        "numpy": numpy.__version__,
        "mesa": mesa.__version__,
        "networkx": networkx.__version__,
        "scipy": scipy.__version__,
        "git": commit + (" + uncommitted changes in sim/" if sim_changes else ""),
        "sim_digest": _sim_digest(),
        "load_start": load_average(),
    }
