"""tokcount lint: exit codes, reports (text, JSON, SARIF shape), --fix (atomic, mode kept,
idempotent, nothing else changed), --diff, config files, directories, input errors."""

import json
import os
import stat

from cli_helpers import BIN, main, run, tempdir, write  # noqa: F401

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(REPO, "tests", "fixtures", "lint")

DIRTY = "\ufeffYou are a helpful assistant.  \r\nCurrent time: 2026-07-06T14:32:07Z\r\nUse the\u00a0tool\u200b now.\r\n\r\n"
DIRTY_FIXED = "You are a helpful assistant.\nCurrent time: 2026-07-06T14:32:07Z\nUse the tool now.\n"


def findings(p):
    return json.loads(p.stdout)["findings"]


def test_clean_fixture_exits_0():
    for name in sorted(os.listdir(FIXTURES)):
        if name.startswith("clean_"):
            p = run("lint", os.path.join(FIXTURES, name), rc=0)
            assert b"No cache-breaking findings" in p.stdout, p.stdout


def test_findings_exit_1_and_json_fields():
    with tempdir() as d:
        f = write(os.path.join(d, "p.md"), DIRTY)
        p = run("lint", "--format", "json", "--no-config", f, rc=1)
        fs = findings(p)
        by_rule = {x["rule"]: x for x in fs}
        for rule in ("PC001", "PC011", "PC012", "PC015", "PC016", "PC017", "PC019"):
            assert rule in by_rule, (rule, sorted(by_rule))
        ts = by_rule["PC001"]
        assert (ts["line"], ts["column"], ts["severity"]) == (2, 15, "error"), ts
        for key in ("rule", "name", "severity", "line", "column", "byte", "excerpt", "tokens_at_risk", "why", "fix"):
            assert key in ts, key
        assert ts["tokens_at_risk"] > 0 and isinstance(ts["tokens_at_risk"], int)
        assert by_rule["PC015"]["excerpt"].find("<ZWSP>") >= 0, by_rule["PC015"]
        # Sorted by tokens at risk, largest first.
        risks = [x["tokens_at_risk"] for x in fs]
        assert risks == sorted(risks, reverse=True), risks


def test_fail_on_and_disable():
    with tempdir() as d:
        f = write(os.path.join(d, "p.md"), "Hello  \n")
        run("lint", "--no-config", f, rc=1)                       # PC011 warn >= warn
        run("lint", "--no-config", "--fail-on", "error", f, rc=0)  # nothing at error
        p = run("lint", "--no-config", "--disable", "PC011,BELOW_MINIMUM", "--format", "json", f, rc=0)
        assert findings(p) == []
        run("lint", "--no-config", "--disable", "PC999", f, rc=2)


def test_fix_rewrites_atomically_keeps_mode_and_is_idempotent():
    with tempdir() as d:
        f = write(os.path.join(d, "p.md"), DIRTY)
        os.chmod(f, 0o640)
        link = os.path.join(d, "link.md")
        os.symlink("p.md", link)
        p = run("lint", "--no-config", "--fix", "--format", "json", link, rc=1)  # PC001 and PC019 remain
        assert open(f, "rb").read().decode() == DIRTY_FIXED
        assert os.path.islink(link), "the symlink must stay a symlink"
        assert stat.S_IMODE(os.stat(f).st_mode) == 0o640
        left = {x["rule"] for x in findings(p)}
        assert left == {"PC001", "PC019"}, left
        assert not [n for n in os.listdir(d) if "tokcount-" in n], os.listdir(d)
        # Second run: nothing to fix, file untouched.
        before = os.stat(f).st_mtime_ns
        run("lint", "--no-config", "--fix", "--fail-on", "error", "--disable", "PC001", f, rc=0)
        assert os.stat(f).st_mtime_ns == before
        assert open(f, "rb").read().decode() == DIRTY_FIXED


def test_fix_stdin_prints_fixed_text():
    p = run("lint", "--no-config", "--fix", "--disable", "PC019", "-", input=DIRTY, rc=1)
    assert p.stdout.decode() == DIRTY_FIXED
    assert b"PC001" in p.stderr


def test_diff_shows_changes_and_writes_nothing():
    with tempdir() as d:
        f = write(os.path.join(d, "p.md"), "keep\nline two  \nend")
        p = run("lint", "--no-config", "--diff", f, rc=1)
        out = p.stdout.decode()
        assert "--- a/" in out and "+++ b/" in out, out
        assert "-line two  \n+line two\n" in out, out
        assert "@@ -1,3 +1,3 @@" in out, out
        assert "\\ No newline at end of file" in out, out
        assert open(f).read() == "keep\nline two  \nend"
        clean = write(os.path.join(d, "c.md"), "fine\n")
        p = run("lint", "--no-config", "--diff", clean, rc=0)
        assert p.stdout == b""


