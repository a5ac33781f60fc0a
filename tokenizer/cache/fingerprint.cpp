// Fingerprints (research prompt-cache.md §6.4): chained block hashes over rendered tokens.
//
// Compatibility modes reproduce two engines' published definitions byte for byte:
//   SGLang  python/sglang/srt/mem_cache/hicache_storage.py get_hash_str(token_ids, prior_hash):
//           sha256(bytes.fromhex(prior_hash) if prior_hash, then each token id as 4-byte
//           little-endian unsigned).hexdigest(); hash_str_to_int64 = int(hex[:16], 16) as a
//           signed 64-bit value.
//   vLLM    vllm/v1/core/kv_cache_utils.py hash_block_tokens(hash_fn, parent, tokens, extra)
//           = hash_fn((parent or NONE_HASH, tuple(tokens), extra_keys)); with
//           --prefix-caching-hash-algo sha256_cbor, hash_fn(x) = sha256(cbor2.dumps(x,
//           canonical=True)) (vllm/utils/hashing.py); NONE_HASH = hash_fn(PYTHONHASHSEED);
//           extra_keys = tuple(lora name + mm keys + cache_salt on the first block) or None.
// SHA-256 is OpenSSL's (libcrypto). CBOR: only the structure above is ever hashed (a 3-array of
// a 32-byte string, an array of unsigned ints and null or an array of text strings, or one text
// string for the seed), so a 40-line canonical encoder is written here rather than pulling a
// general CBOR library (Debian's libcbor has no canonical mode to match cbor2's output).
#include <openssl/evp.h>
#include <xxhash.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>

#include "cache/cache_internal.hpp"
#include "tokcount/cache.hpp"

namespace tokcount::cache {

std::string to_hex(const std::uint8_t* bytes, std::size_t n) {
  static const char* kDigits = "0123456789abcdef";
  std::string s(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    s[2 * i] = kDigits[bytes[i] >> 4];
    s[2 * i + 1] = kDigits[bytes[i] & 15];
  }
  return s;
}

const char* hash_mode_name(HashMode m) noexcept {
  switch (m) {
    case HashMode::kXxh3: return "xxh3";
    case HashMode::kSglang: return "sglang";
    case HashMode::kVllmSha256Cbor: return "vllm_sha256_cbor";
  }
  return "?";
}

std::optional<HashMode> parse_hash_mode(std::string_view n) noexcept {
  if (n == "xxh3") return HashMode::kXxh3;
  if (n == "sglang") return HashMode::kSglang;
  if (n == "vllm_sha256_cbor" || n == "vllm") return HashMode::kVllmSha256Cbor;
  return std::nullopt;
}

namespace {

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) {
    if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1)
      throw Error(ErrorCode::kInternal, "OpenSSL SHA-256 unavailable");
  }
  ~Sha256() { EVP_MD_CTX_free(ctx_); }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* p, std::size_t n) { EVP_DigestUpdate(ctx_, p, n); }
  Hash256 digest() {
    Hash256 h{};
    unsigned len = 0;
    EVP_DigestFinal_ex(ctx_, h.data(), &len);
    return h;
  }

 private:
  EVP_MD_CTX* ctx_;
};

void put_u32le(std::string& out, Rank t) {
  const char b[4] = {static_cast<char>(t & 0xFF), static_cast<char>((t >> 8) & 0xFF), static_cast<char>((t >> 16) & 0xFF),
                     static_cast<char>((t >> 24) & 0xFF)};
  out.append(b, 4);
}

// CBOR head: major type + argument in the shortest form (canonical).
void cbor_head(std::string& out, unsigned major, std::uint64_t v) {
  const char m = static_cast<char>(major << 5);
  if (v < 24) {
    out += static_cast<char>(m | static_cast<char>(v));
  } else if (v <= 0xFF) {
    out += static_cast<char>(m | 24);
    out += static_cast<char>(v);
  } else if (v <= 0xFFFF) {
    out += static_cast<char>(m | 25);
    for (int s = 8; s >= 0; s -= 8) out += static_cast<char>((v >> s) & 0xFF);
  } else if (v <= 0xFFFFFFFFull) {
    out += static_cast<char>(m | 26);
    for (int s = 24; s >= 0; s -= 8) out += static_cast<char>((v >> s) & 0xFF);
  } else {
    out += static_cast<char>(m | 27);
    for (int s = 56; s >= 0; s -= 8) out += static_cast<char>((v >> s) & 0xFF);
  }
}

void cbor_text(std::string& out, std::string_view s) {
  cbor_head(out, 3, s.size());
  out.append(s.data(), s.size());
}

