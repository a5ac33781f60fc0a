/* tokcount C API: tiktoken-exact BPE tokenization and token counting.
 *
 * A stable C ABI over the C++ library (tokcount.hpp) for proxies, gateways and FFI bindings.
 * The header compiles as C99 and as C++.
 *
 * Conventions
 *  - Every function that can fail returns a tokcount_status; TOKCOUNT_OK (0) is success.
 *    No exception ever leaves the library.
 *  - Every text is a (const char* data, size_t len) pair: not NUL-terminated, may contain
 *    NUL bytes. data may be NULL only when len is 0 (an empty text).
 *  - No text may be longer than TOKCOUNT_MAX_INPUT_BYTES; longer input gets
 *    TOKCOUNT_INPUT_TOO_LARGE before any byte is read.
 *  - NULL handles, NULL output pointers and NULL data with a nonzero length are
 *    TOKCOUNT_INVALID_ARGUMENT. Outputs are left untouched on failure unless stated.
 *  - Variable-size results go to caller-provided buffers: pass (out, capacity) and a size
 *    pointer. The size pointer always receives the full size of the result; when it exceeds
 *    capacity the call returns TOKCOUNT_BUFFER_TOO_SMALL and writes nothing to out.
 *    out = NULL with capacity = 0 is therefore a size query.
 *  - After every call the calling thread's last error (message and byte offset) describes
 *    that call's outcome: empty message and TOKCOUNT_NO_OFFSET after success.
 *  - Handles are immutable and may be used from any number of threads at once.
 */
#ifndef TOKCOUNT_H
#define TOKCOUNT_H

#include <stddef.h>
#include <stdint.h>

/* Library version; tokcount_version() returns the version of the library actually loaded. */
#define TOKCOUNT_VERSION_MAJOR 0
#define TOKCOUNT_VERSION_MINOR 1
#define TOKCOUNT_VERSION_PATCH 0

/* Incremented on every incompatible change of this header's types or functions. It is the
 * shared library's SONAME version (libtokcount.so.<ABI>). Compare with tokcount_abi_version()
 * at run time to detect a mismatched library. */
#define TOKCOUNT_ABI_VERSION 1

#if defined(_WIN32) || defined(__CYGWIN__)
#  if defined(TOKCOUNT_STATIC)
#    define TOKCOUNT_API
#  elif defined(TOKCOUNT_BUILDING_LIBRARY)
#    define TOKCOUNT_API __declspec(dllexport)
#  else
#    define TOKCOUNT_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__)
#  define TOKCOUNT_API __attribute__((visibility("default")))
#else
#  define TOKCOUNT_API
#endif

/* Largest accepted text, in bytes (4 GiB - 1: the tokenizer keeps 32-bit offsets). */
#define TOKCOUNT_MAX_INPUT_BYTES ((size_t)0xFFFFFFFFu)

/* tokcount_last_error_offset() when the error has no position in an input. */
#define TOKCOUNT_NO_OFFSET ((size_t)-1)

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tokcount_status {
  TOKCOUNT_OK = 0,
  TOKCOUNT_INVALID_ARGUMENT = 1,    /* NULL handle/output, NULL data with len > 0, bad flags */
  TOKCOUNT_INVALID_UTF8 = 2,        /* strict mode; offset = first invalid byte */
  TOKCOUNT_DISALLOWED_SPECIAL = 3,  /* special-token text that is disallowed; offset = its start */
  TOKCOUNT_UNKNOWN_TOKEN = 4,       /* token id / byte string not in the vocabulary */
  TOKCOUNT_BUFFER_TOO_SMALL = 5,    /* the size output holds the needed size */
  TOKCOUNT_OUT_OF_MEMORY = 6,
  TOKCOUNT_PARSE_ERROR = 7,         /* malformed .tiktoken data */
  TOKCOUNT_UNSUPPORTED_PATTERN = 8, /* a pattern that cannot be matched exactly as tiktoken does */
  TOKCOUNT_UNKNOWN_ENCODING = 9,
  TOKCOUNT_UNKNOWN_MODEL = 10,
  TOKCOUNT_INPUT_TOO_LARGE = 11,    /* a text longer than TOKCOUNT_MAX_INPUT_BYTES */
  TOKCOUNT_IO_ERROR = 12,           /* a file could not be read */
  TOKCOUNT_INTERNAL = 13            /* a bug: please report it */
} tokcount_status;

/* An encoding (vocabulary + pattern + special tokens). Opaque; free with
 * tokcount_encoding_free(). Built-in encodings share one immutable instance, so getting one
 * is cheap and every handle must still be freed. */
typedef struct tokcount_encoding tokcount_encoding;

