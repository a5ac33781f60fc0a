// The rule catalog: PC001-PC030 with the IDs, names and default severities of the
// prompt-cache spec (section 7), what each detects, why it costs cache hits, and the fix.
// `implemented_scopes` says honestly which inputs this build can judge: text files, request
// bodies (lint/request*.cpp) and JSONL logs (lint/log*.cpp). PC024 in logs (sections swapped
// between renders) is not detected; PC006 in one request (order from a map) is not knowable.
#include <algorithm>
#include <array>
#include <cctype>

#include "tokcount/lint.hpp"

namespace tokcount::lint {
namespace {

constexpr unsigned T = kScopeText, R = kScopeRequest, L = kScopeLog;
constexpr Severity E = Severity::kError, W = Severity::kWarn, I = Severity::kInfo;

// Sources (the spec's section 10 keys in brackets).
constexpr std::string_view kOpenAiGuide = "https://developers.openai.com/api/docs/guides/prompt-caching";
constexpr std::string_view kOpenAiCookbook =
    "https://github.com/openai/openai-cookbook/blob/main/examples/Prompt_Caching_201.ipynb";
constexpr std::string_view kAnthropicGuide = "https://platform.claude.com/docs/en/build-with-claude/prompt-caching";
constexpr std::string_view kOpenclawStabilize = "https://github.com/openclaw/openclaw/pull/60731";
constexpr std::string_view kAgentbeck = "https://agentbeck.bot/report/93521";

constexpr std::array<RuleInfo, 30> kRules = {{
    {"PC001", "TIMESTAMP_IN_PREFIX", E, T | R, T | R, true, false,
     "ISO 8601 date-times, clock times (HH:MM:SS, or HH:MM with AM/PM, a time zone or a time "
     "label), epoch seconds/milliseconds, 'current time: ...' labels, now()/Date.now()/"
     "datetime.now calls and {{time}}-like placeholders",
     "The value differs on every call, so every token after it is recomputed on every request "
     "(and on Anthropic re-written at 1.25x).",
     "Move it after the stable prefix: into the last user message, after the last cache "
     "breakpoint, or into request metadata.",
     kOpenAiCookbook},
    {"PC002", "DATE_IN_PREFIX", W, T | R, T | R, true, false,
     "calendar dates (2026-07-06, 07/06/2026, July 6, 2026, 2026年7月6日), 'Today is ...' labels, "
     "weekday names next to a date, {{date}}-like placeholders",
     "The prefix changes once a day for every user, and the whole prefix behind it is lost "
     "each time.",
     "Move the date after the stable prefix or after the last breakpoint; if it must stay, keep "
     "day granularity.",
     "https://github.com/can1357/oh-my-pi/issues/7324"},
    {"PC003", "ID_IN_PREFIX", E, T | R, T | R, true, false,
     "UUIDs, session_/req_/trace_/run_ ids, provider ids (chatcmpl-, msg_, toolu_ ...), JWTs, "
     "nonces, long hex runs and high-entropy base64 runs, {{session_id}}-like placeholders",
     "An id is unique per call or per session, so no two requests share the prefix behind it.",
     "Move ids to request metadata or the tail of the prompt.",
     kAnthropicGuide},
    {"PC004", "USER_DATA_EARLY", W, T | R, T | R, true, false,
     "user-specific fields (user name/id/email, customer, tenant, account, locale, time zone, "
     "plan, working directory), home-directory paths, {{user}}-like placeholders",
     "The prefix differs per user, so users cannot share one cache entry.",
     "Put the static instructions first and the user-specific data at the end.",
     kOpenAiGuide},
    {"PC005", "VOLATILE_COUNTERS", W, T | R, T | R, true, false,
     "counters and metrics (remaining: 12, 3 unread), git SHAs, branch names, 'currently "
     "working on', checked todo items, {{todos}}/{{memory}}-like placeholders",
     "These change between turns, so the prefix behind them changes between turns.",
     "Move them to a trailing reminder message after the stable prefix.",
     "https://github.com/jin-bo/agentao/pull/288"},
    {"PC006", "TOOL_ORDER_UNSTABLE", E, R | L, L, true, false,
     "the same tool set sent in a different order (map/set iteration, MCP list_tools, reconnect "
     "order)",
     "Tools are the first level of the prefix: any reorder invalidates everything after them.",
     "Sort tools by name (or keep a fixed registration order) after every change.",
     "https://github.com/openai/codex/pull/2611"},
    {"PC007", "JSON_KEY_ORDER", E, R | L, R | L, true, false,
     "tool parameters, response schemas or tool_use inputs whose key order varies (Go maps, "
     "Swift dictionaries, Python sets)",
     "Same content, different bytes: the prefix no longer matches.",
     "Serialize canonically: recursive key sort, fixed separators, deterministic numbers.",
     kAnthropicGuide},
    {"PC008", "TOOLSET_CHURN", E, L, L, true, false, "tools added or removed per request or per turn",
     "The tool list is level 1 of the prefix; changing it invalidates everything.",
     "Send the full list every time; restrict with OpenAI allowed_tools / tool_choice, or "
     "Anthropic defer_loading with tool search.",
     kOpenAiCookbook},
    {"PC009", "SCHEMA_CHURN", E, L, L, true, false,
     "a structured-output schema that differs between requests that should share a prefix",
     "The schema is part of the prefix before the system message.",
     "Version the schema and keep it byte-stable.", kOpenAiGuide},
    {"PC010", "PARAM_DRIFT", W, L, L, true, false,
     "tool_choice, thinking/effort, reasoning effort, speed, web search/citations, image detail, "
     "model or service tier changing within a conversation",
     "These invalidate the messages level of the cache (or more).",
     "Fix them per conversation, or put a breakpoint before the point where they vary.",
     kAnthropicGuide},
    {"PC011", "TRAILING_WHITESPACE", W, T | R, T | R, true, true,
     "spaces or tabs at line ends, whitespace-only lines, blank lines at the start or end of a "
     "segment",
     "One code path trims and another does not: an extra or missing space changes the bytes "
     "and the tokens.",
     "Normalize once at build time (tokcount lint --fix); never trim static text conditionally.",
     kOpenclawStabilize},
    {"PC012", "LINE_ENDINGS", W, T | R, T | R, true, true, "CRLF or lone CR line endings, or LF mixed with them",
     "A file edited on Windows gives different bytes from the same file checked out elsewhere.",
     "Convert to LF (tokcount lint --fix) and load prompt files in binary mode.",
     kOpenclawStabilize},
    {"PC013", "MIXED_INDENT", I, T | R, T | R, true, false,
     "spaces before a tab in an indent, or tab and space indentation mixed in one text (each "
     "Markdown code fence is judged on its own)",
     "Reformatting or regenerating the template changes the indentation bytes.",
     "Pick one indentation style and enforce it in CI.", "[INF]"},
    {"PC014", "UNICODE_NOT_NFC", W, T | R, T | R, true, true,
     "text not in Unicode Normalization Form C (e.g. NFD from macOS file names or copy-paste)",
     "Canonically equal strings with different code points tokenize differently.",
     "Normalize static prompt text to NFC at build time (not user content).", kAgentbeck},
    {"PC015", "INVISIBLE_CHARS", W, T | R, T | R, true, true,
     "zero-width space/joiner/non-joiner, word joiner, invisible operators, U+FEFF inside text, "
     "bidi controls, soft hyphen, tag characters, Hangul fillers (ZWJ/ZWNJ inside emoji "
     "sequences and joining scripts are legitimate and not reported)",
     "Invisible, so copies that look identical differ in bytes and tokens.",
     "Strip them from static prompts (tokcount lint --fix) and fail CI on them.", kAgentbeck},
    {"PC016", "EXOTIC_SPACES", I, T | R, T | R, true, true,
     "no-break, narrow no-break, figure, en/em and other Unicode spaces; ideographic space "
     "U+3000 outside CJK text",
     "They look like spaces but are different bytes and tokens; editors and locales introduce "
     "them silently.",
     "Map them to U+0020 in static text (tokcount lint --fix).", "[INF]"},
    {"PC017", "BOM", W, T | R, T | R, true, true, "U+FEFF at the start of a file or segment",
     "One load path keeps the byte-order mark and another strips it.",
     "Strip the BOM on read (tokcount lint --fix removes it from the file).", kAgentbeck},
    {"PC018", "NON_ASCII_EARLY", I, T | R, T | R, false, false,
     "two or more stray non-ASCII characters (em dash, curly quotes, accented letters) in the "
     "first 4,096 characters of mostly-ASCII text; off by default: one provider, one report",
     "One provider was measured to lose the cache with two such characters in the first 4,096 "
     "characters of the request.",
     "ASCII-fy tool descriptions and early system text where that is harmless.",
     "https://github.com/anwfr/muse-non-ascii-prompt-cache-repro"},
    {"PC019", "BELOW_MINIMUM", W, T | R, T | R, true, false,
     "a stable prefix shorter than the model's minimum cacheable length (OpenAI 1024 tokens; "
     "Anthropic 512-4096 and Gemini 1024-4096 per model)",
     "Below the minimum, caching silently does nothing.",
     "Lengthen the stable prefix (examples, reference text) or accept no caching; for a file "
     "that is only part of the prompt, disable PC019 for it in the config.",
     kOpenAiGuide},
    {"PC020", "BREAKPOINT_ON_VOLATILE", E, R | L, R | L, true, false,
     "an Anthropic cache_control breakpoint (or automatic caching) on a block with volatile "
     "content",
     "The entry is keyed on content that changes: a write every time, never a read.",
     "Put the breakpoint on the last stable block; use explicit instead of automatic caching.",
     kAnthropicGuide},
    {"PC021", "LOOKBACK_EXCEEDED", W, L, L, true, false,
     "more than 19 positions between a breakpoint and the previous request's written entry",
     "Anthropic's backward walk stops after 20 positions.",
     "Add an intermediate breakpoint (at most 4 in total) near the old write.", kAnthropicGuide},
    {"PC022", "BREAKPOINT_RULES", E, R, R, true, false,
     "more than 4 breakpoints, a 1 h entry after a 5 min entry, an automatic/explicit TTL clash",
     "The API answers 400, or billing is undefined.", "Fix the breakpoint count and order.",
     kAnthropicGuide},
    {"PC023", "HISTORY_MUTATION", W, L, L, true, false,
     "earlier turns edited or re-rendered, per-turn truncation, compaction, dropped reasoning "
     "items, re-sanitized tool parts",
     "Everything after the first edited byte is new to the cache.",
     "Append only; truncate in large steps; keep reasoning items (Responses API).",
     kOpenAiCookbook},
    {"PC024", "NONDETERMINISTIC_RENDER", E, T | L, T, true, false,
     "template sections rendered in a varying order: random/shuffle/sample filters, iteration "
     "over sets, dict views or directory listings without sorting",
     "The section order changes between calls, so the prefix does.",
     "Sort, or iterate a fixed-order list.", "https://github.com/nextlevelbuilder/goclaw/pull/718"},
    {"PC025", "TEMPLATE_VAR_IN_PREFIX", W, T | R, T | R, true, false,
     "unresolved placeholders ({{...}}, ${...}, {name}, %(name)s, <%= %>) in the static region "
     "(single-brace and ${} forms are not looked for inside code)",
     "Whatever fills it can vary, and everything after it varies with it.",
     "Move variables to the tail section, or render constants at build time.",
     "https://github.com/can1357/oh-my-pi/issues/7324"},
    {"PC026", "BOUNDARY_SPLICE", I, T | R, T | R, true, false,
     "a placeholder glued to the static text before it with no separator, where the tokenizer "
     "would merge the value into the last static token",
     "BPE merges across the join, so the last static tokens change with the value.",
     "End static sections with a newline or a fixed delimiter before dynamic text.", "[INF]"},
    {"PC027", "CACHE_KEY_GRANULARITY", W, R | L, R | L, true, false,
     "OpenAI: no prompt_cache_key on shared-prefix traffic, per-request keys, one key above "
     "~15 requests per minute",
     "Routing spreads or overflows the traffic across machines, each a cold cache.",
     "Use per-user, per-conversation or bucketed keys targeting <= 15 RPM each.", kOpenAiGuide},
    {"PC028", "REASONING_VIA_CHAT", I, R | L, R | L, true, false,
     "OpenAI reasoning models used through Chat Completions in multi-turn loops",
     "Reasoning tokens are dropped between turns.",
     "Use the Responses API with previous_response_id or encrypted reasoning items.",
     kOpenAiCookbook},
    {"PC029", "TTL_MISMATCH", I, L, L, true, false,
     "gaps between same-prefix requests longer than the cache lifetime",
     "Entries expire and every return pays a new write.",
     "1 h TTL (Anthropic), 24h retention (OpenAI), keep-warm requests, or batch closer together.",
     kAnthropicGuide},
    {"PC030", "CONCURRENT_FANOUT", I, L, L, true, false,
     "parallel requests with the same new prefix sent before any response started",
     "A cache entry exists only once the first response begins.",
     "Send one request first, then fan out.", kAnthropicGuide},
}};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) == std::toupper(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::span<const RuleInfo> rules() noexcept { return kRules; }

const RuleInfo* find_rule(std::string_view key) noexcept {
  for (const RuleInfo& r : kRules)
    if (iequals(r.id, key) || iequals(r.name, key)) return &r;
  return nullptr;
}

const char* severity_name(Severity s) noexcept {
  switch (s) {
    case Severity::kInfo: return "info";
    case Severity::kWarn: return "warn";
    case Severity::kError: return "error";
  }
  return "?";
}

std::optional<Severity> parse_severity(std::string_view s) noexcept {
  if (iequals(s, "info") || iequals(s, "note")) return Severity::kInfo;
  if (iequals(s, "warn") || iequals(s, "warning")) return Severity::kWarn;
  if (iequals(s, "error")) return Severity::kError;
  return std::nullopt;
}

}  // namespace tokcount::lint
