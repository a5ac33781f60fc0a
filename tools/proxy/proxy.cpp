// tokcount-proxy: a counting reverse proxy for OpenAI's Chat Completions API.
//
//   client ──POST /v1/chat/completions──► proxy ──► upstream (e.g. https://api.openai.com)
//
// Before forwarding it counts the prompt's tokens with the model's encoding and rejects a
// request over --max-prompt-tokens (400) or from a key whose counted total is over
// --key-budget (429), with OpenAI's error body ({"error": {message, type, param, code}}). The
// response is relayed as it arrives: each upstream read is written to the client at once (a
// chunked response), and only then fed to a tokcount::sse::ChatStream that counts the visible
// output exactly. Per-key totals are served at /metrics in Prometheus' text format, keys named
// by a SHA-256 prefix of the API key (the key itself is never stored, logged or exposed).
//
// Built on cpp-httplib (Debian's libcpp-httplib, with OpenSSL, so the upstream may be https).
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <CLI/CLI.hpp>

#include <atomic>
#include <cctype>
#include <memory>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <deque>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "tokcount/chat.hpp"
#include "tokcount/sse.hpp"
#include "tokcount/tokcount.hpp"

namespace tokcount::proxy {
namespace {

using nlohmann::json;

struct Config {
  std::string listen_host = "127.0.0.1";
  int listen_port = 8080;
  std::string upstream = "https://api.openai.com";  // scheme://host[:port]
  std::string upstream_prefix;                       // a path the upstream is mounted under
  std::size_t max_prompt_tokens = 0;  // 0: no limit
  std::size_t key_budget = 0;         // 0: no limit
  int upstream_timeout_s = 600;
  std::size_t max_body_bytes = std::size_t{32} << 20;
  bool verify_tls = true;
  std::string ca_file;  // extra trusted CA certificates (PEM) for an https upstream
  std::string fallback_encoding;  // empty: a model tiktoken does not know is rejected (400)
  // Remote image URLs are never fetched: their size is unknown, so by default they count at
  // the most tokens any image can cost on the model (a budget is then never under-enforced).
  chat::UnknownImageSize unknown_image_size = chat::UnknownImageSize::kWorstCase;
};

// ---- keys and metrics ------------------------------------------------------------------------

// "sha256:<first 16 hex digits>" of the bearer token; enough to tell keys apart in metrics,
// useless for recovering the key.
std::string key_label(const httplib::Request& req) {
  std::string auth = req.get_header_value("Authorization");
  if (auth.rfind("Bearer ", 0) == 0) auth.erase(0, 7);
  if (auth.empty()) return "anonymous";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(auth.data(), auth.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned i = 0; i < 8 && i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

struct KeyTotals {
  std::uint64_t forwarded = 0, rejected_prompt = 0, rejected_budget = 0, bad_request = 0, upstream_error = 0;
  std::uint64_t prompt_tokens = 0;            // counted here before forwarding
  std::uint64_t completion_tokens = 0;        // visible output counted as it passed
  std::uint64_t reported_prompt_tokens = 0;   // usage sent by the upstream, when it sent one
  std::uint64_t reported_completion_tokens = 0;
  std::uint64_t reported_reasoning_tokens = 0;
  std::uint64_t count_errors = 0;             // responses whose stream could not be parsed
  std::uint64_t uncertain_prompt = 0;         // forwarded requests whose count rests on an uncertain rule
};

class Metrics {
 public:
  template <class F>
  void update(const std::string& key, F&& f) {
    std::lock_guard<std::mutex> lock(mu_);
    f(keys_[key]);
  }
  std::uint64_t used(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    const auto it = keys_.find(key);
    return it == keys_.end() ? 0 : it->second.prompt_tokens + it->second.completion_tokens;
  }
  // Prometheus text exposition format 0.0.4.
  std::string render() {
    std::lock_guard<std::mutex> lock(mu_);
    std::string out;
    auto family = [&](const char* name, const char* help, auto field, const char* extra_label = nullptr) {
      out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n";
      for (const auto& [key, t] : keys_) {
        out += name;
        out += "{key=\"" + key + "\"";
        if (extra_label) out += std::string(",") + extra_label;
        out += "} " + std::to_string(t.*field) + "\n";
      }
    };
    out += "# HELP tokcount_proxy_requests_total Chat Completions requests by outcome.\n"
           "# TYPE tokcount_proxy_requests_total counter\n";
    for (const auto& [key, t] : keys_) {
      const std::pair<const char*, std::uint64_t> outcomes[] = {{"forwarded", t.forwarded},
                                                                {"rejected_prompt_tokens", t.rejected_prompt},
                                                                {"rejected_key_budget", t.rejected_budget},
                                                                {"bad_request", t.bad_request},
                                                                {"upstream_error", t.upstream_error}};
      for (const auto& [outcome, n] : outcomes)
        out += "tokcount_proxy_requests_total{key=\"" + key + "\",outcome=\"" + outcome + "\"} " + std::to_string(n) + "\n";
    }
    family("tokcount_proxy_prompt_tokens_total", "Prompt tokens counted by tokcount before forwarding.",
           &KeyTotals::prompt_tokens);
    family("tokcount_proxy_uncertain_prompt_counts_total",
           "Forwarded requests whose prompt count rests on a rule the chat spec marks uncertain "
           "(undocumented layouts, worst-case images).",
           &KeyTotals::uncertain_prompt);
    family("tokcount_proxy_completion_tokens_total",
           "Visible completion tokens (content, refusal, tool-call names and arguments) counted as they streamed.",
           &KeyTotals::completion_tokens);
    family("tokcount_proxy_reported_prompt_tokens_total", "usage.prompt_tokens reported by the upstream.",
           &KeyTotals::reported_prompt_tokens);
    family("tokcount_proxy_reported_completion_tokens_total", "usage.completion_tokens reported by the upstream.",
           &KeyTotals::reported_completion_tokens);
    family("tokcount_proxy_reported_reasoning_tokens_total",
           "usage.completion_tokens_details.reasoning_tokens reported by the upstream (never visible).",
           &KeyTotals::reported_reasoning_tokens);
    family("tokcount_proxy_count_errors_total", "Responses whose body could not be parsed for counting.",
           &KeyTotals::count_errors);
    return out;
  }

 private:
  std::mutex mu_;
  std::map<std::string, KeyTotals> keys_;
};

// ---- OpenAI-style errors ----------------------------------------------------------------------

void send_error(httplib::Response& res, int status, const std::string& message, const char* type, const char* code,
                const char* param = nullptr) {
  json e = {{"error", {{"message", message}, {"type", type}, {"param", param ? json(param) : json(nullptr)},
                       {"code", code}}}};
  res.status = status;
  res.set_content(e.dump(), "application/json");
}

// ---- relaying ----------------------------------------------------------------------------------

// Header names compare case-insensitively (RFC 9110 §5.1).
bool same_name(const std::string& name, const char* lower) {
  std::string l = name;
  for (char& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return l == lower;
}

bool hop_by_hop(const std::string& name) {
  static const char* const kNames[] = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
                                       "te",         "trailer",    "transfer-encoding",  "upgrade",
                                       "host",       "content-length", "accept-encoding", "content-encoding"};
  std::string lower = name;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* n : kNames)
    if (lower == n) return true;
  return false;
}

// Upstream reads handed from the upstream thread to the client connection, in order.
struct Relay {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> chunks;
  bool head_ready = false, done = false, client_gone = false;
  int status = 0;
  httplib::Headers headers;
  std::string failure;  // upstream connection error
  std::shared_ptr<httplib::Client> client;  // to stop a stalled upstream when the client left
  std::thread worker;

  void push(const char* data, std::size_t n) {
    std::lock_guard<std::mutex> lock(mu);
    chunks.emplace_back(data, n);
    cv.notify_all();
  }
};

class Proxy {
 public:
  explicit Proxy(Config c) : config_(std::move(c)) {}

  void chat_completions(const httplib::Request& req, httplib::Response& res) {
    const std::string key = key_label(req);
    // The chat module renders the request exactly as the API bills it (message wrappers, names,
    // the hidden tool rendering, images, harmony for gpt-oss): the same code as `tokcount chat`.
    chat::Options options;
    options.encoding = config_.fallback_encoding;  // models tiktoken does not know
    options.unknown_image_size = config_.unknown_image_size;
    chat::Result prompt;
    try {
      prompt = chat::render_json(req.body, options);
    } catch (const Error& e) {
      metrics_.update(key, [](KeyTotals& t) { ++t.bad_request; });
      switch (e.code()) {
        case ErrorCode::kParseError:
          return send_error(res, 400, std::string("We could not parse the JSON body of your request: ") + e.what(),
                            "invalid_request_error", "invalid_json");
        case ErrorCode::kUnknownModel:
          return send_error(res, 400,
                            std::string("tokcount-proxy cannot count tokens for this model (start the proxy with "
                                        "--fallback-encoding to count unknown models): ") +
                                e.what(),
                            "invalid_request_error", "model_not_found", "model");
        default:
          return send_error(res, 400, std::string("Invalid request: ") + e.what(), "invalid_request_error",
                            "invalid_value");
      }
    }
    const EncodingPtr enc = Encoding::get(prompt.encoding);
    if (config_.max_prompt_tokens > 0 && prompt.prompt_tokens > config_.max_prompt_tokens) {
      metrics_.update(key, [](KeyTotals& t) { ++t.rejected_prompt; });
      return send_error(res, 400,
                        "This request has " + std::to_string(prompt.prompt_tokens) + " prompt tokens (counted by tokcount with " +
                            enc->name() + "), over this proxy's limit of " + std::to_string(config_.max_prompt_tokens) +
                            ".",
                        "invalid_request_error", "prompt_token_budget_exceeded", "messages");
    }
    if (config_.key_budget > 0 && metrics_.used(key) + prompt.prompt_tokens > config_.key_budget) {
      metrics_.update(key, [](KeyTotals& t) { ++t.rejected_budget; });
      return send_error(res, 429,
                        "This API key has used its token budget on this proxy (" + std::to_string(config_.key_budget) +
                            " tokens).",
                        "insufficient_quota", "token_budget_exceeded");
    }
    metrics_.update(key, [&](KeyTotals& t) {
      ++t.forwarded;
      t.prompt_tokens += prompt.prompt_tokens;
      if (prompt.uncertain) ++t.uncertain_prompt;
    });
    forward(req, res, key, enc, prompt.prompt_tokens);
  }

  std::string metrics() { return metrics_.render(); }

 private:
  // Streams the upstream's answer through. The upstream request runs on its own thread so that
  // the client gets each read as soon as it arrives; the response's releaser joins it.
  void forward(const httplib::Request& req, httplib::Response& res, const std::string& key, const EncodingPtr& enc,
               std::size_t prompt_tokens) {
    auto relay = std::make_shared<Relay>();
    httplib::Headers headers;
    for (const auto& [name, value] : req.headers)
      if (!hop_by_hop(name) && name.rfind("REMOTE_", 0) != 0 && name.rfind("LOCAL_", 0) != 0) headers.emplace(name, value);
    const std::string path = req.path;
    const std::string body = req.body;
    const Config& config = config_;
    Metrics& metrics = metrics_;
    relay->worker = std::thread([relay, headers, path, body, key, enc, &config, &metrics] {
      sse::ChatStreamOptions opts;
      opts.encoding = enc;
      opts.keep_text = false;
      sse::ChatStream counter(opts);
      bool counting = true, is_sse = false;
      std::string plain_body;  // a non-streamed JSON answer, counted at the end
      auto client = std::make_shared<httplib::Client>(config.upstream);
      httplib::Client& cli = *client;
      cli.set_read_timeout(config.upstream_timeout_s, 0);
      cli.set_write_timeout(60, 0);
      cli.set_connection_timeout(30, 0);
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
      cli.enable_server_certificate_verification(config.verify_tls);
      if (!config.ca_file.empty()) cli.set_ca_cert_path(config.ca_file.c_str());
#endif
      {
        std::lock_guard<std::mutex> lock(relay->mu);
        relay->client = client;
      }
      httplib::Request up;
      up.method = "POST";
      up.path = config.upstream_prefix + path;
      up.headers = headers;
      up.body = body;
      up.response_handler = [&](const httplib::Response& r) {
        std::lock_guard<std::mutex> lock(relay->mu);
        relay->status = r.status;
        relay->headers = r.headers;
        relay->head_ready = true;
        is_sse = r.get_header_value("Content-Type").find("text/event-stream") != std::string::npos;
        relay->cv.notify_all();
        return true;
      };
      up.content_receiver = [&](const char* data, std::size_t n, std::uint64_t, std::uint64_t) {
        relay->push(data, n);  // to the client first: counting never delays the bytes
        if (is_sse && counting) {
          try {
            counter.feed(std::string_view(data, n));
          } catch (const Error&) {
            counting = false;
          }
        } else if (!is_sse && plain_body.size() < config.max_body_bytes) {
          plain_body.append(data, n);
        }
        std::lock_guard<std::mutex> lock(relay->mu);
        return !relay->client_gone;
      };
      httplib::Response up_res;
      httplib::Error err = httplib::Error::Success;
      const bool ok = cli.send(up, up_res, err);

      std::uint64_t visible = 0, reported_prompt = 0, reported_completion = 0, reasoning = 0;
      bool count_error = false;
      if (is_sse) {
        if (counting) {
          try {
            counter.finish();
          } catch (const Error&) {
            counting = false;
          }
        }
        count_error = !counting;
        visible = counter.completion_tokens();
        if (const auto& u = counter.result().usage) {
          reported_prompt = u->prompt_tokens;
          reported_completion = u->completion_tokens;
          reasoning = u->reasoning_tokens.value_or(0);
        }
      } else if (ok && relay->status / 100 == 2) {
        try {
          const json j = json::parse(plain_body);
          for (const auto& c : j.value("choices", json::array())) {
            const json msg = c.value("message", json::object());
            for (const char* field : {"content", "refusal"})
              if (msg.contains(field) && msg[field].is_string()) visible += enc->count_ordinary(msg[field].get<std::string>());
            for (const auto& tc : msg.value("tool_calls", json::array())) {
              const json fn = tc.value("function", json::object());
              for (const char* field : {"name", "arguments"})
                if (fn.contains(field) && fn[field].is_string()) visible += enc->count_ordinary(fn[field].get<std::string>());
            }
          }
          if (j.contains("usage") && j["usage"].is_object()) {
            reported_prompt = j["usage"].value("prompt_tokens", 0u);
            reported_completion = j["usage"].value("completion_tokens", 0u);
            if (j["usage"].contains("completion_tokens_details") && j["usage"]["completion_tokens_details"].is_object())
              reasoning = j["usage"]["completion_tokens_details"].value("reasoning_tokens", 0u);
          }
        } catch (const std::exception&) {
          count_error = true;
        }
      }
      metrics.update(key, [&](KeyTotals& t) {
        t.completion_tokens += visible;
        t.reported_prompt_tokens += reported_prompt;
        t.reported_completion_tokens += reported_completion;
        t.reported_reasoning_tokens += reasoning;
        if (count_error) ++t.count_errors;
        if (!ok && !relay->head_ready) ++t.upstream_error;
      });
      std::lock_guard<std::mutex> lock(relay->mu);
      if (!ok && !relay->head_ready) relay->failure = httplib::to_string(err);
      relay->done = true;
      relay->head_ready = true;
      relay->cv.notify_all();
    });

    {
      std::unique_lock<std::mutex> lock(relay->mu);
      relay->cv.wait(lock, [&] { return relay->head_ready; });
      if (!relay->failure.empty() || relay->status == 0) {
        const std::string why = relay->failure.empty() ? "no response" : relay->failure;
        lock.unlock();
        relay->worker.join();
        return send_error(res, 502, "The upstream could not be reached: " + why, "upstream_error", "bad_gateway");
      }
      res.status = relay->status;
      for (const auto& [name, value] : relay->headers)
        if (!hop_by_hop(name) && !same_name(name, "content-type")) res.headers.emplace(name, value);
      // The count the budget was checked against, for clients that want it before usage arrives.
      res.set_header("X-Tokcount-Prompt-Tokens", std::to_string(prompt_tokens));
    }
    std::string content_type;
    for (const auto& [name, value] : relay->headers)
      if (same_name(name, "content-type")) content_type = value;
    if (content_type.empty()) content_type = "application/octet-stream";
    res.set_chunked_content_provider(
        content_type,
        [relay](std::size_t, httplib::DataSink& sink) {
          std::unique_lock<std::mutex> lock(relay->mu);
          relay->cv.wait(lock, [&] { return !relay->chunks.empty() || relay->done; });
          if (relay->chunks.empty()) {
            lock.unlock();
            sink.done();
            return true;
          }
          std::string chunk = std::move(relay->chunks.front());
          relay->chunks.pop_front();
          lock.unlock();
          if (!sink.is_writable() || !sink.write(chunk.data(), chunk.size())) {
            std::lock_guard<std::mutex> g(relay->mu);
            relay->client_gone = true;
            return false;
          }
          return true;
        },
        [relay](bool) {
          std::shared_ptr<httplib::Client> stalled;
          {
            std::lock_guard<std::mutex> lock(relay->mu);
            if (!relay->done) {
              relay->client_gone = true;
              stalled = relay->client;
            }
          }
          if (stalled) stalled->stop();  // the client left: do not wait for the upstream
          if (relay->worker.joinable()) relay->worker.join();
        });
  }

  Config config_;
  Metrics metrics_;
};

std::atomic<httplib::Server*> g_server{nullptr};

void stop_server(int) {
  if (httplib::Server* s = g_server.load()) s->stop();
}

int run(int argc, char** argv) {
  Config c;
  std::string listen = "127.0.0.1:8080";
  CLI::App app("tokcount-proxy: counts Chat Completions tokens exactly while forwarding them", "tokcount-proxy");
  app.add_option("--listen", listen, "HOST:PORT to listen on (port 0 picks a free one, printed on stdout)")
      ->envname("TOKCOUNT_PROXY_LISTEN")
      ->capture_default_str();
  app.add_option("--upstream", c.upstream, "Upstream base URL, http:// or https:// (a path is kept as a prefix)")
      ->envname("TOKCOUNT_PROXY_UPSTREAM")
      ->capture_default_str();
  app.add_option("--max-prompt-tokens", c.max_prompt_tokens, "Reject requests with more prompt tokens (0 = no limit)")
      ->envname("TOKCOUNT_PROXY_MAX_PROMPT_TOKENS");
  app.add_option("--key-budget", c.key_budget,
                 "Reject requests from a key whose counted prompt + completion tokens would pass this (0 = no limit)")
      ->envname("TOKCOUNT_PROXY_KEY_BUDGET");
  app.add_option("--upstream-timeout", c.upstream_timeout_s, "Seconds to wait for upstream data")
      ->envname("TOKCOUNT_PROXY_UPSTREAM_TIMEOUT")
      ->capture_default_str();
  app.add_option("--ca-file", c.ca_file, "PEM file of CA certificates to trust for an https upstream")
      ->envname("TOKCOUNT_PROXY_CA_FILE");
  app.add_option("--fallback-encoding", c.fallback_encoding,
                 "Encoding for models tiktoken does not know (default: reject them with a 400)")
      ->envname("TOKCOUNT_PROXY_FALLBACK_ENCODING");
  std::string image_policy = "worst-case";
  app.add_option("--unknown-image-size", image_policy,
                 "Remote images (never fetched): 'worst-case' counts the most an image can cost, 'reject' refuses "
                 "the request")
      ->check(CLI::IsMember({"worst-case", "reject"}))
      ->capture_default_str();
  bool insecure = false;
  app.add_flag("--insecure", insecure, "Do not verify the upstream's TLS certificate (testing only)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  c.verify_tls = !insecure;
  c.unknown_image_size =
      image_policy == "reject" ? chat::UnknownImageSize::kError : chat::UnknownImageSize::kWorstCase;
  if (!c.fallback_encoding.empty()) {
    try {
      (void)Encoding::get(c.fallback_encoding);
    } catch (const Error& e) {
      std::cerr << "tokcount-proxy: error: --fallback-encoding: " << e.what() << "\n";
      return 2;
    }
  }
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    std::cerr << "tokcount-proxy: error: --listen must be HOST:PORT\n";
    return 2;
  }
  c.listen_host = listen.substr(0, colon);
  try {
    c.listen_port = std::stoi(listen.substr(colon + 1));
  } catch (const std::exception&) {
    std::cerr << "tokcount-proxy: error: --listen must be HOST:PORT\n";
    return 2;
  }
  if (c.upstream.rfind("http://", 0) != 0 && c.upstream.rfind("https://", 0) != 0) {
    std::cerr << "tokcount-proxy: error: --upstream must start with http:// or https://\n";
    return 2;
  }
  while (!c.upstream.empty() && c.upstream.back() == '/') c.upstream.pop_back();
  // "https://host/some/prefix": requests go to /some/prefix/v1/chat/completions.
  if (const std::size_t slash = c.upstream.find('/', c.upstream.find("://") + 3); slash != std::string::npos) {
    c.upstream_prefix = c.upstream.substr(slash);
    c.upstream.resize(slash);
  }

  Proxy proxy(c);
  httplib::Server server;
  server.Post("/v1/chat/completions",
              [&](const httplib::Request& req, httplib::Response& res) { proxy.chat_completions(req, res); });
  server.Get("/metrics", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(proxy.metrics(), "text/plain; version=0.0.4; charset=utf-8");
  });
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });
  server.set_payload_max_length(c.max_body_bytes);
  server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    send_error(res, 500, "tokcount-proxy internal error", "server_error", "internal_error");
  });

  int port = c.listen_port;
  if (port == 0) {
    port = server.bind_to_any_port(c.listen_host.c_str());
  } else if (!server.bind_to_port(c.listen_host.c_str(), port)) {
    port = -1;
  }
  if (port < 0) {
    std::cerr << "tokcount-proxy: error: cannot listen on " << listen << "\n";
    return 1;
  }
  std::printf("tokcount-proxy listening on http://%s:%d, upstream %s\n", c.listen_host.c_str(), port, c.upstream.c_str());
  std::fflush(stdout);
  g_server = &server;
  std::signal(SIGINT, stop_server);
  std::signal(SIGTERM, stop_server);
  std::signal(SIGPIPE, SIG_IGN);
  server.listen_after_bind();
  g_server = nullptr;
  return 0;
}

}  // namespace
}  // namespace tokcount::proxy

int main(int argc, char** argv) {
  try {
    return tokcount::proxy::run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "tokcount-proxy: error: " << e.what() << "\n";
    return 1;
  }
}