/* A text as (data, len), for lists of texts. */
typedef struct tokcount_str {
  const char* data;
  size_t len;
} tokcount_str;

/* A special token of a custom encoding. */
typedef struct tokcount_special_token {
  const char* text;
  size_t len;
  uint32_t rank;
} tokcount_special_token;

/* ---- Encode flags (the names follow tiktoken's encode() arguments) ----------------------
 * 0 means tiktoken's defaults: allowed_special = none, disallowed_special = "all", strict
 * UTF-8. With those defaults any special-token text in the input is
 * TOKCOUNT_DISALLOWED_SPECIAL. */
#define TOKCOUNT_ALLOWED_SPECIAL_ALL 0x1u     /* allowed_special="all": encode them as specials */
#define TOKCOUNT_DISALLOWED_SPECIAL_NONE 0x2u /* disallowed_special=(): others are plain text;
                                                 alone this is tiktoken's encode_ordinary */
#define TOKCOUNT_UTF8_REPLACE 0x4u            /* invalid UTF-8 becomes U+FFFD instead of an error */

/* Full encode options, for explicit special-token lists. A list is used when its count is
 * nonzero; the matching *_ALL / *_NONE flag must then be clear. Zero-initialize it:
 * `tokcount_options opt = {0};` gives tiktoken's defaults. */
typedef struct tokcount_options {
  uint32_t flags;                         /* TOKCOUNT_* encode flags */
  const tokcount_str* allowed_special;    /* allowed_special={...} */
  size_t allowed_special_count;
  const tokcount_str* disallowed_special; /* disallowed_special={...} */
  size_t disallowed_special_count;
} tokcount_options;

/* ---- Library ------------------------------------------------------------------------- */

TOKCOUNT_API const char* tokcount_version(void);         /* e.g. "0.1.0" */
TOKCOUNT_API int tokcount_abi_version(void);             /* TOKCOUNT_ABI_VERSION of the library */
TOKCOUNT_API const char* tokcount_unicode_version(void); /* Unicode data of the pre-tokenizers */

/* Name of a status ("TOKCOUNT_INVALID_UTF8"); never NULL, also for unknown values. */
TOKCOUNT_API const char* tokcount_status_name(tokcount_status status);

/* The calling thread's last error: a NUL-terminated message ("" after success), valid until
 * this thread's next tokcount call; and the byte offset into the input the error refers to
 * (TOKCOUNT_NO_OFFSET if none). Each thread has its own. */
TOKCOUNT_API const char* tokcount_last_error_message(void);
TOKCOUNT_API size_t tokcount_last_error_offset(void);

/* ---- Getting encodings --------------------------------------------------------------- */
/* On failure these set *out to NULL (when out is not NULL). */

/* A built-in encoding: r50k_base, gpt2, p50k_base, p50k_edit, cl100k_base, o200k_base,
 * o200k_harmony. Otherwise TOKCOUNT_UNKNOWN_ENCODING. */
TOKCOUNT_API tokcount_status tokcount_encoding_get(const char* name, size_t name_len,
                                                   tokcount_encoding** out);

/* The encoding tiktoken.encoding_for_model() picks (e.g. "gpt-4o"); else
 * TOKCOUNT_UNKNOWN_MODEL. */
TOKCOUNT_API tokcount_status tokcount_encoding_for_model(const char* model, size_t model_len,
                                                         tokcount_encoding** out);

/* A custom encoding, like tiktoken.Encoding(name, pat_str, mergeable_ranks, special_tokens,
 * explicit_n_vocab), with mergeable_ranks given as the contents of a .tiktoken file
 * (base64 token, space, rank per line). explicit_n_vocab = 0 means not given. */
TOKCOUNT_API tokcount_status tokcount_encoding_create(
    const char* name, size_t name_len, const char* pattern, size_t pattern_len,
    const char* tiktoken_data, size_t tiktoken_len, const tokcount_special_token* special_tokens,
    size_t special_token_count, size_t explicit_n_vocab, tokcount_encoding** out);

/* The same, reading the .tiktoken file at path (no NUL bytes; TOKCOUNT_IO_ERROR if it cannot
 * be read). */
TOKCOUNT_API tokcount_status tokcount_encoding_create_from_file(
    const char* name, size_t name_len, const char* pattern, size_t pattern_len,
    const char* path, size_t path_len, const tokcount_special_token* special_tokens,
    size_t special_token_count, size_t explicit_n_vocab, tokcount_encoding** out);

/* Releases a handle; NULL is allowed. */
TOKCOUNT_API void tokcount_encoding_free(tokcount_encoding* enc);

/* ---- Encoding and counting ----------------------------------------------------------- */

