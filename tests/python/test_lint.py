"""tokcount.lint(): findings, fixes, config, and SARIF output validated against the official
SARIF 2.1.0 JSON schema (vendored in tests/fixtures/lint, see its README)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import tokcount
from tokcount.lint import Finding, LintResult, rules

from pkg_support import REPO

FIXTURES = REPO / "tests" / "fixtures" / "lint"
DIRTY = "\ufeffYou are a helpful assistant.  \r\nCurrent time: 2026-07-06T14:32:07Z\r\nUse the\u00a0tool\u200b now.\r\n\r\n"


def _validator():
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema validates SARIF output (tools/test.sh installs it)")
    schema = json.loads((FIXTURES / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


def _assert_valid_sarif(text: str) -> dict:
    doc = json.loads(text)
    errors = sorted(_validator().iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])
    return doc


def test_lint_finds_defects_with_positions():
    result = tokcount.lint(DIRTY, model="gpt-4o")
    assert isinstance(result, LintResult)
    by_rule = {f.rule: f for f in result}
    assert {"PC001", "PC011", "PC012", "PC015", "PC016", "PC017", "PC019"} <= set(by_rule)
    ts = by_rule["PC001"]
    assert isinstance(ts, Finding)
    assert (ts.line, ts.column, ts.severity, ts.name) == (2, 15, "error", "TIMESTAMP_IN_PREFIX")
    assert 0 < ts.tokens_at_risk < result.cacheable_tokens
    assert result.cacheable_tokens == tokcount.get_encoding("o200k_base").encode_ordinary(DIRTY).__len__()
    assert "<ZWSP>" in by_rule["PC015"].excerpt
    assert result.failed
    assert [f.tokens_at_risk for f in result] == sorted((f.tokens_at_risk for f in result), reverse=True)


def test_lint_fix_repairs_only_mechanical_findings():
    fixed = tokcount.lint_fix(DIRTY)
    assert fixed == "You are a helpful assistant.\nCurrent time: 2026-07-06T14:32:07Z\nUse the tool now.\n"
    assert tokcount.lint_fix(fixed) == fixed
    left = {f.rule for f in tokcount.lint(fixed)}
    assert left == {"PC001", "PC019"}


def test_clean_fixtures_are_clean():
    names = sorted(p for p in FIXTURES.glob("clean_*.md"))
    assert len(names) >= 4
    for p in names:
        result = tokcount.lint(p.read_text(encoding="utf-8"), path=p)
        assert len(result) == 0, [(f.rule, f.line, f.message) for f in result]


def test_config_text_file_and_errors(tmp_path):
    r = tokcount.lint("x  \n", config_toml='min_cacheable_tokens = 0\n[rules]\nPC011 = "error"\n')
    assert [(f.rule, f.severity) for f in r] == [("PC011", "error")]
    cfg = tmp_path / ".tokcount-lint.toml"
    cfg.write_text('[rules]\nPC011 = "off"\nPC019 = "off"\n[[overrides]]\npaths = ["frag/*"]\nrules = { PC011 = "info" }\n')
    assert len(tokcount.lint("x  \n", config=cfg)) == 0
    frag = tokcount.lint("x  \n", config=cfg, path=tmp_path / "frag" / "a.md")
    assert [(f.rule, f.severity) for f in frag] == [("PC011", "info")]
    with pytest.raises(ValueError, match="unknown rule 'PC099'"):
        tokcount.lint("x", config_toml="[rules]\nPC099 = 'on'\n")
    with pytest.raises(OSError):
        tokcount.lint("x", config=tmp_path / "missing.toml")
    with pytest.raises(ValueError):
        tokcount.lint("x", config=cfg, config_toml="")


def test_rules_catalog():
    rs = rules()
    assert [r.rule for r in rs] == [f"PC{i:03d}" for i in range(1, 31)]
    assert {r.rule for r in rs if r.fixable} == {"PC011", "PC012", "PC014", "PC015", "PC016", "PC017"}
    assert not next(r for r in rs if r.rule == "PC018").enabled_by_default


def test_sarif_from_python_is_schema_valid():
    doc = _assert_valid_sarif(tokcount.lint(DIRTY, path="prompts/system.md").to_sarif())
    results = doc["runs"][0]["results"]
    assert {r["ruleId"] for r in results} >= {"PC001", "PC017"}
    first = next(r for r in results if r["ruleId"] == "PC001")
    region = first["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (2, 15)
    assert first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "prompts/system.md"
    # A clean input is valid SARIF too (empty results).
    clean = (FIXTURES / "clean_tables.md").read_text(encoding="utf-8")
    assert _assert_valid_sarif(tokcount.lint(clean).to_sarif())["runs"][0]["results"] == []
    assert json.loads(tokcount.lint(DIRTY).to_json())["findings"][0]["tokens_at_risk"] > 0


def _cli() -> str:
    env = os.environ.get("TOKCOUNT_BIN")
    if env and os.access(env, os.X_OK):
        return env
    candidate = Path(sys.executable).parent / "tokcount"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("tokcount")
    if found is None:
        pytest.skip("the tokcount CLI is not installed here")
    return found


def test_sarif_from_cli_with_fixes_and_input_errors_is_schema_valid(tmp_path):
    dirty = tmp_path / "dirty.md"
    dirty.write_bytes(DIRTY.encode("utf-8"))
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"ok\xff\n")
    clean = FIXTURES / "clean_cjk_assistant.md"
    p = subprocess.run([_cli(), "lint", "--no-config", "--format", "sarif", str(dirty), str(bad), str(clean)],
                       capture_output=True, timeout=120)
    assert p.returncode == 2, p.stderr  # an input error
    doc = _assert_valid_sarif(p.stdout.decode("utf-8"))
    run = doc["runs"][0]
    assert run["invocations"][0]["executionSuccessful"] is False
    assert "invalid UTF-8" in run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
    assert any("fixes" in r for r in run["results"])


def test_lint_request_and_log_inputs():
    requests = FIXTURES / "requests"
    body = (requests / "defects_openai.json").read_text(encoding="utf-8")
    r = tokcount.lint(body, input="request")
    assert r.kind == "request" and r.requests == 1
    ts = next(f for f in r if f.rule == "PC001")
    assert (ts.json_path, ts.line, ts.column, ts.record, ts.fixable) == ("$.messages[0].content", 2, 15, None, False)
    assert tokcount.lint(body, input="auto").kind == "request"
    log = tokcount.lint((requests / "clean_conversation.jsonl").read_text(encoding="utf-8"), input="log")
    assert log.kind == "log" and log.requests == 5 and len(log) == 0
    # SARIF for a request is schema-valid and names the JSON path as a logical location.
    doc = _assert_valid_sarif(r.to_sarif())
    logical = [loc["logicalLocations"][0]["fullyQualifiedName"] for res in doc["runs"][0]["results"]
               for loc in res["locations"] if "logicalLocations" in loc]
    assert "$.messages[0].content" in logical
    with pytest.raises(ValueError):
        tokcount.lint('{"messages": [', input="request")
    with pytest.raises(ValueError):
        tokcount.lint("x", input="yaml")
    rs = {x.rule: x for x in rules()}
    assert rs["PC006"].implemented_for_logs and not rs["PC006"].implemented_for_requests
    assert rs["PC022"].implemented_for_requests
