"""tokcount encode --jsonl: one output line per input line, in order, with per-line errors."""

import json
import os
import random
import selectors
import subprocess

from cli_helpers import (BIN, GREAT, GREAT_CL100K, GREAT_O200K, SPECIAL_CL100K_ALL, SPECIAL_O200K_ALL,
                         SPECIAL_TEXT, main, run, tempdir, write)


def jsonl(lines, *args, rc=None):
    """Runs encode --jsonl on `lines` (dicts are dumped, strings sent verbatim); parsed output."""
    body = "".join((json.dumps(l) if isinstance(l, dict) else l) + "\n" for l in lines)
    p = run("encode", "--jsonl", *args, input=body, rc=rc)
    out = [json.loads(l) for l in p.stdout.decode().splitlines()]
    assert len(out) == len(lines), (len(out), len(lines), p.stdout[:300])
    return p, out


def test_basic_and_order():
    p, out = jsonl([{"text": GREAT}, {"text": ""}, {"text": GREAT, "id": 7}], "-e", "cl100k_base", rc=0)
    assert out == [{"tokens": GREAT_CL100K}, {"tokens": []}, {"tokens": GREAT_CL100K}]
    assert p.stderr == b""


def test_allowed_special_forms():
    lines = [
        {"text": SPECIAL_TEXT, "allowed_special": "all"},
        {"text": SPECIAL_TEXT, "allowed_special": ["<|endoftext|>"]},
        {"text": SPECIAL_TEXT, "allowed_special": None},  # null = not given = tiktoken's default
        {"text": SPECIAL_TEXT, "disallowed_special": []},  # check off: encoded as text
    ]
    _, out = jsonl(lines, "-e", "o200k_base", rc=1)
    assert out[0] == {"tokens": SPECIAL_O200K_ALL}
    assert out[1] == {"tokens": SPECIAL_O200K_ALL}
    assert out[2]["error"]["code"] == "DISALLOWED_SPECIAL"
    assert 199999 not in out[3]["tokens"] and len(out[3]["tokens"]) > 3
    _, out = jsonl([{"text": SPECIAL_TEXT, "allowed_special": "all"}], "-e", "cl100k_base", rc=0)
    assert out == [{"tokens": SPECIAL_CL100K_ALL}]


def test_error_lines_do_not_stop_the_stream():
    lines = [
        {"text": GREAT},
        {"text": SPECIAL_TEXT},                 # disallowed special (tiktoken's default)
        '{"text": "unterminated',               # malformed JSON
        "",                                     # empty line
        '{"text": "a"} trailing',               # garbage after the object
        '["not", "an", "object"]',
        '{"text": 5}',
        '{"no_text": "x"}',
        '{"text": "a", "allowed_special": "some"}',
        '{"text": "a", "meta": {"x": tru}}',    # malformed in an ignored field
        {"text": GREAT},
    ]
    p, out = jsonl(lines, rc=1)
    assert out[0] == {"tokens": GREAT_O200K} and out[-1] == {"tokens": GREAT_O200K}
    err = out[1]["error"]
    assert err["code"] == "DISALLOWED_SPECIAL" and err["offset"] == 5, err
    assert "<|endoftext|>" in err["message"], err
    for i in (2, 3, 4, 9):
        assert out[i]["error"]["code"] == "PARSE_ERROR", (i, out[i])
    for i in (5, 6, 7, 8):
        assert out[i]["error"]["code"] == "INVALID_ARGUMENT", (i, out[i])
    for o in out[1:-1]:
        assert set(o["error"]) == {"code", "message", "offset"}, o


def test_deep_nesting_is_a_parse_error_not_a_crash():
    # Regression (tests/cli/test_garbage.py): a 200,000-deep array in an ignored field or as
    # the line overflowed the stack of the recursive validator (SIGSEGV).
    deep = "[" * 200000 + "]" * 200000
    lines = ['{"text": "a", "meta": %s}' % deep, deep, '{"text": "a", "meta": %s}' % ("[" * 1000 + "]" * 1000),
             {"text": GREAT}]
    p, out = jsonl(lines, rc=1)
    assert out[0]["error"]["code"] == "PARSE_ERROR" and out[1]["error"]["code"] == "PARSE_ERROR", out[:2]
    assert out[2] == {"tokens": [64]} and out[3] == {"tokens": GREAT_O200K}, out[2:]