/* Tokens of text into out[0..capacity). *out_len receives the number of tokens.
 * Bound for sizing buffers without a size query: a text of n bytes has at most n tokens
 * (3n with TOKCOUNT_UTF8_REPLACE, since one invalid byte becomes 3 bytes). */
TOKCOUNT_API tokcount_status tokcount_encode(const tokcount_encoding* enc, const char* text,
                                             size_t len, uint32_t flags, uint32_t* out,
                                             size_t capacity, size_t* out_len);
/* options = NULL means tiktoken's defaults. */
TOKCOUNT_API tokcount_status tokcount_encode_ex(const tokcount_encoding* enc, const char* text,
                                                size_t len, const tokcount_options* options,
                                                uint32_t* out, size_t capacity, size_t* out_len);

/* Number of tokens tokcount_encode would produce, without storing them. */
TOKCOUNT_API tokcount_status tokcount_count(const tokcount_encoding* enc, const char* text,
                                            size_t len, uint32_t flags, size_t* out_count);
TOKCOUNT_API tokcount_status tokcount_count_ex(const tokcount_encoding* enc, const char* text,
                                               size_t len, const tokcount_options* options,
                                               size_t* out_count);

/* Budget check: stops once the count passes limit. *out_exceeded = 1 when the text has more
 * than limit tokens (then *out_count is the count at which it stopped, > limit), else 0 and
 * *out_count is exact. */
TOKCOUNT_API tokcount_status tokcount_count_up_to(const tokcount_encoding* enc, const char* text,
                                                  size_t len, uint32_t flags, size_t limit,
                                                  size_t* out_count, int* out_exceeded);
TOKCOUNT_API tokcount_status tokcount_count_up_to_ex(const tokcount_encoding* enc,
                                                     const char* text, size_t len,
                                                     const tokcount_options* options,
                                                     size_t limit, size_t* out_count,
                                                     int* out_exceeded);

/* Counts of count texts into out_counts[0..count), on up to num_threads threads (0 = one per
 * core; never more than the cores, or 2 on one core). On failure the status and last error are those of the first failing text (in
 * input order) and out_counts is unspecified. */
TOKCOUNT_API tokcount_status tokcount_count_batch(const tokcount_encoding* enc,
                                                  const tokcount_str* texts, size_t count,
                                                  uint32_t flags, unsigned num_threads,
                                                  size_t* out_counts);
TOKCOUNT_API tokcount_status tokcount_count_batch_ex(const tokcount_encoding* enc,
                                                     const tokcount_str* texts, size_t count,
                                                     const tokcount_options* options,
                                                     unsigned num_threads, size_t* out_counts);

/* Receives one text's tokens from tokcount_encode_batch: tokens[0..len) of texts[index], valid
 * only during the call (NULL when len is 0). Return 0 to go on; any other value stops the
 * batch. */
typedef int (*tokcount_tokens_callback)(void* user_data, size_t index, const uint32_t* tokens,
                                        size_t len);

/* Tokens of count texts, on up to num_threads threads (0 = one per core; never more than the
 * cores, or 2 on one core), handed to on_tokens
 * on the calling thread in input order (texts 0, 1, 2, ...) while pool threads encode later
 * texts: the caller needs no output buffers sized in advance and no locking. options = NULL
 * means tiktoken's defaults. *out_delivered (may be NULL) receives how many texts were
 * handed over. A text that fails stops the batch after every text before it was delivered:
 * the status and last error are that text's. A nonzero return from on_tokens stops it too,
 * with TOKCOUNT_OK and *out_delivered telling where. */
TOKCOUNT_API tokcount_status tokcount_encode_batch(const tokcount_encoding* enc,
                                                   const tokcount_str* texts, size_t count,
                                                   const tokcount_options* options,
                                                   unsigned num_threads,
                                                   tokcount_tokens_callback on_tokens,
                                                   void* user_data, size_t* out_delivered);

/* The single token whose bytes are exactly (bytes, len), mergeable or special; else
 * TOKCOUNT_UNKNOWN_TOKEN. */
TOKCOUNT_API tokcount_status tokcount_encode_single_token(const tokcount_encoding* enc,
                                                          const char* bytes, size_t len,
                                                          uint32_t* out_token);

/* ---- Decoding ------------------------------------------------------------------------ */

/* Concatenated bytes of tokens[0..count) into out[0..capacity) (no NUL appended); *out_len
 * receives the byte count. TOKCOUNT_UNKNOWN_TOKEN for an id not in the vocabulary. */
TOKCOUNT_API tokcount_status tokcount_decode_bytes(const tokcount_encoding* enc,
                                                   const uint32_t* tokens, size_t count,
                                                   char* out, size_t capacity, size_t* out_len);