Hash256 sha256_of(std::string_view bytes) {
  Sha256 h;
  h.update(bytes.data(), bytes.size());
  return h.digest();
}

Hash128 xxh128(const void* p, std::size_t n) {
  XXH128_canonical_t c;
  XXH128_canonicalFromHash(&c, XXH3_128bits(p, n));
  Hash128 h;
  std::memcpy(h.data(), c.digest, 16);
  return h;
}

std::vector<std::uint8_t> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) throw Error(ErrorCode::kInvalidArgument, "hex digest of odd length");
  std::vector<std::uint8_t> out;
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int a = nib(hex[i]), b = nib(hex[i + 1]);
    if (a < 0 || b < 0) throw Error(ErrorCode::kInvalidArgument, "not a hex digest: '" + std::string(hex) + "'");
    out.push_back(static_cast<std::uint8_t>(a * 16 + b));
  }
  return out;
}

}  // namespace

Hash128 namespace_root(std::string_view provider, std::string_view model, std::string_view scope,
                       std::string_view extra) {
  std::string s = "pcfp/v1";
  for (std::string_view part : {provider, model, scope, extra}) {
    s += '\0';
    s.append(part.data(), part.size());
  }
  return xxh128(s.data(), s.size());
}

std::vector<Hash128> xxh3_block_hashes(const Rank* tokens, std::size_t n, std::size_t block_size, const Hash128& root) {
  if (block_size == 0) throw Error(ErrorCode::kInvalidArgument, "block size must be positive");
  std::vector<Hash128> out;
  out.reserve(n / block_size);
  std::string buf;
  Hash128 prev = root;
  for (std::size_t b = 0; b + block_size <= n; b += block_size) {
    buf.assign(reinterpret_cast<const char*>(prev.data()), 16);
    for (std::size_t i = b; i < b + block_size; ++i) put_u32le(buf, tokens[i]);
    prev = xxh128(buf.data(), buf.size());
    out.push_back(prev);
  }
  return out;
}

std::string sglang_hash_str(const Rank* tokens, std::size_t n, std::string_view prior_hash_hex) {
  Sha256 h;
  if (!prior_hash_hex.empty()) {
    const std::vector<std::uint8_t> prior = from_hex(prior_hash_hex);
    h.update(prior.data(), prior.size());
  }
  std::string buf;
  buf.reserve(n * 4);
  for (std::size_t i = 0; i < n; ++i) put_u32le(buf, tokens[i]);
  h.update(buf.data(), buf.size());
  return to_hex(h.digest());
}

std::int64_t sglang_hash_to_int64(std::string_view hex) {
  if (hex.size() < 16) throw Error(ErrorCode::kInvalidArgument, "hash string shorter than 16 hex digits");
  const std::vector<std::uint8_t> b = from_hex(hex.substr(0, 16));
  std::uint64_t v = 0;
  for (std::uint8_t x : b) v = (v << 8) | x;
  return static_cast<std::int64_t>(v);  // two's complement, as SGLang's explicit wrap
}

Hash256 vllm_none_hash(std::string_view seed) {
  std::string cbor;
  cbor_text(cbor, seed);
  return sha256_of(cbor);
}

std::string vllm_block_cbor(const Hash256& parent, const Rank* tokens, std::size_t n,
                            const std::vector<std::string>* extra) {
  std::string out;
  out.reserve(40 + n * 5);
  cbor_head(out, 4, 3);
  cbor_head(out, 2, parent.size());
  out.append(reinterpret_cast<const char*>(parent.data()), parent.size());
  cbor_head(out, 4, n);
  for (std::size_t i = 0; i < n; ++i) cbor_head(out, 0, tokens[i]);
  if (extra == nullptr || extra->empty()) {
    out += static_cast<char>(0xF6);  // null
  } else {
    cbor_head(out, 4, extra->size());
    for (const std::string& e : *extra) cbor_text(out, e);
  }
  return out;
}

std::vector<Hash256> vllm_block_hashes(const Rank* tokens, std::size_t n, std::size_t block_size,
                                       std::string_view seed, const std::optional<std::string>& lora_name,
                                       const std::optional<std::string>& cache_salt) {
  if (block_size == 0) throw Error(ErrorCode::kInvalidArgument, "block size must be positive");
  std::vector<Hash256> out;
  Hash256 parent = vllm_none_hash(seed);
  for (std::size_t b = 0; b + block_size <= n; b += block_size) {
    std::vector<std::string> extra;
    if (lora_name && !lora_name->empty()) extra.push_back(*lora_name);
    if (b == 0 && cache_salt && !cache_salt->empty()) extra.push_back(*cache_salt);
    parent = sha256_of(vllm_block_cbor(parent, tokens + b, block_size, &extra));
    out.push_back(parent);
  }
  return out;
}

