// Embedding throughput of the in-process embedders on real text: pieces of
// the FAQ corpus (../shared/eval/faq) of about 20 and about 120 use-lite
// tokens, embedded three ways in one run: one text per call on one thread
// (the baseline: what a caller looping over texts gets), batches of 64 on one
// thread, and batches of 64 on N threads pulling from one queue (how index
// builds embed). Texts/s and the ratio to the baseline.
//
//   embed_bench [--provider use-lite|hash] [--threads 2] [--texts 512] [--eval-dir D]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "ai/embedder.h"
#include "ai/use_lite.h"

namespace fs = std::filesystem;
namespace ai = lakehouse::ai;

namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "embed_bench: %s\n", what.c_str());
  std::exit(1);
}

// Words of the corpus's answer column, in order (corpus.tsv: id, title, text).
std::vector<std::string> CorpusWords(const fs::path& corpus) {
  std::ifstream in(corpus);
  if (!in) Die("cannot open " + corpus.string());
  std::vector<std::string> words;
  std::string line;
  while (std::getline(in, line)) {
    size_t tab = line.rfind('\t');
    std::istringstream text(tab == std::string::npos ? line : line.substr(tab + 1));
    for (std::string w; text >> w;) words.push_back(w);
  }
  return words;
}

// `count` consecutive pieces of the word stream, each grown until it has
// `tokens` use-lite tokens.
std::vector<std::string> Pieces(const std::vector<std::string>& words, const ai::UseLiteTokenizer& tokenizer,
                                size_t tokens, size_t count, double* mean_tokens) {
  std::vector<std::string> out;
  size_t at = 0, total = 0;
  while (out.size() < count) {
    std::string piece;
    size_t n = 0;
    while (n < tokens) {
      if (!piece.empty()) piece += ' ';
      piece += words[at++ % words.size()];
      n = tokenizer.Encode(piece).size();
    }
    total += n;
    out.push_back(std::move(piece));
  }
  *mean_tokens = static_cast<double>(total) / static_cast<double>(count);
  return out;
}

double Seconds(const std::function<void()>& run) {
  auto t0 = std::chrono::steady_clock::now();
  run();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void Check(const lakehouse::Result<std::vector<std::vector<float>>>& r) {
  if (!r.ok()) Die(r.status().message());
}

}  // namespace

int main(int argc, char** argv) {
  const char* source = std::getenv("LAKEHOUSE_SOURCE_DIR");
  fs::path eval_dir = fs::path(source ? source : ".") / "../shared/eval/faq";
  std::string provider = "use-lite";
  int threads = 2;
  size_t count = 512;
  for (int i = 1; i < argc; ++i) {
    auto arg = [&](const char* name) { return !std::strcmp(argv[i], name) && i + 1 < argc; };
    if (arg("--provider")) provider = argv[++i];
    else if (arg("--threads")) threads = std::max(1, std::atoi(argv[++i]));
    else if (arg("--texts")) count = static_cast<size_t>(std::max(8, std::atoi(argv[++i])));
    else if (arg("--eval-dir")) eval_dir = argv[++i];
    else Die(std::string("unknown flag ") + argv[i] + " (flags: --provider --threads --texts --eval-dir)");
  }
  auto tokenizer = ai::UseLiteTokenizer::Load(ai::UseLiteDir() / "vocab.json");
  if (!tokenizer.ok()) Die(tokenizer.status().message() + " (run scripts/setup.sh)");
  ai::EmbedderSpec spec;
  spec.provider = provider;
  auto embedder = ai::MakeEmbedder(spec);
  if (!embedder.ok()) Die(embedder.status().message());
  ai::Embedder& e = **embedder;
  const auto words = CorpusWords(eval_dir / "corpus.tsv");
  std::printf("embed_bench: %s, %d threads, %zu texts per size, pieces of ../shared/eval/faq answers\n\n",
              e.model().c_str(), threads, count);
  std::printf("| text size | single-text loop, 1 thread | batches of 64, 1 thread | batches of 64, %d threads | "
              "%d threads vs loop |\n|---|---|---|---|---|\n",
              threads, threads);
  for (size_t tokens : {20u, 120u}) {
    double mean = 0;
    auto texts = Pieces(words, *tokenizer, tokens, count, &mean);
    Check(e.Embed({texts[0]}));  // weights paged in before timing
    const double loop = Seconds([&] {
      for (const auto& t : texts) Check(e.Embed({t}));
    });
    auto batched = [&](int n) {
      std::atomic<size_t> next{0};
      return Seconds([&] {
        std::vector<std::thread> pool;
        for (int t = 0; t < n; ++t) {
          pool.emplace_back([&] {
            for (size_t start; (start = next.fetch_add(64)) < texts.size();) {
              std::vector<std::string> part(texts.begin() + static_cast<long>(start),
                                            texts.begin() + static_cast<long>(std::min(texts.size(), start + 64)));
              Check(e.Embed(part));
            }
          });
        }
        for (auto& t : pool) t.join();
      });
    };
    const double one = batched(1), many = batched(threads);
    const double n = static_cast<double>(texts.size());
    std::printf("| ~%zu tokens (mean %.1f) | %.0f texts/s | %.0f texts/s | %.0f texts/s | %.2fx |\n", tokens, mean,
                n / loop, n / one, n / many, loop / many);
  }
  return 0;
}