/* As tokcount_decode_bytes, then invalid UTF-8 replaced by U+FFFD (always valid UTF-8). */
TOKCOUNT_API tokcount_status tokcount_decode(const tokcount_encoding* enc, const uint32_t* tokens,
                                             size_t count, char* out, size_t capacity,
                                             size_t* out_len);

/* Bytes of one token (mergeable or special), pointing into the encoding: valid while enc, or
 * any handle to the same encoding, is alive. Not NUL-terminated. */
TOKCOUNT_API tokcount_status tokcount_token_bytes(const tokcount_encoding* enc, uint32_t token,
                                                  const char** out_bytes, size_t* out_len);

/* ---- Properties ---------------------------------------------------------------------- */

/* The encoding's name, NUL-terminated, valid while enc is alive. */
TOKCOUNT_API tokcount_status tokcount_encoding_name(const tokcount_encoding* enc,
                                                    const char** out_name, size_t* out_len);
TOKCOUNT_API tokcount_status tokcount_n_vocab(const tokcount_encoding* enc, size_t* out);
TOKCOUNT_API tokcount_status tokcount_max_token_value(const tokcount_encoding* enc,
                                                      uint32_t* out);
/* The id of <|endoftext|>; TOKCOUNT_UNKNOWN_TOKEN if the encoding has none. */
TOKCOUNT_API tokcount_status tokcount_eot_token(const tokcount_encoding* enc, uint32_t* out);

/* Special tokens, sorted by text: how many, and the index-th (text valid while enc is alive;
 * index >= count is TOKCOUNT_INVALID_ARGUMENT). */
TOKCOUNT_API tokcount_status tokcount_special_token_count(const tokcount_encoding* enc,
                                                          size_t* out_count);
TOKCOUNT_API tokcount_status tokcount_special_token_at(const tokcount_encoding* enc, size_t index,
                                                       const char** out_text, size_t* out_len,
                                                       uint32_t* out_rank);

/* ---- Lint: what breaks prompt caching (tokcount/lint.hpp) ----------------------------
 * Rules PC001-PC030 over a prompt file or template, a request body or a JSONL request log
 * (tokcount_lint_input). A result owns its findings; every
 * string in a tokcount_lint_finding is NUL-terminated and valid until the result is freed.
 * config_toml is the text of a .tokcount-lint.toml (NULL/0: defaults); a bad one is
 * TOKCOUNT_PARSE_ERROR naming line and column. model (NULL/0: the config's, default
 * "gpt-4o") picks the encoding for tokens_at_risk and the cache minimum. */
typedef struct tokcount_lint_result tokcount_lint_result;

typedef enum tokcount_lint_severity {
  TOKCOUNT_LINT_INFO = 0,
  TOKCOUNT_LINT_WARN = 1,
  TOKCOUNT_LINT_ERROR = 2
} tokcount_lint_severity;

typedef enum tokcount_lint_format {
  TOKCOUNT_LINT_FORMAT_TEXT = 0,  /* what `tokcount lint` prints (no colour) */
  TOKCOUNT_LINT_FORMAT_JSON = 1,
  TOKCOUNT_LINT_FORMAT_SARIF = 2  /* SARIF 2.1.0 */
} tokcount_lint_format;

typedef struct tokcount_lint_finding {
  const char* rule;       /* "PC011" */
  const char* name;       /* "TRAILING_WHITESPACE" */
  int severity;           /* tokcount_lint_severity, after configuration */
  size_t line, column;    /* 1-based; columns count code points */
  size_t end_line, end_column;
  size_t byte_offset;     /* 0-based, into the linted text */
  size_t byte_length;
  const char* message;    /* what was found */
  const char* excerpt;    /* the line around it, invisible characters shown as <NAME> */
  const char* why;
  const char* fix;
  size_t tokens_at_risk;  /* tokens from the finding to the end of the cacheable region */
  int fixable;            /* 1 if tokcount_lint_fix repairs it */
} tokcount_lint_finding;

/* Lints (text, len) as one prompt file. Invalid UTF-8 is TOKCOUNT_INVALID_UTF8 (offset set).
 * On failure *out is set to NULL. Free the result with tokcount_lint_result_free(). */
TOKCOUNT_API tokcount_status tokcount_lint_text(const char* text, size_t len, const char* model,
                                                size_t model_len, const char* config_toml,
                                                size_t config_len, tokcount_lint_result** out);
