"""Custom encodings (--vocab/--pattern/--special), usage errors (exit 2), version, encodings."""

import base64
import json
import os

from cli_helpers import GREAT, GREAT_CL100K, ids, main, run, tempdir, write


def tiny_vocab(d):
    """Every single byte (rank = byte value), then "ab" = 256 and "abc" = 257."""
    lines = ["%s %d" % (base64.b64encode(bytes([b])).decode(), b) for b in range(256)]
    lines += ["%s 256" % base64.b64encode(b"ab").decode(), "%s 257" % base64.b64encode(b"abc").decode()]
    return write(os.path.join(d, "tiny.tiktoken"), "\n".join(lines) + "\n")


def test_custom_encoding_encode_decode_count():
    with tempdir() as d:
        v = tiny_vocab(d)
        custom = ["--vocab", v, "--pattern", r"[a-z]+| |[<|>]+", "--special", "<|end|>=300"]
        # "abcab" merges a+b -> ab (256) first, then ab+c -> abc (257): [abc, ab].
        assert ids(run("encode", *custom, input="abcab abc")) == [257, 256, 32, 257]
        assert ids(run("encode", *custom, "--allow-special", input="abc<|end|>")) == [257, 300]
        p = run("encode", *custom, input="abc<|end|>", rc=1)
        assert "<|end|>" in p.stderr.decode()
        assert run("decode", *custom, input="257 300 32").stdout == b"abc<|end|> "
        doc = json.loads(run("count", "--json", *custom, "--name", "tiny-test", input="abcab abc").stdout)
        assert doc["encoding"] == "tiny-test" and doc["total"]["tokens"] == 4
        # Default name: the vocabulary file's stem.
        doc = json.loads(run("count", "--json", *custom, input="abc").stdout)
        assert doc["encoding"] == "tiny"
        line = json.dumps({"text": "abc<|end|>", "allowed_special": ["<|end|>"]}) + "\n"
        out = json.loads(run("encode", "--jsonl", *custom, input=line).stdout)
        assert out == {"tokens": [257, 300]}


def test_custom_vocab_with_builtin_pattern():
    with tempdir() as d:
        v = tiny_vocab(d)
        toks = ids(run("encode", "--vocab", v, "--pattern-from", "cl100k_base", input="abc abc"))
        # cl100k's regex gives the pieces "abc" and " abc"; inside " abc" a+b and then ab+c
        # merge, and no merge joins the space: [abc, " ", abc].
        assert toks == [257, 32, 257], toks
        # The pattern matters: one piece per character means no merges at all.
        assert ids(run("encode", "--vocab", v, "--pattern", ".", input="abc abc")) == [97, 98, 99, 32, 97, 98, 99]
        assert run("decode", "--vocab", v, "--pattern-from", "cl100k_base",
                   input=" ".join(map(str, toks))).stdout == b"abc abc"


def test_custom_encoding_errors():
    with tempdir() as d:
        v = tiny_vocab(d)
        run("encode", "--vocab", v, input="x", rc=2)                           # no pattern
        run("encode", "--pattern", "x", input="x", rc=2)                       # pattern without vocab
        run("encode", "--vocab", v, "--pattern", "x", "--special", "nope", input="x", rc=2)
        run("encode", "--vocab", v, "--pattern", "x", "-e", "cl100k_base", input="x", rc=2)
        p = run("encode", "--vocab", os.path.join(d, "missing.tiktoken"), "--pattern", "x", input="x", rc=1)
        assert "missing.tiktoken" in p.stderr.decode()
        bad = write(os.path.join(d, "bad.tiktoken"), "not base64!! x\n")
        run("encode", "--vocab", bad, "--pattern", "x", input="x", rc=1)
        # A regex feature tiktoken's engine has but that cannot be honoured exactly: refused.
        p = run("encode", "--vocab", v, "--pattern", "(?<=a)b", input="x", rc=1)
        assert "tokcount: error:" in p.stderr.decode()


def test_usage_errors_exit_2():
    cases = [
        [],                                   # no subcommand
        ["frobnicate"],
        ["count", "--no-such-flag"],
        ["encode", "-e", "no_such_encoding"],
        ["encode", "-m", "no-such-model-xyz"],
        ["encode", "-e", "cl100k_base", "-m", "gpt-4"],
        ["encode", "--json", "--jsonl"],
        ["encode", "--ordinary", "--allow-special"],
        ["encode", "a.txt", "b.txt"],
        ["count", "--json", "-q"],
        ["count", "-j", "-3"],
        ["decode", "--lossy", "--bytes"],
    ]
    for args in cases:
        p = run(*args, input="", rc=2)
        assert p.stderr, args
        assert p.stdout == b"", args


def test_help_and_version():
    p = run("--help")
    assert b"count" in p.stdout and b"encode" in p.stdout and b"decode" in p.stdout
    help_count = run("count", "--help").stdout.decode()
    assert "--allow-special" in help_count and "encode_ordinary" in help_count  # documented choice
    assert "--jsonl" in run("encode", "--help").stdout.decode()
    v1 = run("--version").stdout.decode().strip()
    v2 = run("version").stdout.decode().strip()
    assert v1 == v2 and v1.startswith("tokcount ") and "Unicode" in v1, v1


def test_encodings_list():
    names = run("encodings").stdout.decode().split()
    for n in ["r50k_base", "gpt2", "p50k_base", "p50k_edit", "cl100k_base", "o200k_base", "o200k_harmony"]:
        assert n in names, names
    detail = run("encodings", "--long").stdout.decode()
    assert "n_vocab=100277" in detail and "n_vocab=200019" in detail, detail
    # Every listed encoding works.
    for n in names:
        run("encode", "-e", n, input=GREAT)
    assert ids(run("encode", "-e", "cl100k_base", input=GREAT)) == GREAT_CL100K


if __name__ == "__main__":
    main(globals())
