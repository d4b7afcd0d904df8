#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include "ai/embedder.h"
#include "fake_embedding_server.h"

namespace lakehouse::ai {

using testing::FakeEmbeddingServer;

namespace {

EmbedderSpec Spec(const std::string& provider, const std::string& url) {
  EmbedderSpec spec;
  spec.provider = provider;
  spec.model = "nomic-embed-text";
  spec.url = url;
  spec.retry_backoff_ms = 1;  // keeps the retry tests fast
  return spec;
}

bool Has(const Status& s, const std::string& text) { return s.message().find(text) != std::string::npos; }

// cos(a, b) for a unit vector `a` and any `b`.
double CosineTo(const std::vector<float>& a, const std::vector<float>& b) {
  double dot = 0, norm = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    norm += static_cast<double>(b[i]) * b[i];
  }
  return dot / std::sqrt(norm);
}

}  // namespace

TEST(HttpEmbedderTest, OllamaBatchesKeepInputOrderAndNormalise) {
  FakeEmbeddingServer fake;
  fake.dimension = 8;
  auto e = MakeEmbedder(Spec("ollama", fake.url()));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ((*e)->provider(), "ollama");
  EXPECT_EQ((*e)->model(), "nomic-embed-text");
  EXPECT_EQ((*e)->dimension(), 8);  // learnt from the probe
  std::vector<std::string> texts;
  for (int i = 0; i < 150; ++i) texts.push_back("text number " + std::to_string(i));
  auto v = (*e)->Embed(texts);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  ASSERT_EQ(v->size(), 150u);
  for (size_t i = 0; i < texts.size(); ++i) {
    ASSERT_EQ((*v)[i].size(), 8u);
    double norm = 0;
    for (float x : (*v)[i]) norm += static_cast<double>(x) * x;
    EXPECT_NEAR(norm, 1.0, 1e-5);
    // nomic-embed-text's card asks for a prefix on every chunk.
    EXPECT_NEAR(CosineTo((*v)[i], FakeEmbeddingServer::VectorFor("search_document: " + texts[i], 8)), 1.0, 1e-5) << i;
  }
  auto seen = fake.requests();
  ASSERT_EQ(seen.size(), 4u);  // the probe, then 64 + 64 + 22
  EXPECT_EQ(seen[0].body["input"].size(), 1u);
  EXPECT_EQ(seen[1].body["input"].size(), 64u);
  EXPECT_EQ(seen[2].body["input"].size(), 64u);
  EXPECT_EQ(seen[3].body["input"].size(), 22u);
  EXPECT_EQ(seen[1].path, "/api/embed");
  EXPECT_EQ(seen[1].body["model"], "nomic-embed-text");
  EXPECT_EQ(seen[1].authorization, "");
  EXPECT_EQ(seen[1].body["truncate"], false);
  EXPECT_TRUE((*e)->Embed({})->empty());
  EXPECT_EQ(fake.requests().size(), 4u);  // nothing to embed, nothing sent
}

TEST(HttpEmbedderTest, QueriesAndDocumentsGetTheModelsTaskPrefixes) {
  FakeEmbeddingServer fake;
  auto e = MakeEmbedder(Spec("ollama", fake.url()));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  ASSERT_TRUE((*e)->EmbedQueries({"how do I sort"}).ok());
  ASSERT_TRUE((*e)->Embed({"use sort"}).ok());
  auto seen = fake.requests();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[1].body["input"][0], "search_query: how do I sort");
  EXPECT_EQ(seen[2].body["input"][0], "search_document: use sort");

  // Set, even to nothing, they are what the spec says.
  EmbedderSpec spec = Spec("ollama", fake.url());
  spec.query_prefix = "";
  spec.document_prefix = "passage: ";
  auto plain = MakeEmbedder(spec);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  ASSERT_TRUE((*plain)->EmbedQueries({"q"}).ok());
  ASSERT_TRUE((*plain)->Embed({"d"}).ok());
  seen = fake.requests();
  EXPECT_EQ(seen[seen.size() - 2].body["input"][0], "q");
  EXPECT_EQ(seen.back().body["input"][0], "passage: d");
}

