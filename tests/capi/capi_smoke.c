/* A C99 consumer of the installed C API: built against an installed prefix (via
 * find_package and via pkg-config) to prove the headers, libraries and package files work
 * for a plain C program. Exits nonzero on the first failed check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tokcount/tokcount.h>

static int failures = 0;

/* tokcount_encode_batch's callback: sums the token counts it is handed, in order. */
struct batch_sum {
  size_t next_index, tokens;
  int out_of_order;
};
static int add_tokens(void* user, size_t index, const uint32_t* ids, size_t len) {
  struct batch_sum* sum = (struct batch_sum*)user;
  (void)ids;
  if (index != sum->next_index) sum->out_of_order = 1;
  sum->next_index = index + 1;
  sum->tokens += len;
  return 0;
}

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s (last error: %s)\n", __FILE__, \
              __LINE__, #cond, tokcount_last_error_message());                 \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

#define CHECK_STATUS(call, expected)                                                  \
  do {                                                                                \
    tokcount_status st_ = (call);                                                     \
    if (st_ != (expected)) {                                                          \
      fprintf(stderr, "%s:%d: %s returned %s, expected %s (%s)\n", __FILE__, __LINE__, \
              #call, tokcount_status_name(st_), tokcount_status_name(expected),        \
              tokcount_last_error_message());                                          \
      ++failures;                                                                     \
    }                                                                                 \
  } while (0)

int main(void) {
  const char* text = "Hello, world! Token counting from C: \xc3\xa9t\xc3\xa9 \xe2\x9c\x93";
  const size_t text_len = strlen(text);
  tokcount_encoding* enc = NULL;
  size_t count = 0, n = 0, needed = 0, out_len = 0;
  uint32_t* tokens;
  char* decoded;

  CHECK(tokcount_abi_version() == TOKCOUNT_ABI_VERSION);
  {
    char expected[32];
    snprintf(expected, sizeof expected, "%d.%d.%d", TOKCOUNT_VERSION_MAJOR,
             TOKCOUNT_VERSION_MINOR, TOKCOUNT_VERSION_PATCH);
    CHECK(strcmp(tokcount_version(), expected) == 0);
  }

  CHECK_STATUS(tokcount_encoding_get("o200k_base", strlen("o200k_base"), &enc), TOKCOUNT_OK);
  if (enc == NULL) return 1;

  /* count, then a size query, then encode into an exactly sized buffer */
  CHECK_STATUS(tokcount_count(enc, text, text_len, 0, &count), TOKCOUNT_OK);
  CHECK(count > 0 && count < text_len);
  CHECK_STATUS(tokcount_encode(enc, text, text_len, 0, NULL, 0, &needed),
               TOKCOUNT_BUFFER_TOO_SMALL);
  CHECK(needed == count);
  tokens = (uint32_t*)malloc(needed * sizeof *tokens);
  if (tokens == NULL) return 1;
  CHECK_STATUS(tokcount_encode(enc, text, text_len, 0, tokens, needed - 1, &n),
               TOKCOUNT_BUFFER_TOO_SMALL);
  CHECK(n == needed);
  CHECK_STATUS(tokcount_encode(enc, text, text_len, 0, tokens, needed, &n), TOKCOUNT_OK);
  CHECK(n == count);

  /* decode back: size query, then the bytes must equal the input */
  CHECK_STATUS(tokcount_decode_bytes(enc, tokens, n, NULL, 0, &out_len),
               TOKCOUNT_BUFFER_TOO_SMALL);
  CHECK(out_len == text_len);
  decoded = (char*)malloc(out_len + 1);
  if (decoded == NULL) return 1;
  CHECK_STATUS(tokcount_decode_bytes(enc, tokens, n, decoded, out_len, &out_len), TOKCOUNT_OK);
  CHECK(out_len == text_len && memcmp(decoded, text, text_len) == 0);
  CHECK_STATUS(tokcount_decode(enc, tokens, n, decoded, text_len, &out_len), TOKCOUNT_OK);
  CHECK(out_len == text_len && memcmp(decoded, text, text_len) == 0);
  free(decoded);
  free(tokens);

  /* a special token is disallowed by default, at its byte offset */
  {
    const char* s = "say<|endoftext|>now";
    uint32_t buf[16];
    uint32_t eot = 0;
    CHECK_STATUS(tokcount_encode(enc, s, strlen(s), 0, buf, 16, &n),
                 TOKCOUNT_DISALLOWED_SPECIAL);
    CHECK(tokcount_last_error_offset() == 3);
    CHECK(strstr(tokcount_last_error_message(), "<|endoftext|>") != NULL);
    CHECK_STATUS(tokcount_encode(enc, s, strlen(s), TOKCOUNT_ALLOWED_SPECIAL_ALL, buf, 16, &n),
                 TOKCOUNT_OK);
    CHECK_STATUS(tokcount_eot_token(enc, &eot), TOKCOUNT_OK);
    CHECK(n == 3 && buf[1] == eot);
    /* success clears the thread's last error */
    CHECK(tokcount_last_error_message()[0] == '\0');
    CHECK(tokcount_last_error_offset() == TOKCOUNT_NO_OFFSET);
  }

  /* invalid UTF-8: strict is an error at the bad byte, the lossy flag encodes U+FFFD */
  {
    const char bad[] = "abc\xff" "def";
    const char fixed[] = "abc\xef\xbf\xbd" "def";
    size_t lossy = 0, clean = 0;
    CHECK_STATUS(tokcount_count(enc, bad, sizeof bad - 1, 0, &count), TOKCOUNT_INVALID_UTF8);
    CHECK(tokcount_last_error_offset() == 3);
    CHECK_STATUS(tokcount_count(enc, bad, sizeof bad - 1, TOKCOUNT_UTF8_REPLACE, &lossy),
                 TOKCOUNT_OK);
    CHECK_STATUS(tokcount_count(enc, fixed, sizeof fixed - 1, 0, &clean), TOKCOUNT_OK);
    CHECK(lossy == clean && lossy > 0);
  }

  /* budget check */
  {
    int exceeded = -1;
    CHECK_STATUS(tokcount_count_up_to(enc, text, text_len, 0, 2, &count, &exceeded),
                 TOKCOUNT_OK);
    CHECK(exceeded == 1);
  }

  /* batches: counts into an array, tokens through a callback in input order */
  {
    tokcount_str texts[3];
    size_t counts[3], delivered = 0;
    struct batch_sum sum = {0, 0, 0};
    texts[0].data = text;
    texts[0].len = text_len;
    texts[1].data = "second";
    texts[1].len = 6;
    texts[2] = texts[0];
    CHECK_STATUS(tokcount_count_batch(enc, texts, 3, 0, 2, counts), TOKCOUNT_OK);
    CHECK_STATUS(tokcount_encode_batch(enc, texts, 3, NULL, 2, add_tokens, &sum, &delivered),
                 TOKCOUNT_OK);
    CHECK(delivered == 3 && sum.next_index == 3 && !sum.out_of_order);
    CHECK(sum.tokens == counts[0] + counts[1] + counts[2]);
  }

  tokcount_encoding_free(enc);
  CHECK_STATUS(tokcount_encoding_get("no_such_encoding", 16, &enc), TOKCOUNT_UNKNOWN_ENCODING);
  CHECK(enc == NULL);

  if (failures != 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("tokcount C API smoke test passed (tokcount %s)\n", tokcount_version());
  return 0;
}
