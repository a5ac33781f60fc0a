#include <absl/strings/str_cat.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <thread>

#include "encoding/encoding_impl.hpp"
#include "encoding/worker_pool.hpp"

namespace tokcount {

const char* error_code_name(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kOk: return "OK";
    case ErrorCode::kInvalidArgument: return "INVALID_ARGUMENT";
    case ErrorCode::kInvalidUtf8: return "INVALID_UTF8";
    case ErrorCode::kDisallowedSpecial: return "DISALLOWED_SPECIAL";
    case ErrorCode::kUnknownToken: return "UNKNOWN_TOKEN";
    case ErrorCode::kBufferTooSmall: return "BUFFER_TOO_SMALL";
    case ErrorCode::kOutOfMemory: return "OUT_OF_MEMORY";
    case ErrorCode::kParseError: return "PARSE_ERROR";
    case ErrorCode::kUnsupportedPattern: return "UNSUPPORTED_PATTERN";
    case ErrorCode::kUnknownEncoding: return "UNKNOWN_ENCODING";
    case ErrorCode::kUnknownModel: return "UNKNOWN_MODEL";
    case ErrorCode::kInputTooLarge: return "INPUT_TOO_LARGE";
    case ErrorCode::kIoError: return "IO_ERROR";
    case ErrorCode::kInternal: return "INTERNAL";
  }
  return "UNKNOWN_STATUS";
}

const char* version() noexcept { return TOKCOUNT_VERSION; }
const char* unicode_version() noexcept { return unicode::kUnicodeVersion; }

