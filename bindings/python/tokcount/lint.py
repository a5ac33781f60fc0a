"""Find what breaks prompt caching in prompt files, templates, request bodies and request logs
(rules PC001-PC030).

    import tokcount
    result = tokcount.lint(open("system.md").read(), model="gpt-4o")
    for f in result:
        print(f.rule, f.line, f.column, f.tokens_at_risk, f.message)
    tokcount.lint(open("request.json").read(), input="request")   # f.json_path: "$.messages[0].content"
    tokcount.lint(open("requests.jsonl").read(), input="log")     # f.record: the log line
    fixed = tokcount.lint_fix(text)          # whitespace, line endings, BOM, NFC, invisibles

The rules, their severities and the config file format are those of ``tokcount lint`` (the
C++ linter does the work; this module only shapes its results).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterator, Optional, Sequence, Union, overload

from tokcount import _tokcount

__all__ = ["Finding", "LintResult", "Rule", "fix", "lint", "rules"]

PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class Finding:
    rule: str            # "PC011"
    name: str            # "TRAILING_WHITESPACE"
    severity: str        # "info" | "warn" | "error" (after configuration)
    line: int            # 1-based
    column: int          # 1-based, in code points
    end_line: int
    end_column: int
    byte: int            # 0-based offset into the UTF-8 text
    length: int          # bytes covered
    segment: str
    json_path: Optional[str]  # requests and logs: "$.system[0].text", "$.request.tools[1]"
    record: Optional[int]     # logs: 1-based line of the request in the log
    message: str
    excerpt: str         # the line around it, invisible characters shown as <NAME>
    tokens_at_risk: int  # tokens from here to the end of the cacheable region
    fixable: bool
    why: str
    fix: str
    source: str


@dataclass(frozen=True)
class Rule:
    rule: str
    name: str
    severity: str
    enabled_by_default: bool
    fixable: bool
    implemented_for_text: bool
    implemented_for_requests: bool
    implemented_for_logs: bool
    detects: str
    why: str
    fix: str
    source: str


class LintResult(Sequence[Finding]):
    """The findings of one input, largest tokens_at_risk first, plus its reports."""

    def __init__(self, raw: dict) -> None:
        self.findings: list[Finding] = [Finding(**f) for f in raw["findings"]]
        self.cacheable_tokens: int = raw["cacheable_tokens"]
        self.encoding: str = raw["encoding"]
        self.tokens_estimated: bool = raw["tokens_estimated"]
        self.kind: str = raw["kind"]          # "text" | "request" | "log"
        self.requests: int = raw["requests"]  # requests linted (request: 1, log: its records)
        self.fail_on: str = raw["fail_on"]
        self._json: str = raw["json"]
        self._sarif: str = raw["sarif"]
        self._text: str = raw["text"]

    @overload
    def __getitem__(self, i: int) -> Finding: ...
    @overload
    def __getitem__(self, i: slice) -> list[Finding]: ...
    def __getitem__(self, i):  # type: ignore[override]
        return self.findings[i]

    def __len__(self) -> int:
        return len(self.findings)

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings)

    def __repr__(self) -> str:
        return f"LintResult({len(self.findings)} findings, cacheable_tokens={self.cacheable_tokens})"

    @property
    def failed(self) -> bool:
        """True when a finding is at or above the configured fail_on severity (CLI exit 1)."""
        order = {"info": 0, "warn": 1, "error": 2}
        return any(order[f.severity] >= order[self.fail_on] for f in self.findings)

    def to_json(self) -> str:
        """The report `tokcount lint --format json` prints."""
        return self._json

    def to_sarif(self) -> str:
        """SARIF 2.1.0, as `tokcount lint --format sarif` prints."""
        return self._sarif

    def to_text(self) -> str:
        """The human report (no colour)."""
        return self._text


def _config_args(config: Optional[PathLike], config_toml: Optional[str]) -> tuple[str, str]:
    if config is not None and config_toml is not None:
        raise ValueError("pass either config (a file) or config_toml (its text), not both")
    return (config_toml or "", os.fspath(config) if config is not None else "")


def lint(
    text: str,
    *,
    path: Optional[PathLike] = None,
    model: Optional[str] = None,
    encoding: Optional[str] = None,
    config: Optional[PathLike] = None,
    config_toml: Optional[str] = None,
    input: str = "text",
) -> LintResult:
    """Lints a prompt file's or template's text, a request body or a JSONL request log.

    input is "text" (default), "request" (an OpenAI Chat Completions or Anthropic Messages
    body), "log" (one {"ts": ..., "request": {...}} per line) or "auto" (detected from the
    content). Malformed JSON raises ValueError.

    path names the text in reports and selects [[overrides]] of the config; model (default:
    the config's, else "gpt-4o") picks the encoding tokens_at_risk is counted with and the
    cache minimum; config is a .tokcount-lint.toml file, config_toml its text. Invalid TOML or
    unknown rules raise ValueError; an unreadable config file raises OSError.
    """
    toml, config_path = _config_args(config, config_toml)
    raw = _tokcount._lint_text(text, os.fspath(path) if path is not None else "", model or "", encoding or "",
                               toml, config_path, input)
    return LintResult(raw)


def fix(
    text: str,
    *,
    path: Optional[PathLike] = None,
    config: Optional[PathLike] = None,
    config_toml: Optional[str] = None,
) -> str:
    """The text with the mechanical findings repaired (PC011 PC012 PC014 PC015 PC016 PC017)
    and nothing else changed; fix(fix(t)) == fix(t)."""
    toml, config_path = _config_args(config, config_toml)
    return _tokcount._lint_fix(text, os.fspath(path) if path is not None else "", toml, config_path)


def rules() -> list[Rule]:
    """The 30 rules with their default severity and what this build implements."""
    return [Rule(**r) for r in _tokcount._lint_rules]
