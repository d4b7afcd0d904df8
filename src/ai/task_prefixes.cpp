// Task prefixes from the model cards of common embedding models. A model
// trained with them puts a query and its answer close together only when
// each carries its own prefix; without them retrieval quality drops.
#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

#include "ai/embedder.h"

namespace lakehouse::ai {

namespace {

constexpr std::string_view kRepresent = "Represent this sentence for searching relevant passages: ";

struct Known {
  std::string_view name_start;  // of the bare model name, lowercase
  std::string_view query, document;
};

// First match wins, so longer names come before their prefixes.
constexpr std::array<Known, 9> kKnown{{
    {"nomic-embed-text", "search_query: ", "search_document: "},
    {"snowflake-arctic-embed2", "query: ", ""},
    {"snowflake-arctic-embed", kRepresent, ""},
    {"mxbai-embed-large", kRepresent, ""},
    {"bge-small-en-v1.5", kRepresent, ""},
    {"bge-base-en-v1.5", kRepresent, ""},
    {"bge-large-en-v1.5", kRepresent, ""},
    {"multilingual-e5-", "query: ", "passage: "},
    {"e5-", "query: ", "passage: "},
}};

}  // namespace

TaskPrefixes KnownTaskPrefixes(const std::string& model) {
  std::string name = model;
  if (size_t slash = name.rfind('/'); slash != std::string::npos) name.erase(0, slash + 1);
  if (size_t colon = name.find(':'); colon != std::string::npos) name.resize(colon);
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const Known& k : kKnown) {
    if (std::string_view(name).substr(0, k.name_start.size()) == k.name_start) {
      return {std::string(k.query), std::string(k.document)};
    }
  }
  return {};
}

void ResolveTaskPrefixes(EmbedderSpec& spec) {
  if (spec.provider != "ollama" && spec.provider != "openai") return;
  const TaskPrefixes known = KnownTaskPrefixes(spec.model);
  if (!spec.query_prefix) spec.query_prefix = known.query;
  if (!spec.document_prefix) spec.document_prefix = known.document;
}

}  // namespace lakehouse::ai