def test_cli_flags_set_line_defaults():
    _, out = jsonl([{"text": SPECIAL_TEXT}, {"text": SPECIAL_TEXT, "allowed_special": []}],
                   "--allow-special", rc=1)
    assert out[0] == {"tokens": SPECIAL_O200K_ALL}
    assert out[1]["error"]["code"] == "DISALLOWED_SPECIAL"  # the line's own field wins
    _, out = jsonl([{"text": SPECIAL_TEXT}], "--ordinary", rc=0)
    assert 199999 not in out[0]["tokens"]


def test_unicode_escapes_and_surrogates():
    # Same text as raw UTF-8 and as \\u escapes (a surrogate pair for the emoji) must agree.
    text = "café 😀 你好 \u0000 tab\t \"quoted\" back\\slash"
    raw = json.dumps({"text": text}, ensure_ascii=False)
    escaped = json.dumps({"text": text}, ensure_ascii=True)
    assert "\\ud83d\\ude00" in escaped
    _, out = jsonl([raw, escaped], rc=0)
    assert out[0] == out[1]
    direct = [int(x) for x in run("encode", input=text).stdout.split()]
    assert out[0]["tokens"] == direct
    # A lone surrogate (legal in Python strings and json.dumps output) becomes U+FFFD, which is
    # what tiktoken's encode() does with it.
    _, out = jsonl(['{"text": "a\\ud800b"}', '{"text": "\\udc00\\ud83d\\ude00"}'], rc=0)
    assert out[0]["tokens"] == [int(x) for x in run("encode", input="a\ufffdb").stdout.split()]
    assert out[1]["tokens"] == [int(x) for x in run("encode", input="\ufffd😀").stdout.split()]


def test_many_lines_match_single_encodes_and_threads_agree():
    rng = random.Random(1234)
    words = ["hello", "world", "😀", "你好", " ", "\n", "123", "<|endoftext|>", "é", "'s", "\\", '"']
    texts = ["".join(rng.choice(words) for _ in range(rng.randint(0, 30))) for _ in range(20000)]
    lines = [{"text": t, "allowed_special": "all"} for t in texts]
    _, one = jsonl(lines, "-j", "1", rc=0)
    _, many = jsonl(lines, "-j", "4", rc=0)
    assert one == many
    # Spot-check against the plain encode command.
    for i in range(0, len(texts), 2500):
        direct = [int(x) for x in run("encode", "--allow-special", input=texts[i]).stdout.split()]
        assert one[i]["tokens"] == direct, i


def test_file_input_and_missing_final_newline():
    with tempdir() as d:
        f = write(os.path.join(d, "in.jsonl"), '{"text": "tiktoken is great!"}\n{"text": "x"}')
        p = run("encode", "--jsonl", "-e", "cl100k_base", f)
        out = [json.loads(l) for l in p.stdout.decode().splitlines()]
        assert out[0] == {"tokens": GREAT_CL100K} and len(out) == 2


def test_streams_line_by_line():
    # A co-process writes one line and waits for its answer before sending the next: output
    # must not wait for EOF or a full batch.
    p = subprocess.Popen([BIN, "encode", "--jsonl", "-e", "cl100k_base"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    sel = selectors.DefaultSelector()
    sel.register(p.stdout, selectors.EVENT_READ)
    try:
        for _ in range(3):
            p.stdin.write(b'{"text": "tiktoken is great!"}\n')
            p.stdin.flush()
            assert sel.select(timeout=20), "no output line before the next input line"
            assert json.loads(p.stdout.readline()) == {"tokens": GREAT_CL100K}
    finally:
        p.stdin.close()
        p.wait(timeout=20)
    assert p.returncode == 0


if __name__ == "__main__":
    main(globals())