typedef enum tokcount_lint_input_kind {
  TOKCOUNT_LINT_INPUT_AUTO = 0,     /* a log, a request or text, detected from the content */
  TOKCOUNT_LINT_INPUT_TEXT = 1,     /* a prompt file or template */
  TOKCOUNT_LINT_INPUT_REQUEST = 2,  /* a request body (OpenAI Chat Completions, Anthropic Messages) */
  TOKCOUNT_LINT_INPUT_LOG = 3       /* JSONL, one {"ts": ..., "request": {...}} per line */
} tokcount_lint_input_kind;

/* Lints (data, len) as the given tokcount_lint_input_kind. A malformed request or log is
 * TOKCOUNT_PARSE_ERROR (offset set), a field of the wrong shape TOKCOUNT_INVALID_ARGUMENT;
 * an unknown kind is TOKCOUNT_INVALID_ARGUMENT. Findings in requests and logs carry a JSON
 * path and (logs) a record line: tokcount_lint_result_location(). */
TOKCOUNT_API tokcount_status tokcount_lint_input(const char* data, size_t len, int kind,
                                                 const char* model, size_t model_len,
                                                 const char* config_toml, size_t config_len,
                                                 tokcount_lint_result** out);
/* Where the index-th finding is beyond line and column: *out_json_path the JSON path of its
 * string or value ("" for a text file), *out_record its 1-based line in a log (0 otherwise).
 * Either output may be NULL. */
TOKCOUNT_API tokcount_status tokcount_lint_result_location(const tokcount_lint_result* result,
                                                           size_t index,
                                                           const char** out_json_path,
                                                           size_t* out_record);
/* Number of findings (sorted by tokens_at_risk, largest first) and the index-th one
 * (index >= count is TOKCOUNT_INVALID_ARGUMENT). */
TOKCOUNT_API tokcount_status tokcount_lint_result_count(const tokcount_lint_result* result,
                                                        size_t* out_count);
TOKCOUNT_API tokcount_status tokcount_lint_result_finding(const tokcount_lint_result* result,
                                                          size_t index,
                                                          tokcount_lint_finding* out);
/* Tokens in the cacheable region (the count tokens_at_risk is measured against). */
TOKCOUNT_API tokcount_status tokcount_lint_result_cacheable_tokens(
    const tokcount_lint_result* result, size_t* out_tokens);
/* The report in a tokcount_lint_format, naming the input path (NULL/0: "-"), into a caller
 * buffer (size query: out = NULL, capacity = 0). No NUL is appended. */
TOKCOUNT_API tokcount_status tokcount_lint_result_render(const tokcount_lint_result* result,
                                                         int format, const char* path,
                                                         size_t path_len, char* out,
                                                         size_t capacity, size_t* out_len);
/* Releases a result; NULL is allowed. */
TOKCOUNT_API void tokcount_lint_result_free(tokcount_lint_result* result);

/* The text with every enabled fixable finding repaired (whitespace, line endings, BOM, NFC,
 * invisible characters, exotic spaces) and nothing else changed. A size query runs the fixer
 * once more when the buffer is then passed. */
TOKCOUNT_API tokcount_status tokcount_lint_fix(const char* text, size_t len,
                                               const char* config_toml, size_t config_len,
                                               char* out, size_t capacity, size_t* out_len);

/* ---- Streaming (tokcount/stream.hpp) -------------------------------------------------
 * An incremental encoder: feed text in chunks split anywhere (inside UTF-8 sequences too);
 * each token is made available as soon as no later text can change it. The tokens of all
 * feeds plus finish equal tokcount_encode_ex of the concatenated text with the same options.
 * Memory is bounded by the longest unfinished pre-token piece. A stream is mutable: use one
 * per thread (or lock). After an error the stream is failed: every later feed/finish returns
 * that error again, until tokcount_stream_reset. */
typedef struct tokcount_stream tokcount_stream;

/* options = NULL means tiktoken's defaults. The stream keeps its own reference to enc. */
TOKCOUNT_API tokcount_status tokcount_stream_new(const tokcount_encoding* enc,
                                                 const tokcount_options* options,
                                                 tokcount_stream** out);
/* Releases a stream; NULL is allowed. */
TOKCOUNT_API void tokcount_stream_free(tokcount_stream* stream);

/* Appends (data, len). Errors (TOKCOUNT_INVALID_UTF8, TOKCOUNT_DISALLOWED_SPECIAL) come as soon
 * as they are certain, with the byte offset in the whole stream. */
TOKCOUNT_API tokcount_status tokcount_stream_feed(tokcount_stream* stream, const char* data,
                                                  size_t len);
/* Ends the stream; its last tokens become available. Feeding again needs a reset. */
TOKCOUNT_API tokcount_status tokcount_stream_finish(tokcount_stream* stream);
/* Starts over with the same encoding, options and budget. */
TOKCOUNT_API tokcount_status tokcount_stream_reset(tokcount_stream* stream);