namespace detail {

std::string_view checked_utf8(std::string_view text, Utf8Mode mode, std::string& repaired) {
  const std::size_t bad = find_invalid_utf8(text);
  if (bad == kNoOffset) return text;
  if (mode == Utf8Mode::kStrict)
    throw Error(ErrorCode::kInvalidUtf8, absl::StrCat("input is not valid UTF-8 at byte offset ", bad), bad);
  repaired = replace_invalid_utf8(text);
  return repaired;
}

void check_disallowed(const EncodingImpl& impl, std::string_view text, const EncodeOptions& options,
                      std::string_view input) {
  const TokenSet& dis = options.disallowed_special;
  if (dis.is_none()) return;
  std::size_t at = std::string_view::npos;
  std::string found;
  if (dis.is_all()) {
    // tiktoken: disallowed = every special token not in allowed_special.
    if (options.allowed_special.is_all()) return;
    const auto& allowed = options.allowed_special.names();
    Rank rank = 0;
    std::size_t length = 0;
    at = impl.find_special(
        text, 0,
        [&](Rank, const std::string& t) { return std::find(allowed.begin(), allowed.end(), t) == allowed.end(); },
        rank, length);
    if (at != std::string_view::npos) found = std::string(text.substr(at, length));
  } else {
    // An explicit list is searched as given, like tiktoken's regex over the list.
    for (const std::string& t : dis.names()) {
      if (t.empty()) continue;
      const std::size_t p = text.find(t);
      if (p != std::string_view::npos && (p < at || (p == at && t.size() > found.size()))) {
        at = p;
        found = t;
      }
    }
  }
  if (at == std::string_view::npos) return;
  // Special tokens are found in the repaired text, but the offset is the caller's: each U+FFFD
  // stands for 1-3 input bytes (fuzz_encode found offsets past the end of the input here).
  if (!input.empty() && input.data() != text.data()) at = input_offset_of_repaired(input, at);
  throw Error(ErrorCode::kDisallowedSpecial,
              absl::StrCat("Encountered text corresponding to disallowed special token '", found,
                           "' at byte offset ", at,
                           ". Allow it to encode it as a special token, or disable the check for it to "
                           "encode it as normal text."),
              at, found);
}

AllowedSpecials allowed_specials(const EncodeOptions& options) {
  AllowedSpecials a;
  if (options.allowed_special.is_all()) {
    a.any = a.all = true;
  } else if (!options.allowed_special.is_none()) {
    a.any = true;
    for (const auto& n : options.allowed_special.names()) a.names.emplace(n, true);
  }
  return a;
}

void EncodingImpl::index_specials() {
  std::sort(specials.begin(), specials.end(),
            [](const SpecialToken& a, const SpecialToken& b) { return a.text < b.text; });
  special_rank.clear();
  special_index.clear();
  special_lengths.clear();
  special_first_byte.fill(false);
  max_token_value = vocab.rank_limit() == 0 ? 0 : vocab.rank_limit() - 1;
  for (std::size_t i = 0; i < specials.size(); ++i) {
    const SpecialToken& t = specials[i];
    if (t.text.empty()) throw Error(ErrorCode::kInvalidArgument, "a special token has empty text");
    special_rank.emplace(t.text, t.rank);
    special_first_byte[static_cast<unsigned char>(t.text[0])] = true;
    if (std::find(special_lengths.begin(), special_lengths.end(), t.text.size()) == special_lengths.end())
      special_lengths.push_back(t.text.size());
    max_token_value = std::max(max_token_value, t.rank);
    if (t.text == "<|endoftext|>") eot = t.rank;
  }
  std::sort(special_lengths.rbegin(), special_lengths.rend());
  special_single_first_byte = -1;
  if (!specials.empty() && std::count(special_first_byte.begin(), special_first_byte.end(), true) == 1)
    special_single_first_byte = static_cast<unsigned char>(specials.front().text[0]);
  // Decoding an id with several names (o200k_harmony's 200018 is both <|endofprompt|> and
  // <|reserved_200018|>; tiktoken's pick depends on hash order) takes the first name that does
  // not start with "<|reserved_", else the first in text order: deterministic and readable.
  for (std::size_t i = 0; i < specials.size(); ++i) {
    auto [it, inserted] = special_index.emplace(specials[i].rank, i);
    if (!inserted && specials[it->second].text.starts_with("<|reserved_") &&
        !specials[i].text.starts_with("<|reserved_"))
      it->second = i;
  }
}

namespace {

// Texts are claimed from a shared index in chunks of about this many bytes: one claim per tiny
// document made the index's cache line bounce between cores on every ~30-byte text (2 threads
// ran slower than 1 on 29-byte documents). A chunk is ~40 us of work, so a claim (~0.1-0.2 us
// when the line moves) is rare, and the last chunk leaves little idle time at the end.
constexpr std::size_t kChunkBytes = 4 * 1024;

// Never more threads than CPUs (but 2 on a 1-CPU machine, so the parallel path still runs and
// is tested there). Why: threads beyond the CPUs only take turns on them, with their memos
// competing for the caches; Python's encode_batch (tiktoken's default num_threads=8) ran at
// 49 MB/s on 2 CPUs with 8 threads and 115 MB/s with 2 (29-byte documents).
unsigned threads_for(std::size_t n, unsigned threads) {
  const unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
  if (threads == 0) threads = cpus;
  threads = std::min(threads, std::max(2u, cpus));
  return static_cast<unsigned>(std::min<std::size_t>(threads, n));
}

// Texts per claim: about kChunkBytes of text, and at least 16 claims per thread.
std::size_t grain_for(std::span<const std::string_view> texts, unsigned threads) {
  std::size_t bytes = 0;
  for (std::string_view t : texts) bytes += t.size();
  const std::size_t n = texts.size();
  const std::size_t by_bytes = kChunkBytes / std::max<std::size_t>(1, bytes / std::max<std::size_t>(1, n));
  const std::size_t by_balance = n / (16 * std::size_t{std::max(1u, threads)});
  return std::max<std::size_t>(1, std::min(by_bytes, by_balance));
}

// A batch's items [0, n), claimed `grain` at a time from a shared index by every thread that
// works on it, until none are left or `stop` is set.
struct Chunks {
  Chunks(std::size_t items, std::size_t per_claim) : n(items), grain(per_claim) {}
  std::size_t claim() {
    return stop.load(std::memory_order_relaxed) ? n : next.fetch_add(grain, std::memory_order_relaxed);
  }
  std::size_t end_of(std::size_t first) const { return std::min(n, first + grain); }
  const std::size_t n, grain;
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
};

// f(i), or its exception kept in errors[i] (batches report the first error in input order).
template <class F>
bool run_item(F& f, std::size_t i, std::vector<std::exception_ptr>& errors) {
  try {
    f(i);
    return true;
  } catch (...) {
    errors[i] = std::current_exception();
    return false;
  }
}

// Runs f(i) for i in [0, texts.size()) on up to `threads` threads (the caller and pool threads,
// see worker_pool.hpp); rethrows the error of the lowest index.
template <class F>
void parallel_for(std::span<const std::string_view> texts, unsigned threads, F&& f) {
  const std::size_t n = texts.size();
  threads = threads_for(n, threads);
  if (threads <= 1) {
    for (std::size_t i = 0; i < n; ++i) f(i);
    return;
  }
  Chunks chunks(n, grain_for(texts, threads));
  std::vector<std::exception_ptr> errors(n);
  auto work = [&] {
    for (std::size_t b; (b = chunks.claim()) < n;)
      for (std::size_t i = b, e = chunks.end_of(b); i < e; ++i) run_item(f, i, errors);
  };
  run_on_pool(threads - 1, work);
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

// encode_batch_in_order's shared state. Each text's state goes pending -> done | failed once,
// with a release store after its result is written; `finished` counts completed chunks so the
// caller can sleep (atomic wait) until a helper makes progress.
struct OrderedBatch {
  enum : std::uint8_t { kPending, kDone, kFailed };
  OrderedBatch(std::size_t n, std::size_t grain)
      : chunks(n, grain), results(n), errors(n), state(std::make_unique<std::atomic<std::uint8_t>[]>(n)) {}
  Chunks chunks;
  std::vector<std::vector<Rank>> results;
  std::vector<std::exception_ptr> errors;
  std::unique_ptr<std::atomic<std::uint8_t>[]> state;
  std::atomic<std::uint32_t> finished{0};
};

}  // namespace
}  // namespace detail

Encoding::Encoding(std::unique_ptr<detail::EncodingImpl> impl) : impl_(std::move(impl)) {}
Encoding::~Encoding() = default;

void Encoding::encode_into(std::string_view text, const EncodeOptions& options, std::vector<Rank>& out) const {
  // ~4 bytes per token on prose; the sink grows the vector if the text needs more.
  detail::VectorSink sink(out, text.size() / 3 + 16);
  impl_->encode_text(text, options, sink);
}

std::vector<Rank> Encoding::encode(std::string_view text, const EncodeOptions& options) const {
  std::vector<Rank> out;
  encode_into(text, options, out);
  return out;
}

std::vector<Rank> Encoding::encode_ordinary(std::string_view text, Utf8Mode utf8) const {
  EncodeOptions o;
  o.disallowed_special = TokenSet::none();
  o.utf8 = utf8;
  return encode(text, o);
}

std::size_t Encoding::count(std::string_view text, const EncodeOptions& options) const {
  detail::CountSink sink;
  impl_->encode_text(text, options, sink);
  return sink.count;
}

std::size_t Encoding::count_ordinary(std::string_view text, Utf8Mode utf8) const {
  EncodeOptions o;
  o.disallowed_special = TokenSet::none();
  o.utf8 = utf8;
  return count(text, o);
}

CountResult Encoding::count_up_to(std::string_view text, std::size_t limit, const EncodeOptions& options) const {
  detail::LimitSink sink{limit};
  impl_->encode_text(text, options, sink);
  return CountResult{sink.count, sink.exceeded};
}

std::vector<std::vector<Rank>> Encoding::encode_batch(std::span<const std::string_view> texts,
                                                      const EncodeOptions& options, unsigned num_threads) const {
  std::vector<std::vector<Rank>> out(texts.size());
  detail::parallel_for(texts, num_threads, [&](std::size_t i) { encode_into(texts[i], options, out[i]); });
  return out;
}

void Encoding::encode_batch_in_order(std::span<const std::string_view> texts, const EncodeOptions& options,
                                     unsigned num_threads, const BatchConsumer& deliver) const {
  // Why: a consumer that must run on one thread (building Python lists under the GIL) used to
  // start only after the whole batch was encoded, so its serial time was added to the parallel
  // part (Python's encode_batch gained little from a second thread). Here the caller hands
  // over finished runs while the helpers encode later texts, and encodes itself when nothing
  // is ready to hand over.
  const std::size_t n = texts.size();
  if (n == 0) return;
  const unsigned threads = detail::threads_for(n, num_threads);
  const std::size_t grain = threads <= 1 ? n : detail::grain_for(texts, threads);
  detail::OrderedBatch batch(n, grain);
  detail::Chunks& chunks = batch.chunks;
  auto encode = [&](std::size_t i) { encode_into(texts[i], options, batch.results[i]); };
  auto encode_chunk = [&](std::size_t b) {
    for (std::size_t i = b, e = chunks.end_of(b); i < e; ++i)
      batch.state[i].store(detail::run_item(encode, i, batch.errors) ? detail::OrderedBatch::kDone
                                                                     : detail::OrderedBatch::kFailed,
                           std::memory_order_release);
  };
  auto helper = [&] {
    for (std::size_t b; (b = chunks.claim()) < n;) {
      encode_chunk(b);
      batch.finished.fetch_add(1, std::memory_order_release);
      batch.finished.notify_one();
    }
  };
  std::exception_ptr failure;
  auto caller = [&] {
    try {
      for (std::size_t delivered = 0; delivered < n;) {
        std::size_t ready = delivered;
        while (ready < n && batch.state[ready].load(std::memory_order_acquire) == detail::OrderedBatch::kDone) ++ready;
        if (ready > delivered) {
          deliver(delivered, std::span<std::vector<Rank>>(batch.results.data() + delivered, ready - delivered));
          for (std::size_t i = delivered; i < ready; ++i) std::vector<Rank>().swap(batch.results[i]);  // free early
          delivered = ready;
          continue;
        }
        if (batch.state[delivered].load(std::memory_order_acquire) == detail::OrderedBatch::kFailed) {
          failure = batch.errors[delivered];  // the first error in input order: all before it were delivered
          break;
        }
        if (const std::size_t b = chunks.claim(); b < n) {
          encode_chunk(b);
          continue;
        }
        // Everything is claimed and text `delivered` is a helper's: sleep until a chunk finishes.
        const std::uint32_t seen = batch.finished.load(std::memory_order_acquire);
        if (batch.state[delivered].load(std::memory_order_acquire) == detail::OrderedBatch::kPending)
          batch.finished.wait(seen, std::memory_order_acquire);
      }
    } catch (...) {
      failure = std::current_exception();  // from deliver(); never across the pool
    }
    chunks.stop.store(true, std::memory_order_relaxed);  // helpers take no new chunks after a failure
  };
  detail::run_on_pool(threads - 1, helper, caller);
  if (failure) std::rethrow_exception(failure);
}

std::vector<std::size_t> Encoding::count_batch(std::span<const std::string_view> texts, const EncodeOptions& options,
                                               unsigned num_threads) const {
  std::vector<std::size_t> out(texts.size());
  detail::parallel_for(texts, num_threads, [&](std::size_t i) { out[i] = count(texts[i], options); });
  return out;
}

std::vector<Rank> Encoding::encode_bytes(std::string_view bytes) const {
  // tiktoken's _encode_bytes: encode the valid UTF-8 prefix, then re-encode the last piece's
  // tokens (widened over trailing whitespace tokens) together with the invalid tail as one
  // piece, because truncated UTF-8 most likely continues that piece.
  const std::size_t valid = find_invalid_utf8(bytes);
  if (valid == kNoOffset) return encode_ordinary(bytes);
  const detail::EncodingImpl& e = *impl_;
  std::vector<Rank> tokens;
  std::size_t last_piece_tokens = 0;
  const auto* s = reinterpret_cast<const std::uint8_t*>(bytes.data());
  e.for_each_piece(s, valid, [&](std::size_t b, std::size_t en) {
    last_piece_tokens = 0;
    merge::encode_piece(e.vocab, s + b, en - b, [&](Rank r) {
      tokens.push_back(r);
      ++last_piece_tokens;
    });
  });
  auto all_space = [&](Rank r) {
    const std::string_view t = e.vocab.bytes_of(r);
    if (t.empty()) return false;
    return std::all_of(t.begin(), t.end(), [](char c) { return c == ' ' || c == '\n' || c == '\t'; });
  };
  if (last_piece_tokens > 0 && all_space(tokens[tokens.size() - last_piece_tokens])) {
    while (last_piece_tokens < tokens.size() && all_space(tokens[tokens.size() - last_piece_tokens - 1]))
      ++last_piece_tokens;
  }
  std::string unstable;
  if (!tokens.empty() && last_piece_tokens > 0) {
    unstable = decode_bytes(std::span<const Rank>(tokens).last(last_piece_tokens));
    tokens.resize(tokens.size() - last_piece_tokens);
  }
  unstable.append(bytes.substr(valid));
  merge::encode_piece(e.vocab, reinterpret_cast<const std::uint8_t*>(unstable.data()), unstable.size(),
                      [&](Rank r) { tokens.push_back(r); });
  return tokens;
}

Rank Encoding::encode_single_token(std::string_view bytes) const {
  const Rank r = impl_->vocab.find(bytes);
  if (r != vocab::kNoRank) return r;
  auto it = impl_->special_rank.find(bytes);
  if (it != impl_->special_rank.end()) return it->second;
  throw Error(ErrorCode::kUnknownToken, "the bytes are not a single token", kNoOffset, std::string(bytes));
}

std::string_view Encoding::token_bytes(Rank token) const {
  const std::string_view b = impl_->vocab.bytes_of(token);
  if (!b.empty()) return b;
  auto it = impl_->special_index.find(token);
  if (it != impl_->special_index.end()) return impl_->specials[it->second].text;
  throw Error(ErrorCode::kUnknownToken, absl::StrCat("unknown token id ", token), kNoOffset, absl::StrCat(token));
}

bool Encoding::is_special_token(Rank token) const noexcept { return impl_->special_index.contains(token); }

std::string Encoding::decode_bytes(std::span<const Rank> tokens) const {
  std::string out;
  out.reserve(tokens.size() * 4);
  for (Rank t : tokens) out.append(token_bytes(t));
  return out;
}

std::string Encoding::decode(std::span<const Rank> tokens) const {
  std::string bytes = decode_bytes(tokens);
  if (find_invalid_utf8(bytes) == kNoOffset) return bytes;
  return replace_invalid_utf8(bytes);
}

const std::string& Encoding::name() const noexcept { return impl_->name; }
const std::string& Encoding::pat_str() const noexcept { return impl_->pat_str; }
std::size_t Encoding::n_vocab() const noexcept { return std::size_t{impl_->max_token_value} + 1; }
Rank Encoding::max_token_value() const noexcept { return impl_->max_token_value; }
std::optional<Rank> Encoding::eot_token() const noexcept { return impl_->eot; }
const std::vector<SpecialToken>& Encoding::special_tokens() const noexcept { return impl_->specials; }
std::size_t Encoding::mergeable_count() const noexcept { return impl_->vocab.n_tokens(); }

std::vector<std::pair<std::string, Rank>> Encoding::mergeable_ranks() const {
  std::vector<std::pair<std::string, Rank>> out;
  out.reserve(impl_->vocab.n_tokens());
  for (Rank r = 0; r < impl_->vocab.rank_limit(); ++r) {
    const std::string_view b = impl_->vocab.bytes_of(r);
    if (!b.empty()) out.emplace_back(std::string(b), r);
  }
  return out;
}

const char* Encoding::pretokenizer_kind() const noexcept {
  switch (impl_->kind) {
    case pretok::PatternKind::kR50k: return "r50k";
    case pretok::PatternKind::kCl100k: return "cl100k";
    case pretok::PatternKind::kO200k: return "o200k";
    case pretok::PatternKind::kRegex: break;
  }
  return "re2";
}

}  // namespace tokcount
