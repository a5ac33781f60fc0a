"""The CLI never exits by a signal: every subcommand on garbage input ends with an exit code,
and a failure always comes with a message (stderr; stdout for `encode --jsonl` error lines and
lint reports).

Inputs: random bytes (fixed seeds), a 4 MiB line with no newline, NUL bytes, broken and
deeply nested JSON, huge numbers, a lone BOM, CR-only text; each on stdin and as a file.
"""

import os
import random

from cli_helpers import main, run, tempdir, write  # noqa: F401


def garbage_inputs():
    rnd = random.Random(9)
    yield "random", bytes(rnd.randrange(256) for _ in range(20000))
    yield "random_small", bytes(rnd.randrange(256) for _ in range(17))
    yield "huge_line", b"x" * (4 << 20)
    yield "huge_line_mixed", (b"ab\xc3\xa9 " * (1 << 19))[: 4 << 20]
    yield "nuls", b"\0" * 10000
    yield "empty", b""
    yield "bom", b"\xef\xbb\xbf"
    yield "cr_only", b"\r" * 10000
    yield "broken_json", b'{"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"'
    yield "wrong_types", b'{"model": 5, "messages": {"role": []}, "tools": "x", "max_tokens": -1}'
    yield "deep_array", b"[" * 200000 + b"]" * 200000
    yield "deep_object", b'{"a":' * 100000 + b"1" + b"}" * 100000
    yield "deep_messages", b'{"model":"gpt-4o","messages":[{"role":"user","content":' + b"[" * 100000 + b"]" * 100000 + b"}]}"
    yield "huge_numbers", b"99999999999999999999999 -1 4294967296 1e308 NaN abc"
    yield "jsonl_garbage", b'{"text": 1}\n{"text": "\\ud800"}\nnot json\n{"allowed_special": 7}\n[]\n'
    yield "sse_garbage", b"data: {\n\ndata: [1,2\n\ndata: {\"choices\": 5}\n\n:\r\rdata\n" + b"data: x" * 100000
    yield "toml_like", b"[rules\nPC001 = = \n"


# Each subcommand with the flags a user might give it; input on stdin or as a path.
COMMANDS = [
    ["count"], ["count", "--lossy"], ["count", "--allow-special", "--json"],
    ["encode"], ["encode", "--lossy"], ["encode", "--jsonl"],
    ["decode"], ["decode", "-e", "r50k_base"],
    ["chat"], ["chat", "--format", "text"], ["chat", "--tokens"],
    ["lint"], ["lint", "--format", "sarif"], ["lint", "--fix"],
    ["sse"],
]


def check(args, p):
    assert p.returncode >= 0  # run() already asserts no signal; this states the point
    if p.returncode != 0:
        # Most errors go to stderr; `encode --jsonl` answers a bad line with an {"error": ...}
        # line and `lint` reports unreadable inputs in its report, both on stdout.
        assert p.stderr.strip() or p.stdout.strip(), "tokcount %s: exit %d without a message" % (args, p.returncode)


def test_stdin_garbage_never_kills_the_cli():
    for name, data in garbage_inputs():
        for cmd in COMMANDS:
            if cmd[0] == "lint" and "--fix" in cmd:
                continue  # --fix rewrites files; stdin form below
            p = run(*cmd, input=data, rc=None, timeout=300)
            try:
                check(cmd, p)
            except AssertionError as e:
                raise AssertionError("%s on %s: %s" % (cmd, name, e))


def test_file_garbage_never_kills_the_cli():
    with tempdir() as d:
        for name, data in garbage_inputs():
            path = write(os.path.join(d, name + ".txt"), data)
            for cmd in COMMANDS:
                p = run(*cmd, path, rc=None, timeout=300)
                try:
                    check(cmd, p)
                except AssertionError as e:
                    raise AssertionError("%s on %s: %s" % (cmd, name, e))


def test_unreadable_and_odd_paths():
    with tempdir() as d:
        missing = os.path.join(d, "missing.txt")
        for cmd in (["count"], ["encode"], ["decode"], ["chat"], ["lint"], ["sse"]):
            p = run(*cmd, missing, rc=None)
            assert p.returncode != 0 and b"missing.txt" in p.stderr + p.stdout, (cmd, p.returncode, p.stderr)
            p = run(*cmd, d, rc=None)  # a directory where a file is expected (count walks it)
            check(cmd, p)
        unreadable = write(os.path.join(d, "locked.txt"), "secret")
        os.chmod(unreadable, 0)
        if os.geteuid() != 0:  # root reads anything
            p = run("count", unreadable, rc=1)
            assert b"Permission denied" in p.stderr, p.stderr


def test_bad_options_are_usage_errors():
    for args in (["count", "-e", "no_such_encoding"], ["encode", "--model", "no-such-model"],
                 ["count", "--threads", "-5"], ["frobnicate"], ["decode", "--bogus"]):
        p = run(*args, input=b"x", rc=None)
        assert p.returncode in (1, 2) and p.stderr.strip(), (args, p.returncode, p.stderr)


if __name__ == "__main__":
    main(globals())
