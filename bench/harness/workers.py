"""Worker processes: one per tool, pinned to the same CPUs, spoken to over a line protocol
(bench/driver.cpp's header documents it). A request that does not answer in time kills the
worker (the coordinator notes the timeout and starts a fresh one), so a quadratic peer can never
hang a run."""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
_live: set["Worker"] = set()


def _kill_all() -> None:
    for w in list(_live):
        w.kill()


# A worker busy in a long call would outlive an interrupted run: end them all on exit, and turn
# SIGTERM into a normal exit so that this runs.
atexit.register(_kill_all)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


class Timeout(Exception):
    pass


class WorkerError(Exception):
    def __init__(self, message: str, skip: bool = False):
        super().__init__(message)
        self.skip = skip


class Worker:
    def __init__(self, tool: str, argv: list[str], env: dict[str, str], cpus: set[int], log: Path):
        self.tool, self.argv, self.env, self.cpus, self.log = tool, argv, env, cpus, log
        self.proc: subprocess.Popen | None = None
        self.wanted: set[str] = set()  # encodings to reload after a restart

    def start(self) -> None:
        cpus = self.cpus
        self.proc = subprocess.Popen(
            self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log.open("ab"),
            env=self.env, preexec_fn=lambda: os.sched_setaffinity(0, cpus), bufsize=0)
        _live.add(self)

    def request(self, fields: list[str], timeout: float) -> dict:
        if self.proc is None or self.proc.poll() is not None:
            self.start()
            for enc in sorted(self.wanted):
                self._send(["load", enc], max(120.0, timeout))
        return self._send(fields, timeout)

    def load(self, enc: str, timeout: float) -> dict:
        self.wanted.add(enc)
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        return self._send(["load", enc], timeout)

    def _send(self, fields: list[str], timeout: float) -> dict:
        assert self.proc and self.proc.stdin and self.proc.stdout
        try:
            self.proc.stdin.write(("\t".join(fields) + "\n").encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            self.kill()
            raise WorkerError(f"{self.tool} worker exited (see {self.log})")
        deadline = time.monotonic() + timeout
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.proc.stdout], [], [], max(0.0, left))
            if not ready:
                self.kill()
                raise Timeout(f"no answer in {timeout:.0f} s")
            chunk = os.read(self.proc.stdout.fileno(), 1 << 16)
            if not chunk:
                self.kill()
                raise WorkerError(f"{self.tool} worker died (see {self.log})")
            line += chunk
        reply = json.loads(line)
        if not reply.get("ok"):
            raise WorkerError(reply.get("error", "error"), bool(reply.get("skip")))
        return reply

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        _live.discard(self)

    def close(self) -> None:
        if self.proc and self.proc.poll() is None:
            try:
                self.proc.stdin.write(b"quit\n")  # type: ignore[union-attr]
                self.proc.stdin.flush()  # type: ignore[union-attr]
                self.proc.wait(timeout=10)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.kill()
        self.proc = None
        _live.discard(self)


def python_worker_argv(tool: str, work: Path) -> list[str]:
    return [sys.executable, str(HERE / "worker.py"), tool, str(work)]
