#include "chat/builder.hpp"

namespace tokcount::chat::detail {

Builder::Builder(const Encoding& encoding) : enc_(encoding) { result_.encoding = encoding.name(); }

void Builder::begin_message(int index, std::string role) {
  auto& rows = result_.breakdown.messages;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].index == index && index >= 0) {
      current_row_ = static_cast<int>(i);
      return;
    }
  }
  MessageBreakdown m;
  m.index = index;
  m.role = std::move(role);
  rows.push_back(std::move(m));
  current_row_ = static_cast<int>(rows.size()) - 1;
}

MessageBreakdown& Builder::row() {
  if (current_row_ < 0) begin_message(-1, "");
  return result_.breakdown.messages[static_cast<std::size_t>(current_row_)];
}

void Builder::add(std::size_t begin, SegmentKind kind, Bucket bucket, const Source& src, std::string_view rule,
                  bool uncertain, std::uint64_t hash) {
  const std::size_t end = result_.tokens.size();
  const std::size_t n = end - begin;
  Breakdown& b = result_.breakdown;
  switch (bucket) {
    case Bucket::kMessageText: row().text_tokens += n; row().uncertain |= uncertain; break;
    case Bucket::kMessageName: row().name_tokens += n; row().uncertain |= uncertain; break;
    case Bucket::kMessageImage: row().image_tokens += n; row().uncertain |= uncertain; break;
    case Bucket::kMessageFormat: row().format_tokens += n; row().uncertain |= uncertain; break;
    case Bucket::kToolsText: b.tools_text_tokens += n; b.tools_uncertain |= uncertain; break;
    case Bucket::kToolsFormat: b.tools_format_tokens += n; b.tools_uncertain |= uncertain; break;
    case Bucket::kToolChoice: b.tool_choice_tokens += n; b.tool_choice_uncertain |= uncertain; break;
    case Bucket::kResponseFormat: b.response_format_tokens += n; b.response_format_uncertain |= uncertain; break;
    case Bucket::kPriming: b.priming_tokens += n; b.priming_uncertain |= uncertain; break;
  }
  if (n == 0) return;
  std::vector<Segment>& segs = result_.segments;
  if (!segs.empty() && hash == 0) {
    Segment& last = segs.back();
    if (last.end == begin && last.kind == kind && last.message == src.message && last.part == src.part &&
        last.tool_call == src.tool_call && last.path == src.path && last.rule == rule &&
        last.uncertain == uncertain && last.content_hash == 0) {
      last.end = end;
      return;
    }
  }
  Segment s;
  s.kind = kind;
  s.begin = begin;
  s.end = end;
  s.message = src.message;
  s.part = src.part;
  s.tool_call = src.tool_call;
  s.path = src.path;
  s.rule = std::string(rule);
  s.uncertain = uncertain;
  s.content_hash = hash;
  segs.push_back(std::move(s));
}

void Builder::text(std::string_view s, SegmentKind kind, Bucket bucket, const Source& src, std::string_view rule,
                   bool uncertain) {
  const std::size_t begin = result_.tokens.size();
  try {
    if (hook_ != nullptr && *hook_) {
      (*hook_)(enc_, s, result_.tokens);
    } else {
      EncodeOptions opts;
      opts.disallowed_special = TokenSet::none();  // user text: special-token text is plain text
      enc_.encode_into(s, opts, result_.tokens);
    }
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kInvalidUtf8) throw;
    throw Error(e.code(), (src.path.empty() ? std::string("text") : src.path) + ": " + e.what(), e.byte_offset());
  }
  add(begin, kind, bucket, src, rule, uncertain);
}

void Builder::special(Rank token, SegmentKind kind, Bucket bucket, const Source& src, std::string_view rule,
                      bool uncertain) {
  const std::size_t begin = result_.tokens.size();
  result_.tokens.push_back(token);
  add(begin, kind, bucket, src, rule, uncertain);
}

void Builder::synthetic(Synthetic family, std::size_t count, SegmentKind kind, Bucket bucket, const Source& src,
                        std::string_view rule, bool uncertain) {
  const std::size_t begin = result_.tokens.size();
  for (std::size_t i = 0; i < count; ++i)
    result_.tokens.push_back(kSyntheticTokenBase | (static_cast<Rank>(family) << 16) | static_cast<Rank>(i & 0xFFFF));
  add(begin, kind, bucket, src, rule, uncertain);
}

void Builder::image(std::size_t count, std::uint64_t hash, const Source& src, std::string_view rule, bool uncertain) {
  const std::size_t begin = result_.tokens.size();
  for (std::size_t i = 0; i < count; ++i)
    result_.tokens.push_back(kSyntheticTokenBase | 0x40000000u | static_cast<Rank>((hash + i) & 0x3FFFFFFFu));
  add(begin, SegmentKind::kImage, Bucket::kMessageImage, src, rule, uncertain, hash == 0 ? 1 : hash);
}

Result Builder::take() {
  Result r = std::move(result_);
  r.prompt_tokens = r.tokens.size();
  for (MessageBreakdown& m : r.breakdown.messages) {
    m.total = m.text_tokens + m.name_tokens + m.image_tokens + m.format_tokens;
    r.uncertain |= m.uncertain;
  }
  const Breakdown& b = r.breakdown;
  r.uncertain |= b.tools_uncertain || b.tool_choice_uncertain || b.response_format_uncertain || b.priming_uncertain;
  for (const Segment& s : r.segments) r.uncertain |= s.uncertain;
  for (const ImageInfo& i : r.breakdown.images) r.uncertain |= i.uncertain;
  return r;
}

}  // namespace tokcount::chat::detail
