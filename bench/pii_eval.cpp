// Precision and recall of the PII value detector on the labelled sample,
// per kind: the whole-value matchers alone ("before") against FindPiiSpans.
//   ./build/bench/pii_eval [tests/fixtures/real/pii_labelled.tsv]
#include <cstdio>

#include "pii_eval.h"

int main(int argc, char** argv) {
  std::string path = argc > 1 ? argv[1] : std::string(LAKEHOUSE_REAL_FIXTURES) + "/pii_labelled.tsv";
  auto e = lakehouse::testing::EvaluatePiiDetector(path);
  std::printf("%d labelled values (%s)\n\n| kind | before: precision | before: recall | after: precision | after: recall |\n"
              "|---|---|---|---|---|\n", e.values, path.c_str());
  for (const auto& [kind, after] : e.after) {
    const auto& before = e.before[kind];
    std::printf("| %s | %.3f | %.3f | %.3f | %.3f |\n", kind.c_str(), before.precision(), before.recall(),
                after.precision(), after.recall());
  }
  return 0;
}
