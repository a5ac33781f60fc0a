"""The machine and software a run measured: recorded with every result."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path


def _run(argv: list[str]) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def caches() -> str:
    out = _run(["lscpu"])
    keep = [line.split(":", 1) for line in out.splitlines() if line.split(":", 1)[0].strip() in
            ("L1d cache", "L2 cache", "L3 cache", "Hypervisor vendor")]
    return ", ".join(f"{k.strip()} {v.strip()}" for k, v in keep)


def memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / (1 << 20)
    except OSError:
        pass
    return 0.0


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def describe(repo: Path, build_dir: Path) -> dict:
    cache = build_dir / "CMakeCache.txt"
    compiler, build_type, flags = "", "", ""
    if cache.exists():
        for line in cache.read_text().splitlines():
            if line.startswith("CMAKE_CXX_COMPILER:"):
                compiler = line.split("=", 1)[1]
            elif line.startswith("CMAKE_BUILD_TYPE:"):
                build_type = line.split("=", 1)[1]
            elif line.startswith("CMAKE_CXX_FLAGS_RELEASE:"):
                flags = line.split("=", 1)[1]
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "usable_cpus": sorted(os.sched_getaffinity(0)),
        "caches": caches(),
        "memory_gib": round(memory_gib(), 1),
        "kernel": platform.release(),
        "os": _run(["sh", "-c", ". /etc/os-release 2>/dev/null && echo $PRETTY_NAME"]) or platform.platform(),
        "compiler": _run([compiler or "c++", "--version"]).splitlines()[0] if _run([compiler or "c++", "--version"]) else "?",
        "build": f"{build_type} {flags}".strip(),
        "python": sys.version.split()[0],
        "tokcount_commit": _run(["git", "-C", str(repo), "describe", "--always", "--dirty"]),
        "load_average_start": load_average(),
    }


def machine_line(m: dict) -> str:
    return (f"{m['cpu']}, {m['cores']} cores ({m['caches']}), {m['memory_gib']} GiB, {m['os']}, "
            f"kernel {m['kernel']}; {m['compiler']} ({m['build']}); Python {m['python']}; "
            f"tokcount {m['tokcount_commit']}; load average {m['load_average_start']} at start, "
            f"{m.get('load_average_end', '?')} at end")
