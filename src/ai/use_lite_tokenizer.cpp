// A port of the TF.js Universal Sentence Encoder tokenizer's Encode (itself a
// port of SentencePiece's EncodeAsIds), kept faithful in its quirks because
// the model was trained and checked with exactly these ids: a score of
// exactly 0 counts as "no path yet", ties go to the later start, a position
// no piece starts at becomes a zero-score unknown of one unit.
#include <algorithm>
#include <cstdlib>

#include <nlohmann/json.hpp>
#include <utf8proc.h>

#include "ai/use_lite.h"
#include "common/files.h"

namespace lakehouse::ai {

namespace {

constexpr int kReservedSymbols = 6;  // unk, <s>, </s> and three user symbols

// Invalid UTF-8 becomes U+FFFD so normalisation never fails on user text.
std::vector<utf8proc_int32_t> DecodeLossy(std::string_view s) {
  std::vector<utf8proc_int32_t> out;
  out.reserve(s.size());
  auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(s.size());
  while (left > 0) {
    utf8proc_int32_t cp;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
    if (n <= 0) {
      cp = 0xFFFD;
      n = 1;
    }
    out.push_back(cp);
    p += n;
    left -= n;
  }
  return out;
}

std::vector<utf8proc_int32_t> Nfkc(std::vector<utf8proc_int32_t> cps) {
  if (cps.empty()) return cps;
  // utf8proc normalises in place given room for the decomposition; ask how
  // much first.
  auto options = static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE);
  std::vector<utf8proc_int32_t> buf(cps.size() * 2 + 8);
  for (;;) {
    utf8proc_ssize_t n = 0;
    bool fits = true;
    for (utf8proc_int32_t cp : cps) {
      int last_boundclass = 0;
      utf8proc_ssize_t room = static_cast<utf8proc_ssize_t>(buf.size()) - n;
      utf8proc_ssize_t got = utf8proc_decompose_char(cp, buf.data() + n, room > 0 ? room : 0, options,
                                                     &last_boundclass);
      if (got < 0) return cps;  // cannot happen for valid code points; keep the text as it is
      if (got > room) fits = false;
      n += got;
    }
    if (!fits) {
      buf.resize(static_cast<size_t>(n) + 8);
      continue;
    }
    utf8proc_ssize_t len = utf8proc_normalize_utf32(buf.data(), n, options);
    if (len < 0) return cps;
    buf.resize(static_cast<size_t>(len));
    return buf;
  }
}

void AppendUtf16(std::u16string& out, utf8proc_int32_t cp) {
  if (cp >= 0x10000) {
    cp -= 0x10000;
    out.push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
    out.push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
  } else {
    out.push_back(static_cast<char16_t>(cp));
  }
}

std::u16string ToUtf16(std::string_view utf8) {
  std::u16string out;
  for (utf8proc_int32_t cp : DecodeLossy(utf8)) AppendUtf16(out, cp);
  return out;
}

}  // namespace

Result<UseLiteTokenizer> UseLiteTokenizer::Load(const std::filesystem::path& vocab_json) {
  LH_ASSIGN_OR_RETURN(std::string text, ReadFile(vocab_json));
  auto vocab = nlohmann::json::parse(text, nullptr, false);
  if (!vocab.is_array() || vocab.size() <= kReservedSymbols) {
    return InvalidArgument("the USE-Lite vocabulary " + vocab_json.string() +
                           " is not a list of [piece, score] pairs: run scripts/setup.sh again");
  }
  UseLiteTokenizer t;
  t.score_.reserve(vocab.size());
  t.piece_length_.reserve(vocab.size());
  for (size_t i = 0; i < vocab.size(); ++i) {
    const auto& e = vocab[i];
    if (!e.is_array() || e.size() != 2 || !e[0].is_string() || !(e[1].is_number() || e[1].is_null())) {
      return InvalidArgument("the USE-Lite vocabulary " + vocab_json.string() + " has a bad entry at " +
                             std::to_string(i) + ": run scripts/setup.sh again");
    }
    std::u16string piece = ToUtf16(e[0].get<std::string>());
    // A few pieces have no score (null); the reference adds null as 0.
    t.score_.push_back(e[1].is_null() ? 0.0 : e[1].get<double>());
    t.piece_length_.push_back(static_cast<int>(piece.size()));
    if (static_cast<int>(i) < kReservedSymbols || piece.empty()) continue;
    int node = 0;
    for (char16_t c : piece) {
      auto it = t.trie_[node].children.find(c);
      if (it == t.trie_[node].children.end()) {
        int next = static_cast<int>(t.trie_.size());
        t.trie_[node].children.emplace(c, next);
        t.trie_.emplace_back();
        node = next;
      } else {
        node = it->second;
      }
    }
    t.trie_[node].piece = static_cast<int>(i);
  }
  return t;
}

std::vector<int> UseLiteTokenizer::Encode(std::string_view utf8) const {
  std::u16string s;
  {
    std::vector<utf8proc_int32_t> cps = Nfkc(DecodeLossy(utf8));
    if (cps.empty()) return {};
    AppendUtf16(s, 0x2581);
    for (utf8proc_int32_t cp : cps) AppendUtf16(s, cp == ' ' ? 0x2581 : cp);
  }
  const size_t n = s.size();
  std::vector<double> best(n + 1, 0.0);
  std::vector<int> words(n + 1, 0);
  // Edges ending at each position, in ascending start order (the order the
  // reference visits them in): (start, piece, score).
  struct Edge {
    size_t start;
    int piece;
    double score;
  };
  std::vector<std::vector<Edge>> ending(n + 1);
  for (size_t i = 0; i < n; ++i) {
    bool any = false;
    int node = 0;
    for (size_t j = i; j < n; ++j) {
      auto it = trie_[node].children.find(s[j]);
      if (it == trie_[node].children.end()) break;
      node = it->second;
      if (trie_[node].piece >= 0) {
        ending[j + 1].push_back({i, trie_[node].piece, score_[static_cast<size_t>(trie_[node].piece)]});
        any = true;
      }
    }
    if (!any) ending[i + 1].push_back({i, 0, 0.0});
  }
  for (size_t end = 0; end <= n; ++end) {
    for (const Edge& e : ending[end]) {
      double score = e.score + best[e.start];
      if (best[end] == 0.0 || score >= best[end]) {
        best[end] = score;
        words[end] = e.piece;
      }
    }
  }
  std::vector<int> reversed;
  for (long iter = static_cast<long>(n); iter > 0;) {
    int id = words[static_cast<size_t>(iter)];
    reversed.push_back(id);
    iter -= std::max(1, piece_length_[static_cast<size_t>(id)]);
  }
  std::vector<int> ids;
  ids.reserve(reversed.size());
  bool previous_unknown = false;
  for (int id : reversed) {
    if (!(previous_unknown && id == 0)) ids.push_back(id);
    previous_unknown = id == 0;
  }
  return {ids.rbegin(), ids.rend()};
}

}  // namespace lakehouse::ai
