// The suite every vector backend passes (build, search, filter, remove,
// save/load, a damaged file refused), then what is particular to each.
#include "vector/backend.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <set>

#include "fixtures.h"
#include "vector/random_rows.h"
#include "vector/vector_store.h"

namespace lakehouse::vector {

namespace {

constexpr int kDim = 32;
constexpr size_t kRows = 3000;

// n random rows labelled 0..n-1 in a store; `rows` gets them too.
std::shared_ptr<VectorStore> RandomStore(size_t n, uint32_t seed, std::vector<float>* rows = nullptr,
                                         std::vector<int64_t>* labels = nullptr) {
  std::vector<float> data = RandomUnitRows(n, kDim, seed);
  std::vector<int64_t> ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = static_cast<int64_t>(i);
  auto store = std::make_shared<VectorStore>(kDim);
  store->Add(data.data(), ids);
  if (rows) *rows = std::move(data);
  if (labels) *labels = std::move(ids);
  return store;
}

std::set<int64_t> LabelsOf(const std::vector<Hit>& hits) {
  std::set<int64_t> out;
  for (const auto& h : hits) out.insert(h.label);
  return out;
}

}  // namespace

class BackendSuite : public ::testing::TestWithParam<BackendKind> {
 protected:
  void SetUp() override {
    rows_ = RandomUnitRows(kRows, kDim, 7);
    for (size_t i = 0; i < kRows; ++i) labels_.push_back(static_cast<int64_t>(1000 + i));
    store_ = std::make_shared<VectorStore>(kDim);
    store_->Add(rows_.data(), labels_);
    spec_ = ResolveBackend({GetParam(), {}}, kRows, kDim);
    const BackendType& type = TypeOf(GetParam());
    auto created = type.create(kDim, kRows, spec_.options, type.needs_vectors ? store_ : nullptr);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    backend_ = std::move(*created);
    ASSERT_TRUE(backend_->Add(rows_.data(), labels_, 2, {}).ok());
    dir_ = testing::MakeTempDir("backend");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  const float* Row(size_t i) const { return rows_.data() + i * kDim; }
  std::vector<Hit> Search(const VectorBackend& b, const float* query, size_t k, const LabelFilter* filter = nullptr,
                          BackendOptions knobs = {}) {
    auto hits = b.Search(query, {k, knobs}, filter);
    EXPECT_TRUE(hits.ok()) << hits.status().ToString();
    return hits.ok() ? *hits : std::vector<Hit>{};
  }
  // Mean share of the exact top 10 found, over 50 queries near stored rows.
  double Recall(const VectorBackend& b, BackendOptions knobs = {}) {
    auto queries = RandomUnitRows(50, kDim, 99);
    double found = 0;
    for (size_t q = 0; q < 50; ++q) {
      std::vector<float> query(Row(q * 37), Row(q * 37) + kDim);
      for (int j = 0; j < kDim; ++j) query[j] += 0.5f * queries[q * kDim + j];  // a neighbour, 30 degrees off
      auto truth = LabelsOf(store_->TopK(query.data(), 10));
      for (int64_t label : LabelsOf(Search(b, query.data(), 10, nullptr, knobs))) found += truth.count(label);
    }
    return found / 500;
  }

  std::vector<float> rows_;
  std::vector<int64_t> labels_;
  std::shared_ptr<VectorStore> store_;
  BackendSpec spec_;
  std::unique_ptr<VectorBackend> backend_;
  std::filesystem::path dir_;
};

TEST_P(BackendSuite, FindsEachStoredVectorFirstAndRanksBestFirst) {
  EXPECT_EQ(backend_->kind(), GetParam());
  EXPECT_EQ(backend_->size(), kRows);
  for (size_t i : {size_t{0}, size_t{5}, size_t{1234}, kRows - 1}) {
    auto hits = Search(*backend_, Row(i), 10);
    ASSERT_EQ(hits.size(), 10u) << i;
    EXPECT_EQ(hits[0].label, labels_[i]);
    EXPECT_NEAR(hits[0].score, 1.0f, 1e-3);
    for (size_t h = 1; h < hits.size(); ++h) EXPECT_GE(hits[h - 1].score, hits[h].score);
  }
}

TEST_P(BackendSuite, RecallAgainstExactSearchRisesWithItsKnobs) {
  if (GetParam() == BackendKind::kFlat) {
    EXPECT_EQ(Recall(*backend_), 1.0);
    return;
  }
  // Uniformly random rows are a graph's and a clustering's worst case.
  std::vector<BackendOptions> settings;
  if (GetParam() == BackendKind::kHnsw) settings = {{{"ef_search", 16}}, {{"ef_search", 64}}, {{"ef_search", 400}}};
  if (GetParam() == BackendKind::kIvfPq) {
    int64_t nlist = spec_.options.at("nlist");
    settings = {{{"nprobe", 1}, {"refine_factor", 1}}, {}, {{"nprobe", nlist}, {"refine_factor", 100}}};
  }
  std::vector<double> recall;
  for (const auto& knobs : settings) recall.push_back(Recall(*backend_, knobs));
  EXPECT_LT(recall[0], recall[2]);
  EXPECT_LE(recall[1], recall[2]);
  EXPECT_GE(recall[2], 0.95);
}

TEST_P(BackendSuite, AFilterKeepsOnlyAllowedLabels) {
  LabelFilter even = [](int64_t label) { return label % 2 == 0; };
  auto hits = Search(*backend_, Row(3), 10, &even);  // row 3 is label 1003: odd, so not itself
  ASSERT_EQ(hits.size(), 10u);
  for (const auto& h : hits) EXPECT_EQ(h.label % 2, 0) << h.label;
  EXPECT_NE(hits[0].label, 1003);
  LabelFilter none = [](int64_t) { return false; };
  EXPECT_TRUE(Search(*backend_, Row(3), 10, &none).empty());
}

TEST_P(BackendSuite, RemovedVectorsAreNeverFound) {
  std::vector<int64_t> gone = {1000, 1005};
  store_->Remove(gone);  // the generation's store is rebuilt without them, as a refresh does
  ASSERT_TRUE(backend_->Remove(gone).ok());
  for (size_t i : {size_t{0}, size_t{5}}) {
    for (const auto& h : Search(*backend_, Row(i), 20)) EXPECT_NE(h.label, labels_[i]);
  }
  EXPECT_EQ(Search(*backend_, Row(6), 1).at(0).label, 1006);
}

TEST_P(BackendSuite, ScoreRanksTheGivenLabelsExactly) {
  std::vector<int64_t> some = {1001, 1005, 1009, 99999};
  auto scored = backend_->Score(Row(5), some, 2);
  ASSERT_EQ(scored.size(), 2u);
  EXPECT_EQ(scored[0].label, 1005);
  EXPECT_NEAR(scored[1].score, Dot(Row(5), scored[1].label == 1001 ? Row(1) : Row(9), kDim), 1e-5);
}

TEST_P(BackendSuite, SavedAndLoadedItAnswersTheSame) {
  const BackendType& type = TypeOf(GetParam());
  auto file = dir_ / "backend.bin";
  ASSERT_TRUE(backend_->Save(file).ok());
  EXPECT_EQ(std::filesystem::exists(file), backend_->HasFile());
  auto loaded = type.load(backend_->HasFile() ? file : std::filesystem::path(), kDim, 0, spec_.options,
                          type.needs_vectors ? store_ : nullptr);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  for (size_t i : {size_t{2}, size_t{77}, size_t{2500}}) {
    auto before = Search(*backend_, Row(i), 10), after = Search(**loaded, Row(i), 10);
    ASSERT_EQ(before.size(), after.size());
    for (size_t h = 0; h < before.size(); ++h) EXPECT_EQ(before[h].label, after[h].label);
  }
}

TEST_P(BackendSuite, ADamagedFileIsRefusedWithAClearError) {
  if (!backend_->HasFile()) GTEST_SKIP() << "flat keeps no file of its own";
  const BackendType& type = TypeOf(GetParam());
  auto file = dir_ / "backend.bin";
  ASSERT_TRUE(backend_->Save(file).ok());
  auto size = std::filesystem::file_size(file);
  for (auto damage : {std::string("garbage"), std::string(4096, '\xff')}) {
    testing::WriteFile(file, damage);
    auto loaded = type.load(file, kDim, 0, spec_.options, type.needs_vectors ? store_ : nullptr);
    ASSERT_FALSE(loaded.ok()) << "accepted " << damage.size() << " bytes";
    EXPECT_EQ(loaded.status().code(), StatusCode::kInternal);
    EXPECT_NE(loaded.status().message().find("backend.bin"), std::string::npos) << loaded.status().message();
  }
  // Cut short, as a full disk leaves it.
  ASSERT_TRUE(backend_->Save(file).ok());
  std::filesystem::resize_file(file, size / 2);
  auto truncated = type.load(file, kDim, 0, spec_.options, type.needs_vectors ? store_ : nullptr);
  EXPECT_FALSE(truncated.ok());
  // Built for another dimension.
  ASSERT_TRUE(backend_->Save(file).ok());
  auto other = type.load(file, kDim * 2, 0, spec_.options, type.needs_vectors ? store_ : nullptr);
  EXPECT_FALSE(other.ok());
  auto missing = type.load(dir_ / "nothing.bin", kDim, 0, spec_.options, type.needs_vectors ? store_ : nullptr);
  EXPECT_FALSE(missing.ok());
}

INSTANTIATE_TEST_SUITE_P(AllBackends, BackendSuite,
                         ::testing::Values(BackendKind::kFlat, BackendKind::kHnsw, BackendKind::kIvfPq),
                         [](const auto& info) { return std::string(BackendKindName(info.param)); });

TEST(BackendTypes, OptionsAreCheckedInTheUsersWords) {
  EXPECT_TRUE(ValidateBackendOptions({BackendKind::kAuto, {}}).ok());
  auto auto_with = ValidateBackendOptions({BackendKind::kAuto, {{"m", 8}}});
  ASSERT_FALSE(auto_with.ok());
  EXPECT_NE(auto_with.message().find("name the backend"), std::string::npos) << auto_with.message();
  auto unknown = ValidateBackendOptions({BackendKind::kHnsw, {{"nprobe", 8}}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.message().find("hnsw has no option 'nprobe' (its options: m, ef_construction, ef_search)"),
            std::string::npos)
      << unknown.message();
  auto range = ValidateBackendOptions({BackendKind::kIvfPq, {{"nbits", 9}}});
  ASSERT_FALSE(range.ok());
  EXPECT_NE(range.message().find("'nbits' must be between 4 and 8 (got 9)"), std::string::npos) << range.message();
  EXPECT_FALSE(ValidateBackendOptions({BackendKind::kFlat, {{"m", 8}}}).ok());

  EXPECT_TRUE(ValidateSearchKnobs(BackendKind::kIvfPq, {{"nprobe", 4}, {"refine_factor", 2}}).ok());
  auto knob = ValidateSearchKnobs(BackendKind::kHnsw, {{"nprobe", 4}});
  ASSERT_FALSE(knob.ok());
  EXPECT_NE(knob.message().find("search knob 'nprobe' does not apply to this index's backend, hnsw (its knobs: "
                                "ef_search)"),
            std::string::npos)
      << knob.message();
  EXPECT_FALSE(ValidateSearchKnobs(BackendKind::kFlat, {{"ef_search", 4}}).ok());
  EXPECT_FALSE(ValidateSearchKnobs(BackendKind::kHnsw, {{"m", 4}}).ok());  // fixed when built
  EXPECT_FALSE(ParseBackendKind("faiss").ok());
}

TEST(BackendTypes, AutoIsFlatWhileAnExactScanIsCheap) {
  EXPECT_EQ(ResolveAuto(100, 768), BackendKind::kFlat);
  EXPECT_EQ(ResolveAuto(kFlatMaxBytes / (768 * 4), 768), BackendKind::kFlat);
  EXPECT_EQ(ResolveAuto(kFlatMaxBytes / (768 * 4) + 1, 768), BackendKind::kHnsw);
  auto resolved = ResolveBackend({BackendKind::kAuto, {}}, 1000000, 768);
  EXPECT_EQ(resolved.kind, BackendKind::kHnsw);
  EXPECT_EQ(resolved.options.at("m"), 16);
  auto ivf = ResolveBackend({BackendKind::kIvfPq, {{"nprobe", 3}}}, 100000, 768);
  EXPECT_EQ(ivf.options.at("nprobe"), 3);
  EXPECT_EQ(ivf.options.at("nlist"), 316);
  EXPECT_EQ(768 % ivf.options.at("pq_m"), 0);
  // Codes and id within the 110 bytes per vector the index may use.
  EXPECT_LE((ivf.options.at("pq_m") * ivf.options.at("nbits") + 7) / 8 + 8, 110);
}

TEST(BackendTypes, IvfPqRefusesWhatItCannotTrainOn) {
  auto store = RandomStore(100, 1);
  const BackendType& type = TypeOf(BackendKind::kIvfPq);
  auto small = type.create(kDim, 100, type.defaults(100, kDim, {}), store);
  ASSERT_FALSE(small.ok());
  EXPECT_EQ(small.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(small.status().message().find("use backend flat or hnsw"), std::string::npos) << small.status().message();
  auto big = RandomStore(1000, 2);
  auto not_divisor = type.create(kDim, 1000, type.defaults(1000, kDim, {{"pq_m", 5}}), big);
  ASSERT_FALSE(not_divisor.ok());
  EXPECT_NE(not_divisor.status().message().find("'pq_m' must divide the dimension 32"), std::string::npos);
  auto too_many_lists = type.create(kDim, 1000, type.defaults(1000, kDim, {{"nlist", 500}}), big);
  ASSERT_FALSE(too_many_lists.ok());
  EXPECT_NE(too_many_lists.status().message().find("lower it to"), std::string::npos);
}

TEST(BackendTypes, IvfPqFindsKEvenWhenItsListsHoldFewer) {
  std::vector<float> rows;
  std::vector<int64_t> labels;
  auto store = RandomStore(1000, 5, &rows, &labels);
  const BackendType& type = TypeOf(BackendKind::kIvfPq);
  // 8-bit codes on few lists: the sample must still hold 256 codes' worth.
  auto eight = type.create(kDim, 1000, type.defaults(1000, kDim, {{"nlist", 2}, {"nbits", 8}}), store);
  ASSERT_TRUE(eight.ok()) << eight.status().ToString();
  ASSERT_TRUE((*eight)->Add(rows.data(), labels, 1, {}).ok());
  auto backend = type.create(kDim, 1000, type.defaults(1000, kDim, {}), store);
  ASSERT_TRUE(backend.ok());
  ASSERT_TRUE((*backend)->Add(rows.data(), labels, 1, {}).ok());
  // One list of about twenty holds ~40 vectors: the search probes more until k are found.
  auto many = (*backend)->Search(rows.data(), {300, {{"nprobe", 1}, {"refine_factor", 1}}}, nullptr);
  ASSERT_TRUE(many.ok());
  EXPECT_EQ(many->size(), 300u);
  LabelFilter quarter = [](int64_t label) { return label % 4 == 0; };
  auto filtered = (*backend)->Search(rows.data(), {100, {{"nprobe", 1}}}, &quarter);
  ASSERT_TRUE(filtered.ok());
  EXPECT_EQ(filtered->size(), 100u);
  for (const auto& h : *filtered) EXPECT_EQ(h.label % 4, 0);
}

TEST(VectorStoreTest, RemovalKeepsRowsDenseAndFindable) {
  VectorStore store(2);
  std::vector<float> rows = {1, 0, 0, 1, 0.6f, 0.8f};
  std::vector<int64_t> labels = {10, 20, 30};
  store.Add(rows.data(), labels);
  std::vector<int64_t> gone = {10, 99};
  store.Remove(gone);
  EXPECT_EQ(store.size(), 2u);
  EXPECT_EQ(store.Find(10), nullptr);
  ASSERT_NE(store.Find(30), nullptr);
  EXPECT_FLOAT_EQ(store.Find(30)[1], 0.8f);
  float query[2] = {0, 1};
  auto top = store.TopK(query, 5);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].label, 20);
  EXPECT_EQ(top[1].label, 30);
  // Many rows on several threads: the same answer as one.
  auto many = RandomUnitRows(70000, 8, 3);
  std::vector<int64_t> ids(70000);
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int64_t>(i);
  VectorStore big(8);
  big.Add(many.data(), ids);
  auto one = big.TopK(many.data() + 8 * 123, 10, nullptr, 1), four = big.TopK(many.data() + 8 * 123, 10, nullptr, 4);
  ASSERT_EQ(one.size(), 10u);
  EXPECT_EQ(one[0].label, 123);
  for (size_t i = 0; i < 10; ++i) EXPECT_EQ(one[i].label, four[i].label);
}

}  // namespace lakehouse::vector
