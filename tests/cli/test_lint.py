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
    lines = {l.split()[0]: l for l in out.splitlines() if l.startswith("PC0")}
    assert lines["PC006"].rstrip().endswith(" log"), lines["PC006"]
    assert lines["PC022"].rstrip().endswith(" request,log"), lines["PC022"]  # logs: every request
    assert lines["PC001"].rstrip().endswith("text,request,log"), lines["PC001"]
    assert "planned" not in out


# ---- request bodies and logs ------------------------------------------------------------------

REQUESTS = os.path.join(FIXTURES, "requests")


def test_clean_request_and_log_fixtures_exit_0():
    for name in ("clean_openai.json", "clean_anthropic.json", "clean_conversation.jsonl"):
        p = run("lint", "--no-config", "--format", "json", os.path.join(REQUESTS, name), rc=0)
        doc = json.loads(p.stdout)
        assert doc["findings"] == [], (name, doc["findings"])
        kind = doc["files"][0]["kind"]
        assert kind == ("log" if name.endswith(".jsonl") else "request"), (name, kind)


def test_request_findings_carry_json_paths():
    p = run("lint", "--no-config", "--format", "json", os.path.join(REQUESTS, "defects_openai.json"), rc=1)
    fs = findings(p)
    by_rule = {}
    for f in fs:
        by_rule.setdefault(f["rule"], []).append(f)
    for rule in ("PC001", "PC011", "PC016", "PC007", "PC027", "PC028"):
        assert rule in by_rule, (rule, sorted(by_rule))
    ts = by_rule["PC001"][0]
    assert ts["json_path"] == "$.messages[0].content" and (ts["line"], ts["column"]) == (2, 15), ts
    assert ts["fixable"] is False and ts["record"] is None
    assert by_rule["PC016"][0]["json_path"] == "$.tools[0].function.description"
    assert by_rule["PC007"][0]["json_path"] == "$.tools[1].function.parameters.properties.reason"
    text = run("lint", "--no-config", os.path.join(REQUESTS, "defects_openai.json"), rc=1).stdout.decode()
    assert "defects_openai.json:$.messages[0].content:2:15: error PC001" in text, text


def test_anthropic_breakpoint_findings():
    fs = findings(run("lint", "--no-config", "--format", "json", os.path.join(REQUESTS, "defects_anthropic.json"), rc=1))
    rules = sorted({f["rule"] for f in fs})
    assert {"PC003", "PC020", "PC022"} <= set(rules), rules
    assert all(f["tokens_estimated"] if "tokens_estimated" in f else True for f in fs)
    pc022 = [f["message"] for f in fs if f["rule"] == "PC022"]
    assert any("6 cache breakpoints" in m for m in pc022) and any("1h breakpoint after a 5m" in m for m in pc022), pc022


def test_log_findings_carry_record_and_sarif():
    with tempdir() as d:
        with open(os.path.join(REQUESTS, "clean_conversation.jsonl")) as f:
            lines = [json.loads(l) for l in f if l.strip()]
        lines[2]["ts"] = lines[1]["ts"] + 30 * 60  # a 30-minute gap before the third request
        lines[2]["first_token_ts"] = lines[2]["ts"] + 1
        for l in lines[3:]:
            l["ts"] += 30 * 60
            l["first_token_ts"] += 30 * 60
        log = write(os.path.join(d, "traffic.jsonl"), "".join(json.dumps(l) + "\n" for l in lines))
        fs = findings(run("lint", "--no-config", "--format", "json", "--fail-on", "error", log, rc=0))
        gap = [f for f in fs if f["rule"] == "PC029"]
        assert len(gap) == 1 and gap[0]["record"] == 3 and gap[0]["json_path"] == "$.ts", fs
        text = run("lint", "--no-config", log, rc=0).stdout.decode()  # PC029 is info: below --fail-on warn
        assert "traffic.jsonl:3:$.ts: info PC029" in text, text
        sarif = json.loads(run("lint", "--no-config", "--format", "sarif", log, rc=0).stdout)
        res = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "PC029"][0]
        loc = res["locations"][0]
        assert loc["physicalLocation"]["region"]["startLine"] == 3, loc
        assert loc["logicalLocations"][0]["fullyQualifiedName"] == "$.ts", loc


def test_input_option_and_stdin_detection():
    with open(os.path.join(REQUESTS, "defects_openai.json"), "rb") as f:
        body = f.read()
    with tempdir() as d:
        odd = write(os.path.join(d, "request.body"), body)
        # By extension a .body file is text; --input request reads it as a request.
        fs = findings(run("lint", "--no-config", "--format", "json", "--input", "request", odd, rc=1))
        assert any(f["json_path"] == "$.messages[0].content" for f in fs), fs
    fs = findings(run("lint", "--no-config", "--format", "json", "-", input=body, rc=1))
    assert any(f["rule"] == "PC027" for f in fs), fs  # stdin: detected as a request


def test_request_input_errors_exit_2():
    with tempdir() as d:
        bad = write(os.path.join(d, "bad.json"), '{"messages": [')
        p = run("lint", "--no-config", bad, rc=2)
        assert b"bad.json" in p.stdout + p.stderr
        badlog = write(os.path.join(d, "bad.jsonl"), '{"ts": 1, "request": {"messages": []}}\nnot json\n')
        p = run("lint", "--no-config", badlog, rc=2)
        assert b"line 2" in p.stdout + p.stderr, p.stdout + p.stderr


def test_fix_leaves_json_inputs_alone():
    with open(os.path.join(REQUESTS, "defects_openai.json"), "rb") as f:
        body = f.read()
    with tempdir() as d:
        path = write(os.path.join(d, "r.json"), body)
        run("lint", "--no-config", "--fix", path, rc=1)
        with open(path, "rb") as f:
            assert f.read() == body


if __name__ == "__main__":
    main(globals())