TEST(HttpEmbedderTest, KnownModelsDeclareTheirPrefixes) {
  EXPECT_EQ(KnownTaskPrefixes("nomic-embed-text:latest").query, "search_query: ");
  EXPECT_EQ(KnownTaskPrefixes("nomic-ai/nomic-embed-text-v1.5").document, "search_document: ");
  EXPECT_EQ(KnownTaskPrefixes("mxbai-embed-large:335m").query,
            "Represent this sentence for searching relevant passages: ");
  EXPECT_EQ(KnownTaskPrefixes("mxbai-embed-large").document, "");
  EXPECT_EQ(KnownTaskPrefixes("snowflake-arctic-embed2").query, "query: ");
  EXPECT_EQ(KnownTaskPrefixes("intfloat/multilingual-e5-large").document, "passage: ");
  EXPECT_EQ(KnownTaskPrefixes("all-minilm").query, "");
  EXPECT_EQ(KnownTaskPrefixes("text-embedding-3-small").document, "");
  EmbedderSpec hash;
  hash.provider = "hash";
  ResolveTaskPrefixes(hash);  // in-process models take none
  EXPECT_FALSE(hash.query_prefix.has_value());
}

TEST(HttpEmbedderTest, AChunkLongerThanTheModelsWindowIsAnErrorNotACut) {
  FakeEmbeddingServer fake;
  fake.context_bytes = 100;
  auto e = MakeEmbedder(Spec("ollama", fake.url()));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  auto v = (*e)->Embed({"short", std::string(200, 'x')});
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Has(v.status(), "smaller chunk_size")) << v.status().message();
  EXPECT_TRUE(Has(v.status(), "nomic-embed-text")) << v.status().message();
  EXPECT_EQ(fake.requests().size(), 2u);  // not retried

  FakeEmbeddingServer openai;
  openai.context_bytes = 100;
  auto o = MakeEmbedder(Spec("openai", openai.url()));
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  auto ov = (*o)->Embed({std::string(200, 'x')});
  ASSERT_FALSE(ov.ok());
  EXPECT_TRUE(Has(ov.status(), "smaller chunk_size")) << ov.status().message();
}

TEST(HttpEmbedderTest, RetriesServiceUnavailableThenSucceeds) {
  FakeEmbeddingServer fake;
  fake.fail_first = 2;
  auto e = MakeEmbedder(Spec("ollama", fake.url()));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(fake.requests().size(), 3u);

  fake.fail_first = 10;
  fake.fail_status = 429;
  auto v = (*e)->Embed({"a"});
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(Has(v.status(), "429")) << v.status().message();
  EXPECT_TRUE(Has(v.status(), "after 4 attempts")) << v.status().message();
  EXPECT_EQ(fake.requests().size(), 7u);
}

TEST(HttpEmbedderTest, ClientErrorsAreNotRetried) {
  FakeEmbeddingServer fake;
  auto e = MakeEmbedder(Spec("ollama", fake.url()));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  fake.fail_first = 1;
  fake.fail_status = 400;
  auto v = (*e)->Embed({"a"});
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Has(v.status(), "server busy")) << v.status().message();  // the server's own words
  EXPECT_EQ(fake.requests().size(), 2u);
}

TEST(HttpEmbedderTest, MissingOllamaModelIsNotFoundWithPullHint) {
  FakeEmbeddingServer fake;
  auto spec = Spec("ollama", fake.url());
  spec.model = "mxbai-embed-large";
  auto e = MakeEmbedder(spec);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(Has(e.status(), "model 'mxbai-embed-large' not found")) << e.status().message();
  EXPECT_TRUE(Has(e.status(), "ollama pull mxbai-embed-large")) << e.status().message();
  EXPECT_EQ(fake.requests().size(), 1u);

  spec.provider = "openai";
  auto o = MakeEmbedder(spec);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(Has(o.status(), "ollama pull")) << o.status().message();
}

TEST(HttpEmbedderTest, UnreachableServerIsUnavailableNamingTheUrl) {
  std::string url;
  {
    FakeEmbeddingServer gone;
    url = gone.url();
  }
  auto spec = Spec("ollama", url);
  spec.max_retries = 1;
  auto e = MakeEmbedder(spec);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(Has(e.status(), "cannot reach the Ollama server at " + url)) << e.status().message();
  EXPECT_TRUE(Has(e.status(), "ollama serve")) << e.status().message();
  EXPECT_TRUE(Has(e.status(), "after 2 attempts")) << e.status().message();
}