/* The tokens that the last feed or finish made final, into out[0..capacity) with the usual
 * size query; they stay available (unchanged) until the next feed, finish or reset. */
TOKCOUNT_API tokcount_status tokcount_stream_tokens(const tokcount_stream* stream, uint32_t* out,
                                                    size_t capacity, size_t* out_len);

/* *out_stable: tokens made final so far; *out_total: tokens of everything fed so far if the
 * stream ended now (stable + pending; an incomplete trailing UTF-8 sequence is ignored).
 * Either pointer may be NULL; computing the total costs a pass over the pending text. */
TOKCOUNT_API tokcount_status tokcount_stream_count(const tokcount_stream* stream,
                                                   size_t* out_stable, size_t* out_total);
/* Bytes held that are not final yet. */
TOKCOUNT_API tokcount_status tokcount_stream_pending_bytes(const tokcount_stream* stream,
                                                           size_t* out);

/* Budget: after every feed, the stream is over budget exactly when the text so far has more
 * than limit tokens (tokcount_count_up_to's exceeded). TOKCOUNT_NO_OFFSET as limit removes
 * the budget. *out_over: 1 if over now, else 0; *out_crossed_at: bytes fed when it was first
 * over (TOKCOUNT_NO_OFFSET if never). Either output may be NULL. */
TOKCOUNT_API tokcount_status tokcount_stream_set_budget(tokcount_stream* stream, size_t limit);
TOKCOUNT_API tokcount_status tokcount_stream_budget(const tokcount_stream* stream, int* out_over,
                                                    size_t* out_crossed_at);

/* A streaming decoder: token ids in, text that is always complete UTF-8 out (a character split
 * across tokens is held back until complete; invalid bytes become U+FFFD as in
 * tokcount_decode). */
typedef struct tokcount_stream_decoder tokcount_stream_decoder;

TOKCOUNT_API tokcount_status tokcount_stream_decoder_new(const tokcount_encoding* enc,
                                                         tokcount_stream_decoder** out);
TOKCOUNT_API void tokcount_stream_decoder_free(tokcount_stream_decoder* decoder);
/* Decodes tokens[0..count); TOKCOUNT_UNKNOWN_TOKEN leaves the decoder unchanged. The text is
 * then read with tokcount_stream_decoder_text. */
TOKCOUNT_API tokcount_status tokcount_stream_decoder_feed(tokcount_stream_decoder* decoder,
                                                          const uint32_t* tokens, size_t count);
/* Ends the stream: what was held back (an incomplete sequence becomes U+FFFD). */
TOKCOUNT_API tokcount_status tokcount_stream_decoder_finish(tokcount_stream_decoder* decoder);
/* The text of the last feed or finish, with the usual size query (no NUL appended). */
TOKCOUNT_API tokcount_status tokcount_stream_decoder_text(const tokcount_stream_decoder* decoder,
                                                          char* out, size_t capacity,
                                                          size_t* out_len);

/* ---- SSE: Chat Completions streams (tokcount/sse.hpp) ---------------------------------
 * A proxy's view of a streamed response: network reads in (split anywhere, even inside a
 * UTF-8 sequence or a "data:" line), the exact token count of the visible output (content,
 * refusal, tool-call names and arguments of every choice) out, at any point. A malformed
 * frame is TOKCOUNT_PARSE_ERROR with tokcount_last_error_offset() = its byte in the stream;
 * what was counted before it stays readable and the stream stays failed (every later feed
 * returns the error again). One stream per response; not for concurrent use. */
typedef struct tokcount_sse_stream tokcount_sse_stream;

/* enc may be NULL: then the encoding is the model's (model if len > 0, else the "model" of
 * the stream's first chunk), o200k_base for a model tiktoken does not know.
 * keep_text = 0 holds no stitched text (counting only), which is what a proxy wants. */
TOKCOUNT_API tokcount_status tokcount_sse_stream_new(const tokcount_encoding* enc, const char* model,
                                                     size_t model_len, int keep_text,
                                                     tokcount_sse_stream** out);
TOKCOUNT_API void tokcount_sse_stream_free(tokcount_sse_stream* stream);
TOKCOUNT_API tokcount_status tokcount_sse_stream_feed(tokcount_sse_stream* stream, const char* data,
                                                      size_t len);
/* End of the response body: an unterminated last event is dropped (and reported in the JSON). */
TOKCOUNT_API tokcount_status tokcount_sse_stream_finish(tokcount_sse_stream* stream);
/* Exact visible completion tokens so far (final after finish). */
TOKCOUNT_API tokcount_status tokcount_sse_stream_completion_tokens(const tokcount_sse_stream* stream,
                                                                   size_t* out);
