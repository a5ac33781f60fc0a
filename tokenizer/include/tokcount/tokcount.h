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
 * core). On failure the status and last error are those of the first failing text (in
 * input order) and out_counts is unspecified. */
TOKCOUNT_API tokcount_status tokcount_count_batch(const tokcount_encoding* enc,
                                                  const tokcount_str* texts, size_t count,
                                                  uint32_t flags, unsigned num_threads,
                                                  size_t* out_counts);
TOKCOUNT_API tokcount_status tokcount_count_batch_ex(const tokcount_encoding* enc,
                                                     const tokcount_str* texts, size_t count,
                                                     const tokcount_options* options,
                                                     unsigned num_threads, size_t* out_counts);

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

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TOKCOUNT_H */
