"""tokcount count: files, directories, stdin, totals, --json, errors."""

import json
import os

from cli_helpers import BIN, GREAT, SPECIAL_TEXT, main, run, tempdir, write  # noqa: F401


def count_of(*args, input=None):
    """Total tokens via -q (a bare number)."""
    return int(run("count", "-q", *args, input=input).stdout)


def test_single_file_summary():
    with tempdir() as d:
        f = write(os.path.join(d, "a.txt"), GREAT)
        out = run("count", "-e", "cl100k_base", f).stdout.decode()
        lines = out.splitlines()
        assert len(lines) == 1, out  # just the totals for one file
        fields = lines[0].split()
        # "6 tokens  18 bytes  <time>  <MB/s>  <tokens/s>  (cl100k_base)"
        assert fields[:4] == ["6", "tokens", "18", "bytes"], out
        assert "MB/s" in out and "tokens/s" in out and "(cl100k_base)" in out, out


def test_stdin_dash_and_no_path_agree():
    text = GREAT * 50
    a = count_of("-e", "cl100k_base", input=text)
    b = count_of("-e", "cl100k_base", "-", input=text)
    assert a == b and a > 50, (a, b)
    # The same text from a file counts the same.
    with tempdir() as d:
        f = write(os.path.join(d, "t.txt"), text)
        assert count_of("-e", "cl100k_base", f) == a


def test_known_count():
    assert count_of("-e", "cl100k_base", input=GREAT) == 6
    assert count_of("-e", "o200k_base", input=GREAT) == 6
    assert count_of(input="") == 0


def test_directory_recursive_sorted_with_totals():
    with tempdir() as d:
        root = os.path.join(d, "tree")
        files = {
            "b.txt": "second file " * 10,
            "a.txt": "first file",
            "sub/c.md": "nested 你好 😀",
            "sub/deeper/d.txt": "x" * 1000,
            ".hidden": "hidden files count too",
        }
        for rel, text in files.items():
            write(os.path.join(root, rel), text)
        out = run("count", root).stdout.decode().splitlines()
        per_file = out[:-1]
        expected_paths = sorted(os.path.join(root, rel) for rel in files)
        got_paths = [line.split(None, 1)[1] for line in per_file]
        assert got_paths == expected_paths, (got_paths, expected_paths)
        # Each per-file count equals counting that file alone; the total is their sum.
        total = 0
        for line in per_file:
            n, path = line.split(None, 1)
            assert int(n) == count_of(path), line
            total += int(n)
        summary = out[-1].split()
        assert int(summary[0]) == total, out[-1]
        assert summary[1] == "tokens"
        assert int(summary[2]) == sum(len(t.encode("utf-8")) for t in files.values()), out[-1]
        assert "5 files" in out[-1], out[-1]


def test_threads_do_not_change_results():
    with tempdir() as d:
        for i in range(40):
            write(os.path.join(d, "f%02d.txt" % i), ("line %d with some words\n" % i) * (i * 37 + 1))
        one = json.loads(run("count", "--json", "-j", "1", d).stdout)
        many = json.loads(run("count", "--json", "-j", "8", d).stdout)
        assert one["files"] == many["files"]
        assert one["total"]["tokens"] == many["total"]["tokens"]


def test_json_structure():
    with tempdir() as d:
        a = write(os.path.join(d, "a.txt"), GREAT)
        b = write(os.path.join(d, "b.txt"), "héllo wörld")
        doc = json.loads(run("count", "--json", "-e", "cl100k_base", a, b).stdout)
        assert doc["encoding"] == "cl100k_base"
        assert [f["path"] for f in doc["files"]] == [a, b]
        assert doc["files"][0] == {"path": a, "tokens": 6, "bytes": 18}
        assert doc["files"][1]["bytes"] == len("héllo wörld".encode())
        t = doc["total"]
        assert set(t) == {"files", "errors", "tokens", "bytes", "seconds", "mb_per_s", "tokens_per_s"}, t
        assert t["files"] == 2 and t["errors"] == 0
        assert t["tokens"] == sum(f["tokens"] for f in doc["files"])
        assert t["bytes"] == sum(f["bytes"] for f in doc["files"])
        assert t["seconds"] > 0 and t["mb_per_s"] > 0 and t["tokens_per_s"] > 0


def test_special_text_counts_as_text_unless_allowed():
    # Plain-text semantics by default: <|endoftext|> is several ordinary tokens, no error.
    plain = count_of("-e", "cl100k_base", input=SPECIAL_TEXT)
    special = count_of("-e", "cl100k_base", "--allow-special", input=SPECIAL_TEXT)
    assert special == 3, special
    assert plain > special, (plain, special)


def test_invalid_utf8_fails_with_offset_lossy_counts():
    with tempdir() as d:
        bad = write(os.path.join(d, "bad.txt"), b"abc\xffdef")
        p = run("count", bad, rc=1)
        err = p.stderr.decode()
        assert "tokcount: error:" in err and "bad.txt" in err and "byte offset 3" in err, err
        assert count_of("--lossy", bad) == count_of(input="abc\ufffddef")


def test_failed_file_does_not_hide_others():
    with tempdir() as d:
        good = write(os.path.join(d, "good.txt"), GREAT)
        missing = os.path.join(d, "missing.txt")
        p = run("count", "--json", "-e", "cl100k_base", good, missing, rc=1)
        doc = json.loads(p.stdout)
        assert doc["files"][0]["tokens"] == 6
        assert doc["files"][1]["error"]["code"] == "IO_ERROR", doc
        assert doc["total"]["errors"] == 1 and doc["total"]["tokens"] == 6
        assert "missing.txt" in p.stderr.decode()


def test_model_selects_encoding():
    doc = json.loads(run("count", "--json", "-m", "gpt-4", input=GREAT).stdout)
    assert doc["encoding"] == "cl100k_base" and doc["total"]["tokens"] == 6
    doc = json.loads(run("count", "--json", "-m", "gpt-4o", input=GREAT).stdout)
    assert doc["encoding"] == "o200k_base"


def test_no_progress_bar_without_terminal():
    with tempdir() as d:
        for i in range(300):
            write(os.path.join(d, "f%03d.txt" % i), "some text ")
        p = run("count", d)
        assert p.stderr == b"", p.stderr[:200]  # stderr is a pipe here, not a terminal


if __name__ == "__main__":
    main(globals())
