"""tokcount encode / decode: known ids, special tokens, round trips, UTF-8 errors."""

import json
import os
import subprocess

from cli_helpers import (BIN, GREAT, GREAT_CL100K, GREAT_O200K, SPECIAL_CL100K_ALL, SPECIAL_O200K_ALL,
                         SPECIAL_TEXT, ids, main, run, tempdir, write)

# Mixed scripts, emoji (including a ZWJ sequence and a flag), combining marks, whitespace runs.
UNICODE_TEXT = ("Hello, 世界! 東京タワー 😀👨‍👩‍👧🇯🇵 naïve café — ñandú e\u0301 한국어 العربية\n"
                "\ttabs   and  spaces\r\n¿Qué? 12345 3.14159 'll 've\n\n")


def test_known_ids():
    assert ids(run("encode", "-e", "cl100k_base", input=GREAT)) == GREAT_CL100K
    assert ids(run("encode", "-e", "o200k_base", input=GREAT)) == GREAT_O200K
    assert ids(run("encode", input=GREAT)) == GREAT_O200K  # o200k_base is the default
    assert ids(run("encode", "-m", "gpt-4", input=GREAT)) == GREAT_CL100K


def test_json_output():
    p = run("encode", "--json", "-e", "cl100k_base", input=GREAT)
    assert json.loads(p.stdout) == GREAT_CL100K
    assert json.loads(run("encode", "--json", input="").stdout) == []


def test_allow_special():
    assert ids(run("encode", "--allow-special", input=SPECIAL_TEXT)) == SPECIAL_O200K_ALL
    assert ids(run("encode", "--allow-special", "-e", "cl100k_base", input=SPECIAL_TEXT)) == SPECIAL_CL100K_ALL


def test_disallowed_special_is_an_error_like_tiktoken():
    p = run("encode", input=SPECIAL_TEXT, rc=1)
    assert p.stdout == b""
    err = p.stderr.decode()
    assert err.startswith("tokcount: error:"), err
    assert "<|endoftext|>" in err and "byte offset 5" in err, err


def test_ordinary_encodes_special_text_as_text():
    toks = ids(run("encode", "--ordinary", input=SPECIAL_TEXT))
    assert 199999 not in toks and len(toks) > 3, toks
    # As plain text it decodes back to the same string.
    back = run("decode", input=" ".join(map(str, toks))).stdout
    assert back == SPECIAL_TEXT.encode()


def test_round_trip_unicode_all_encodings():
    for enc in ["r50k_base", "p50k_base", "cl100k_base", "o200k_base", "o200k_harmony"]:
        toks = run("encode", "-e", enc, input=UNICODE_TEXT).stdout
        back = run("decode", "-e", enc, input=toks).stdout
        assert back == UNICODE_TEXT.encode("utf-8"), enc
        # The JSON form decodes the same.
        jtoks = run("encode", "--json", "-e", enc, input=UNICODE_TEXT).stdout
        assert json.loads(jtoks) == [int(x) for x in toks.split()], enc
        assert run("decode", "-e", enc, input=jtoks).stdout == back


def test_round_trip_file_input():
    with tempdir() as d:
        f = write(os.path.join(d, "u.txt"), UNICODE_TEXT * 20)
        toks = run("encode", f).stdout
        ids_file = write(os.path.join(d, "ids.txt"), toks)
        assert run("decode", ids_file).stdout == (UNICODE_TEXT * 20).encode()


def test_decode_separators():
    text = "83,1609, 5963\n374\t2294 ,0\n"
    assert run("decode", "-e", "cl100k_base", input=text).stdout == GREAT.encode()
    assert run("decode", "-e", "cl100k_base", input="[83, 1609, 5963, 374, 2294, 0]").stdout == GREAT.encode()
    assert run("decode", input="").stdout == b""


def test_decode_unknown_id_exits_1():
    p = run("decode", "-e", "cl100k_base", input="83 999999 0", rc=1)
    assert p.stdout == b""
    assert "999999" in p.stderr.decode(), p.stderr
    p = run("decode", input="[1, 99999999999]", rc=1)
    assert "99999999999" in p.stderr.decode(), p.stderr


def test_decode_malformed_input_exits_1():
    for bad in ["12 abc 5", "-3", "[1, \"x\"]", "[1, 2", "1.5"]:
        p = run("decode", input=bad, rc=1)
        assert p.stderr.decode().startswith("tokcount: error:"), (bad, p.stderr)


def test_decode_bytes_vs_lossy():
    # A rare character is several byte-level tokens in gpt2; its first token alone is an
    # incomplete UTF-8 sequence.
    toks = ids(run("encode", "-e", "gpt2", input="𝔘"))
    assert len(toks) > 1, toks
    raw = run("decode", "-e", "gpt2", input=str(toks[0])).stdout
    try:
        raw.decode("utf-8")
        assert False, "expected invalid UTF-8 bytes from a partial character"
    except UnicodeDecodeError:
        pass
    assert run("decode", "-e", "gpt2", "--bytes", input=str(toks[0])).stdout == raw
    lossy = run("decode", "-e", "gpt2", "--lossy", input=str(toks[0])).stdout.decode("utf-8")
    assert "\ufffd" in lossy
    run("decode", "--lossy", "--bytes", input="1", rc=2)


def test_invalid_utf8_exit_1_with_offset_and_lossy():
    data = b"ok \xe4\xbd text \xff"
    p = run("encode", input=data, rc=1)
    err = p.stderr.decode()
    assert "UTF-8" in err and "byte offset 3" in err, err
    # --lossy encodes the U+FFFD-replaced text (Python's errors="replace").
    lossy = ids(run("encode", "--lossy", input=data))
    expected = ids(run("encode", input=data.decode("utf-8", "replace")))
    assert lossy == expected, (lossy, expected)


def test_missing_file_exits_1():
    p = run("encode", "/nonexistent/file.txt", rc=1)
    assert "/nonexistent/file.txt" in p.stderr.decode()


def test_closed_stdout_is_not_a_signal_death():
    # The reader goes away after one byte; tokcount must exit with a status, not SIGPIPE.
    with tempdir() as d:
        f = write(os.path.join(d, "big.txt"), "word " * 400000)
        p = subprocess.Popen([BIN, "encode", f], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        p.stdout.read(1)
        p.stdout.close()
        p.wait(timeout=60)
        assert p.returncode == 1, p.returncode


if __name__ == "__main__":
    main(globals())