TEST(HttpEmbedderTest, UnauthorizedNeverShowsTheKey) {
  FakeEmbeddingServer fake;
  fake.required_key = "sk-right";
  auto spec = Spec("openai", fake.url());
  spec.api_key = "sk-wrong-secret-4711";
  auto e = MakeEmbedder(spec);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(Has(e.status(), "401 unauthorized: check the API key")) << e.status().message();
  EXPECT_FALSE(Has(e.status(), "sk-wrong-secret-4711")) << e.status().message();
  EXPECT_EQ(fake.requests().size(), 1u);  // a wrong key does not get better by retrying

  // Whatever else lands in a message (here the model name) is scrubbed of the key too.
  fake.required_key.clear();
  fake.fail_first = 1;
  fake.fail_status = 400;
  spec.max_retries = 0;
  spec.model = "sk-wrong-secret-4711";  // lands in the message as the model name
  auto leak = MakeEmbedder(spec);
  ASSERT_FALSE(leak.ok());
  EXPECT_FALSE(Has(leak.status(), "sk-wrong-secret-4711")) << leak.status().message();
}

TEST(HttpEmbedderTest, OpenAiSendsTheKeyAndHonoursIndexOrder) {
  FakeEmbeddingServer fake;
  fake.dimension = 6;
  fake.required_key = "sk-right";
  fake.reverse_openai = true;
  fake.model = "text-embedding-3-small";  // no task prefixes
  for (std::string base : {fake.url(), fake.url() + "/v1", fake.url() + "/proxy/v1/"}) {
    auto spec = Spec("openai", base);
    spec.model = fake.model;
    spec.api_key = "sk-right";
    spec.batch_size = 2;
    auto e = MakeEmbedder(spec);
    ASSERT_TRUE(e.ok()) << base << ": " << e.status().ToString();
    EXPECT_EQ((*e)->provider(), "openai");
    EXPECT_EQ((*e)->dimension(), 6);
    std::vector<std::string> texts = {"alpha", "beta", "gamma"};
    auto v = (*e)->Embed(texts);
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    for (size_t i = 0; i < texts.size(); ++i) {
      EXPECT_NEAR(CosineTo((*v)[i], FakeEmbeddingServer::VectorFor(texts[i], 6)), 1.0, 1e-5) << i;
    }
    auto last = fake.requests().back();
    EXPECT_EQ(last.path, base.find("/proxy") != std::string::npos ? "/proxy/v1/embeddings" : "/v1/embeddings");
    EXPECT_EQ(last.authorization, "Bearer sk-right");
    EXPECT_EQ(last.body["input"], nlohmann::json::array({"gamma"}));
  }
}

TEST(HttpEmbedderTest, VectorsOfAnotherDimensionAreClearErrors) {
  FakeEmbeddingServer fake;
  auto e = MakeEmbedder(Spec("ollama", fake.url()));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  ASSERT_EQ((*e)->dimension(), 4);
  fake.dimension = 5;
  auto changed = (*e)->Embed({"a"});
  ASSERT_FALSE(changed.ok());
  EXPECT_TRUE(Has(changed.status(), "5-dimensional")) << changed.status().message();
  EXPECT_TRUE(Has(changed.status(), "expected 4")) << changed.status().message();

  fake.dimension = 4;
  fake.ragged = true;
  auto ragged = (*e)->Embed({"a", "b"});
  ASSERT_FALSE(ragged.ok());
  EXPECT_TRUE(Has(ragged.status(), "3-dimensional")) << ragged.status().message();
}

TEST(HttpEmbedderTest, EmbedIsThreadSafe) {
  FakeEmbeddingServer fake;
  auto e = MakeEmbedder(Spec("ollama", fake.url()));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        std::string text = "thread " + std::to_string(t) + " item " + std::to_string(i);
        auto v = (*e)->Embed({text});
        if (v.ok() && CosineTo((*v)[0], FakeEmbeddingServer::VectorFor("search_document: " + text, 4)) > 0.99999) {
          ++ok[t];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(ok[t], 5) << t;
}

TEST(HttpEmbedderTest, BadSpecsAreInvalidArguments) {
  for (std::string provider : {"ollama", "openai"}) {
    auto spec = Spec(provider, "http://127.0.0.1:1");
    spec.model.clear();
    auto e = MakeEmbedder(spec);
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(Has(e.status(), provider)) << e.status().message();
  }
  auto unknown = MakeEmbedder({"word2vec", "", 10});
  ASSERT_FALSE(unknown.ok());
  EXPECT_TRUE(Has(unknown.status(), "use-lite+hash, use-lite, hash, ollama, openai")) << unknown.status().message();
  auto spec = Spec("ollama", "http://127.0.0.1:1");
  spec.batch_size = 0;
  EXPECT_EQ(MakeEmbedder(spec).status().code(), StatusCode::kInvalidArgument);
  spec = Spec("ollama", "ftp://example.com");
  EXPECT_EQ(MakeEmbedder(spec).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace lakehouse::ai