namespace {

std::size_t default_block(HashMode m) {
  switch (m) {
    case HashMode::kXxh3: return 128;
    case HashMode::kVllmSha256Cbor: return 16;
    case HashMode::kSglang: return 1;
  }
  return 128;
}

}  // namespace

Fingerprint fingerprint_tokens(const std::vector<Rank>& tokens, const FingerprintOptions& o,
                               std::string_view namespace_key) {
  Fingerprint f;
  f.mode = o.mode;
  f.block_size = o.block_size ? o.block_size : default_block(o.mode);
  f.tokens = tokens.size();
  switch (o.mode) {
    case HashMode::kXxh3: {
      const Hash128 root = xxh128(namespace_key.data(), namespace_key.size());
      f.root = to_hex(root);
      for (const Hash128& h : xxh3_block_hashes(tokens.data(), tokens.size(), f.block_size, root)) f.blocks.push_back(to_hex(h));
      break;
    }
    case HashMode::kSglang: {
      f.root = o.sglang_prior_hash;
      std::string prior = o.sglang_prior_hash;
      // Pages chain like SGLang's hicache: each page's digest is the next page's prior; only
      // full pages are stored (keys are truncated to a page multiple).
      for (std::size_t b = 0; b + f.block_size <= tokens.size(); b += f.block_size) {
        prior = sglang_hash_str(tokens.data() + b, f.block_size, prior);
        f.blocks.push_back(prior);
      }
      break;
    }
    case HashMode::kVllmSha256Cbor: {
      f.root = to_hex(vllm_none_hash(o.vllm_seed));
      for (const Hash256& h : vllm_block_hashes(tokens.data(), tokens.size(), f.block_size, o.vllm_seed, o.vllm_lora_name,
                                                o.vllm_cache_salt))
        f.blocks.push_back(to_hex(h));
      break;
    }
  }
  return f;
}

namespace {

std::string prompt_namespace(const Prompt& p) {
  // Root of the xxh3 chain (§6.2): provider, model, scope, and what OpenAI folds into the root.
  std::string s = "pcfp/v1";
  for (const std::string& part : {std::string(provider_name(p.provider)), p.params.model, p.params.scope,
                                  p.params.reasoning_effort})
    s += '\0' + part;
  return s;
}

}  // namespace

chat::Request normalized_request(const chat::Request& in) {
  chat::Request r = in;
  auto norm = [](std::string& s) { s = detail::mask_volatile(detail::normalize_text(s)); };
  for (chat::FunctionDef& f : r.tools) {
    if (f.description) norm(*f.description);
    if (f.parameters_json) f.parameters_json = detail::canonical_json_normalized(*f.parameters_json);
  }
  std::stable_sort(r.tools.begin(), r.tools.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  if (r.response_format.schema_json) r.response_format.schema_json = detail::canonical_json_normalized(*r.response_format.schema_json);
  for (chat::Message& m : r.messages) {
    for (chat::ContentPart& p : m.content)
      if (p.type != chat::ContentPart::Type::kImageUrl) norm(p.text);
    for (chat::ToolCall& c : m.tool_calls) c.arguments = detail::canonical_json_normalized(c.arguments);
    if (m.function_call) m.function_call->arguments = detail::canonical_json_normalized(m.function_call->arguments);
  }
  return r;
}

Fingerprint fingerprint(const Prompt& p, const FingerprintOptions& o) {
  Fingerprint f = fingerprint_tokens(p.rendered.tokens, o, prompt_namespace(p));
  if (o.normalized) {
    chat::Options copts;
    copts.model = p.rendered.model;
    copts.unknown_image_size = chat::UnknownImageSize::kWorstCase;
    const chat::Result n = chat::render(normalized_request(p.request), copts);
    FingerprintOptions xo;
    xo.block_size = o.mode == HashMode::kXxh3 ? f.block_size : 128;
    const Fingerprint nf = fingerprint_tokens(n.tokens, xo, prompt_namespace(p) + std::string(1, '\0') + "normalized");
    f.normalized_blocks = nf.blocks;
  }
  return f;
}

std::string fingerprint_json(const Fingerprint& f) {
  nlohmann::ordered_json j;
  j["mode"] = hash_mode_name(f.mode);
  j["block_size"] = f.block_size;
  j["tokens"] = f.tokens;
  j["root"] = f.root;
  j["blocks"] = f.blocks;
  if (!f.normalized_blocks.empty()) j["normalized_blocks"] = f.normalized_blocks;
  return j.dump();
}

}  // namespace tokcount::cache