def test_config_file_discovered_and_overrides():
    with tempdir() as d:
        write(os.path.join(d, ".tokcount-lint.toml"),
              'fail_on = "error"\n[rules]\nPC011 = "error"\n[[overrides]]\npaths = ["frag/*"]\nrules = { PC011 = "off" }\n')
        main_md = write(os.path.join(d, "main.md"), "x  \n")
        frag = write(os.path.join(d, "frag", "a.md"), "y  \n")
        p = run("lint", "--format", "json", "--config", os.path.join(d, ".tokcount-lint.toml"), main_md, frag, rc=1)
        rules = [(os.path.basename(x["path"]), x["rule"], x["severity"]) for x in findings(p) if x["rule"] == "PC011"]
        assert rules == [("main.md", "PC011", "error")], rules
        # Discovery from the working directory.
        import subprocess
        q = subprocess.run([os.path.abspath(BIN), "lint", "--format", "json", "main.md"], cwd=d, capture_output=True)
        found = {x["rule"]: x["severity"] for x in json.loads(q.stdout)["findings"]}
        assert q.returncode == 1 and found.get("PC011") == "error", q
        bad = write(os.path.join(d, "bad.toml"), "[rules]\nPC099 = 'on'\n")
        p = run("lint", "--config", bad, main_md, rc=2)
        assert b"bad.toml:2:1: unknown rule 'PC099'" in p.stderr, p.stderr


def test_directories_walk_prompt_files_only():
    with tempdir() as d:
        write(os.path.join(d, "a.md"), "a  \n")
        write(os.path.join(d, "sub", "b.txt"), "b  \n")
        write(os.path.join(d, "sub", "image.png"), b"\x89PNG\r\n\x1a\n\xff\xfe")
        write(os.path.join(d, ".git", "c.md"), "c  \n")
        p = run("lint", "--no-config", "--format", "json", d, rc=1)
        paths = sorted({os.path.relpath(x["path"], d) for x in findings(p)})
        assert paths == ["a.md", os.path.join("sub", "b.txt")], paths


def test_input_errors_exit_2_and_others_still_linted():
    with tempdir() as d:
        good = write(os.path.join(d, "good.md"), "ok  \n")
        bad = write(os.path.join(d, "bad.md"), b"ok\xff\n")
        p = run("lint", "--no-config", "--format", "json", good, bad, os.path.join(d, "missing.md"), rc=2)
        doc = json.loads(p.stdout)
        errors = [f for f in doc["files"] if "error" in f]
        assert len(errors) == 2, doc["files"]
        assert "invalid UTF-8 at byte 2" in errors[0]["error"], errors
        assert any(x["rule"] == "PC011" for x in doc["findings"])
        run("lint", "--format", "yaml", good, rc=2)
        run("lint", "--fix", "--diff", good, rc=2)


def test_sarif_shape():
    with tempdir() as d:
        f = write(os.path.join(d, "p.md"), DIRTY)
        p = run("lint", "--no-config", "--format", "sarif", f, rc=1)
        doc = json.loads(p.stdout)
        assert doc["version"] == "2.1.0"
        run0 = doc["runs"][0]
        assert run0["columnKind"] == "unicodeCodePoints"
        assert len(run0["tool"]["driver"]["rules"]) == 30
        levels = {r["ruleId"]: r["level"] for r in run0["results"]}
        assert levels["PC001"] == "error" and levels["PC011"] == "warning" and levels["PC016"] == "note", levels
        fixable = [r for r in run0["results"] if "fixes" in r]
        assert fixable and all(r["fixes"][0]["artifactChanges"][0]["replacements"] for r in fixable)


def test_color_and_list_rules():
    with tempdir() as d:
        f = write(os.path.join(d, "p.md"), "x  \n")
        assert b"\x1b[" in run("lint", "--no-config", "--color", "always", f, rc=1).stdout
        assert b"\x1b[" not in run("lint", "--no-config", f, rc=1).stdout  # not a terminal
    out = run("lint", "--list-rules", rc=0).stdout.decode()
    assert out.count("\nPC0") + out.startswith("PC0") == 30, out
    assert "PC006  TOOL_ORDER_UNSTABLE" in out and "planned" in out


if __name__ == "__main__":
    main(globals())