/* The usage chunk (stream_options.include_usage), when one arrived: *out_has_usage = 1 and
 * the three figures (reasoning = UINT64_MAX when not reported); else 0. Any output
 * but out_has_usage may be NULL. */
TOKCOUNT_API tokcount_status tokcount_sse_stream_usage(const tokcount_sse_stream* stream,
                                                       int* out_has_usage, uint64_t* out_prompt,
                                                       uint64_t* out_completion,
                                                       uint64_t* out_reasoning);
/* The result as JSON, what `tokcount sse` prints ("content", "completion_tokens", "choices",
 * "usage", "usage_comparison"), with the usual size query (no NUL appended). */
TOKCOUNT_API tokcount_status tokcount_sse_stream_result_json(const tokcount_sse_stream* stream,
                                                             char* out, size_t capacity,
                                                             size_t* out_len);

/* ---- Chat-format counting (tokcount/chat.hpp) ------------------------------------------
 * The prompt tokens of an OpenAI Chat Completions request body: message wrappers, names,
 * reply priming, hidden tool definitions, image tokens; the rendered token sequence with
 * segments; cost and context-window checks from the built-in price table (or the caller's).
 * TOKCOUNT_PARSE_ERROR for malformed JSON (last error offset = the byte), TOKCOUNT_INVALID_ARGUMENT
 * for a field of the wrong shape (the message names its JSON path), TOKCOUNT_UNKNOWN_MODEL
 * for a model without chat rules when no fallback encoding is given. */

/* A rendered request. Opaque, immutable; free with tokcount_chat_result_free(). */
typedef struct tokcount_chat_result tokcount_chat_result;

/* The pixel size of a remote image (data URLs are measured from their header). */
typedef struct tokcount_chat_image_size {
  const char* url;
  size_t url_len;
  uint32_t width;
  uint32_t height;
} tokcount_chat_image_size;

/* An image whose size is needed but unknown counts as the model's worst case (uncertain)
 * instead of failing with TOKCOUNT_INVALID_ARGUMENT. */
#define TOKCOUNT_CHAT_IMAGES_WORST_CASE 0x1u

/* Zero-initialize: `tokcount_chat_options opt = {0};` means the body's model, no fallback
 * encoding, provider "openai", the built-in price table, unknown image sizes are errors. */
typedef struct tokcount_chat_options {
  const char* model; /* overrides the body's "model" when len > 0 */
  size_t model_len;
  const char* encoding; /* fallback encoding for a model tiktoken does not know */
  size_t encoding_len;
  const char* provider; /* price list to use (default "openai") */
  size_t provider_len;
  const char* prices_json; /* a price table (models.json format) over the built-in one */
  size_t prices_json_len;
  const tokcount_chat_image_size* image_sizes;
  size_t image_size_count;
  const char* harmony_date; /* gpt-oss: the system message's "Current date:" */
  size_t harmony_date_len;
  uint32_t flags; /* TOKCOUNT_CHAT_* */
} tokcount_chat_options;

/* Renders a request body. options = NULL means all defaults. */
TOKCOUNT_API tokcount_status tokcount_chat_render(const char* body, size_t len,
                                                  const tokcount_chat_options* options,
                                                  tokcount_chat_result** out);
/* Releases a result; NULL is allowed. */
TOKCOUNT_API void tokcount_chat_result_free(tokcount_chat_result* result);

/* prompt_tokens; *out_uncertain = 1 when a figure rests on a rule marked uncertain. */
TOKCOUNT_API tokcount_status tokcount_chat_prompt_tokens(const tokcount_chat_result* result,
                                                         size_t* out_tokens, int* out_uncertain);
/* The rendered token sequence (prompt_tokens ids). Ids >= 0x80000000 are synthetic: they
 * stand for tokens whose ids are unpublished (image tokens, fixed overheads). */
TOKCOUNT_API tokcount_status tokcount_chat_tokens(const tokcount_chat_result* result, uint32_t* out,
                                                  size_t capacity, size_t* out_len);
/* The full report as JSON (what `tokcount chat` prints): prompt_tokens, breakdown, cost,
 * context, warnings; include_tokens = 1 adds the token ids and segments. No NUL appended. */
TOKCOUNT_API tokcount_status tokcount_chat_report_json(const tokcount_chat_result* result,
                                                       int include_tokens, char* out,
                                                       size_t capacity, size_t* out_len);

