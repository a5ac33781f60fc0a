"""tokcount count streams big inputs: bounded memory, exact counts.

A file of TOKCOUNT_LARGE_FILE_MB MiB (default 64; 1024 checks the 1 GiB case) made of one
block repeated is counted with peak RSS measured (os.wait4 of the child). Files below 256 MiB
are normally mapped whole; TOKCOUNT_STREAM_THRESHOLD=32 MiB makes the 64 MiB file stream.
The block ends in a newline and starts with a letter, a boundary no piece crosses, so the
count of k blocks is k times the count of one: the big file's count is checked exactly against that, and so is a
small file of the same blocks (the non-streamed path).
"""

import os
import subprocess

from cli_helpers import BIN, main, run, tempdir, write  # noqa: F401

MIB = 1 << 20
BLOCK = ("The quick brown fox jumps over the lazy dog 1234; naïve café, 日本語のテキスト. "
         "It's    spaced\tout!  \n").encode("utf-8")


def measure(args, stdin_path=None):
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    try:
        pid = os.fork()
        if pid == 0:  # child: exec tokcount with stdout to a pipe file
            try:
                os.dup2(stdin.fileno() if stdin_path else os.open(os.devnull, os.O_RDONLY), 0)
                fd = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                os.dup2(fd, 1)
                os.execve(BIN, [BIN, *args], dict(os.environ, TOKCOUNT_STREAM_THRESHOLD=str(32 * MIB)))
            finally:
                os._exit(127)
        _, status, usage = os.wait4(pid, 0)
    finally:
        if stdin_path:
            stdin.close()
    assert os.WIFEXITED(status), "tokcount %s died: status %d" % (args, status)
    with open(out_path) as f:
        return os.WEXITSTATUS(status), f.read(), usage.ru_maxrss


out_path = None


def count_with_rss(args, stdin_path=None):
    rc, out, rss = measure(args, stdin_path)
    assert rc == 0, (args, rc, out)
    return int(out), rss


def test_big_file_streams_with_bounded_memory_and_exact_count():
    global out_path
    size_mb = int(os.environ.get("TOKCOUNT_LARGE_FILE_MB", "64"))
    with tempdir() as d:
        out_path = os.path.join(d, "out.txt")
        one = int(run("count", "-q", "-e", "o200k_base", input=BLOCK).stdout)
        k_small = 1000
        small = write(os.path.join(d, "small.txt"), BLOCK * k_small)
        small_count, base_rss = count_with_rss(["count", "-q", "-e", "o200k_base", small])
        assert small_count == k_small * one, (small_count, one)

        k = size_mb * MIB // len(BLOCK)
        big = os.path.join(d, "big.txt")
        chunk = BLOCK * 4096
        with open(big, "wb") as f:
            for _ in range(k // 4096):
                f.write(chunk)
            f.write(BLOCK * (k % 4096))
        big_count, big_rss = count_with_rss(["count", "-q", "-e", "o200k_base", big])
        assert big_count == k * one, (big_count, k * one)
        # Streaming keeps a 1 MiB chunk and an unfinished piece; loading the file would add
        # its whole size (64 MiB or more) to the peak.
        assert big_rss < base_rss + 32 * 1024, "peak RSS %d KiB vs %d KiB for a small file" % (big_rss, base_rss)
        # stdin from the file (not a pipe but a regular file): same count, same bound.
        stdin_count, stdin_rss = count_with_rss(["count", "-q", "-e", "o200k_base"], stdin_path=big)
        assert stdin_count == k * one and stdin_rss < base_rss + 32 * 1024, (stdin_count, stdin_rss)
        os.unlink(big)


def test_streamed_pipe_reports_invalid_utf8_offset():
    # A pipe is always streamed: the error offset is the one in the whole stream.
    data = b"hello world " * 100000 + b"\xff tail"
    p = run("count", "-q", input=data, rc=1)
    assert b"not valid UTF-8 at byte offset" in p.stderr and str(len(b"hello world ") * 100000).encode() in p.stderr, p.stderr
    lossy = int(run("count", "-q", "--lossy", input=data).stdout)
    assert lossy == int(run("count", "-q", "--lossy", input=b"hello world " * 100000 + "\ufffd tail".encode()).stdout)


if __name__ == "__main__":
    main(globals())