/* Where a range of the rendered tokens came from. Strings point into the result. */
typedef struct tokcount_chat_segment {
  const char* kind; /* "format", "role", "name", "text", "image", "tools", ... (NUL-terminated) */
  size_t begin, end; /* token range [begin, end) */
  int32_t message;   /* index in "messages", or -1 */
  int32_t part;      /* index in that message's content array, or -1 */
  int32_t tool_call; /* index in that message's tool_calls, or -1 */
  const char* path;  /* JSON path of the source ("" if none), NUL-terminated */
  size_t path_len;
  const char* rule;  /* the counting rule, NUL-terminated */
  size_t rule_len;
  int uncertain;
  uint64_t content_hash; /* images: XXH3-64 of detail and URL; else 0 */
} tokcount_chat_segment;

TOKCOUNT_API tokcount_status tokcount_chat_segment_count(const tokcount_chat_result* result,
                                                         size_t* out_count);
TOKCOUNT_API tokcount_status tokcount_chat_segment_at(const tokcount_chat_result* result,
                                                      size_t index, tokcount_chat_segment* out);

/* Costs in the price entry's currency (written to *out_currency, NUL-terminated, valid while
 * result is alive). TOKCOUNT_UNKNOWN_MODEL when the table has no entry for the model; a
 * figure the entry cannot give (no price) is NaN. *out_exceeds = 1 when prompt + maximum
 * output exceeds the context window. */
TOKCOUNT_API tokcount_status tokcount_chat_cost(const tokcount_chat_result* result,
                                                const char** out_currency, double* out_prompt,
                                                double* out_worst_case, int* out_exceeds);

/* ---- Prompt cache: fingerprints, diffs, hit prediction (tokcount/cache.hpp) --------------
 * JSON in, JSON out (the shapes `tokcount cache` prints); every output goes into a caller
 * buffer (no NUL appended) with TOKCOUNT_BUFFER_TOO_SMALL and the needed size in *out_len.
 * provider: NULL/0 = detected from the body, else "openai", "anthropic", "vllm", "sglang". */

/* The first divergence between an earlier request body `a` and a later one `b`, and the
 * reason codes (tokcount cache diff). */
TOKCOUNT_API tokcount_status tokcount_cache_diff(const char* a, size_t a_len, const char* b, size_t b_len,
                                                 const char* provider, size_t provider_len, char* out,
                                                 size_t capacity, size_t* out_len);
/* Block hashes of a request body's rendered tokens. mode: NULL/0 or "xxh3", "sglang",
 * "vllm_sha256_cbor"; block_size 0 = the mode's default; vllm_seed NULL/0 = "0". */
TOKCOUNT_API tokcount_status tokcount_cache_fingerprint(const char* body, size_t len, const char* mode,
                                                        size_t mode_len, size_t block_size,
                                                        const char* vllm_seed, size_t vllm_seed_len,
                                                        char* out, size_t capacity, size_t* out_len);
/* The same over token ids a server produced itself (no normalized fingerprint). */
TOKCOUNT_API tokcount_status tokcount_cache_fingerprint_tokens(const uint32_t* tokens, size_t count,
                                                               const char* mode, size_t mode_len,
                                                               size_t block_size, const char* vllm_seed,
                                                               size_t vllm_seed_len, char* out,
                                                               size_t capacity, size_t* out_len);

/* A cache simulator replaying log lines in time order. Not thread-safe; free with
 * tokcount_cache_sim_free(). capacity_tokens / block_size: vLLM / SGLang LRU (0 = defaults). */
typedef struct tokcount_cache_sim tokcount_cache_sim;
TOKCOUNT_API tokcount_status tokcount_cache_sim_new(const char* provider, size_t provider_len,
                                                    size_t capacity_tokens, size_t block_size,
                                                    tokcount_cache_sim** out);
/* Replays one line {"ts":..., "request":{...}, "usage":{...}?} and writes its prediction JSON.
 * The line counts even when the buffer is too small: fetch the JSON with
 * tokcount_cache_sim_last(). A malformed line is TOKCOUNT_PARSE_ERROR / INVALID_ARGUMENT and
 * counted in the summary's errors. */
TOKCOUNT_API tokcount_status tokcount_cache_sim_add(tokcount_cache_sim* sim, const char* line, size_t len,
                                                    char* out, size_t capacity, size_t* out_len);
TOKCOUNT_API tokcount_status tokcount_cache_sim_last(const tokcount_cache_sim* sim, char* out,
                                                     size_t capacity, size_t* out_len);
/* The summary JSON (hit rate, tokens and money saved, top miss causes, calibration). */
TOKCOUNT_API tokcount_status tokcount_cache_sim_summary(const tokcount_cache_sim* sim, char* out,
                                                        size_t capacity, size_t* out_len);
TOKCOUNT_API void tokcount_cache_sim_free(tokcount_cache_sim* sim);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TOKCOUNT_H */
