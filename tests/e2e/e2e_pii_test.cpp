// PII under one rule everywhere, against the real binary: a key without the
// pii grant (and an open server, which has no keys) sees PII masked in SQL
// through every function, in exports, search hits, filters and doc fetch;
// a key with the grant sees it as stored, and its reads are audited.
#include <gtest/gtest.h>

#include <thread>

#include "e2e_helpers.h"

namespace lakehouse::testing {

namespace {

using nlohmann::json;

std::string Customers() {
  std::string csv = "id,email,card,notes\n";
  const char* cards[] = {"4111 1111 1111 1111", "5555 5555 5555 4444", "4012 8888 8888 1881"};
  for (int i = 0; i < 30; ++i) {
    csv += std::to_string(i) + ",person" + std::to_string(i) + "@example.org," + cards[i % 3] + ",note " +
           std::to_string(i) + " about invoices and payments\n";
  }
  return csv;
}

// Any raw e-mail address or card number of the dataset in `text`.
bool Leaks(const std::string& text) {
  for (int i = 0; i < 30; ++i) {
    if (text.find("person" + std::to_string(i) + "@") != std::string::npos) return true;
  }
  for (const char* card : {"4111 1111", "5555 5555", "4012 8888"}) {
    if (text.find(card) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST(PiiE2E, AKeyWithoutThePiiGrantSeesPiiMaskedEverywhere) {
  ServerProcess server("[inbox]\nenabled = false\n");
  ASSERT_TRUE(server.Start()) << server.log();
  ASSERT_EQ(Upload(server, "customers.csv", Customers()).status, 201);
  auto meta = Get(server, "/catalog/datasets/by-name/customers");
  for (const auto& c : meta.body["columns"]) {
    if (c["name"] == "email" || c["name"] == "card") EXPECT_TRUE(c["is_pii"].get<bool>()) << c.dump();
  }
  // Open (no keys): nobody has the grant.
  auto open = Sql(server, "SELECT email, card FROM customers ORDER BY id LIMIT 1");
  ASSERT_EQ(open.status, 200) << open.body.dump();
  EXPECT_EQ(open.body["rows"][0][0], "p***@example.org");
  EXPECT_EQ(open.body["rows"][0][1], "**** **** **** 1111");
  ASSERT_EQ(ToReply(server.http().Post("/vectors/indexes", json{{"name", "notes_idx"}, {"dataset", "customers"},
                                                                  {"id_column", "id"}, {"text_column", "notes"},
                                                                  {"embedder", {{"provider", "hash"}}}, {"wait", true}}
                                                                 .dump(),
                                        "application/json"))
                .status,
            201);
  ASSERT_EQ(ToReply(server.http().Post("/vectors/indexes", json{{"name", "email_idx"}, {"dataset", "customers"},
                                                                  {"id_column", "id"}, {"text_column", "email"},
                                                                  {"allow_pii", true}, {"embedder", {{"provider", "hash"}}},
                                                                  {"wait", true}}
                                                                 .dump(),
                                        "application/json"))
                .status,
            201);

  httplib::Headers reader = {{"X-Api-Key", MakeKey(server, "reader", "analyst")}};
  httplib::Headers pii = {{"Authorization", "Bearer " + MakeKey(server, "reader", "auditor", {"--grant", "pii"})}};

  // SQL: every function over the column meets the masked value.
  for (const char* sql : {"SELECT * FROM customers", "SELECT lower(email), upper(card) FROM customers",
                          "SELECT email || '', card || '' FROM customers", "SELECT CAST(email AS VARCHAR) FROM customers",
                          "SELECT regexp_extract(email, '^(.*)@', 1), regexp_extract(card, '([0-9 ]+)', 1) FROM customers",
                          "SELECT email, count(*) FROM customers GROUP BY email",
                          "SELECT string_agg(email, ';'), string_agg(card, ';') FROM customers",
                          "SELECT a.email FROM customers a JOIN customers b USING (id)"}) {
    auto r = Sql(server, sql, reader);
    ASSERT_EQ(r.status, 200) << sql << ": " << r.body.dump();
    EXPECT_FALSE(Leaks(r.body.dump())) << sql << ": " << r.body.dump();
  }
  for (const char* sql : {"SELECT * FROM lh_raw.customers", "SELECT * FROM read_csv('/etc/hostname')"}) {
    auto r = Sql(server, sql, reader);
    EXPECT_EQ(r.status, 403) << sql << ": " << r.body.dump();
    EXPECT_NE(ErrorMessage(r).find("--grant pii"), std::string::npos) << ErrorMessage(r);
  }
  // Exports of a dataset and of a query.
  for (const json& body : {json{{"dataset", "customers"}, {"format", "csv"}},
                           json{{"sql", "SELECT email, card FROM customers"}, {"format", "ndjson"}}}) {
    auto r = server.http().Post("/query/export", reader, body.dump(), "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_FALSE(Leaks(r->body)) << r->body;
    EXPECT_NE(r->body.find("@example.org"), std::string::npos);
  }
  // Search: hits redact the row's PII, include_pii is refused, and a filter
  // that reaches a column without naming it compares masked values.
  auto hits = ToReply(server.http().Post("/vectors/search/notes_idx", reader,
                                         json{{"text", "invoices"}, {"k", 5}}.dump(), "application/json"));
  ASSERT_EQ(hits.status, 200) << hits.body.dump();
  EXPECT_FALSE(Leaks(hits.body.dump())) << hits.body.dump();
  EXPECT_EQ(ToReply(server.http().Post("/vectors/search/notes_idx", reader,
                                       json{{"text", "invoices"}, {"include_pii", true}}.dump(), "application/json"))
                .status,
            403);
  EXPECT_EQ(ToReply(server.http().Post("/vectors/search/notes_idx", reader,
                                       json{{"text", "invoices"}, {"filter", "email LIKE 'person5@%'"}}.dump(),
                                       "application/json"))
                .status,
            403);
  auto sneaky = ToReply(server.http().Post("/vectors/search/notes_idx", reader,
                                           json{{"text", "invoices"}, {"filter", "COLUMNS('^emai') LIKE 'person5@%'"}}.dump(),
                                           "application/json"));
  ASSERT_EQ(sneaky.status, 200) << sneaky.body.dump();
  EXPECT_EQ(sneaky.body["hits"].size(), 0u) << sneaky.body.dump();
  // Doc fetch of an index over the PII column.
  auto doc = ToReply(server.http().Get("/vectors/indexes/email_idx/docs/5", reader));
  ASSERT_EQ(doc.status, 200) << doc.body.dump();
  EXPECT_FALSE(Leaks(doc.body.dump())) << doc.body.dump();
  EXPECT_EQ(ToReply(server.http().Get("/vectors/indexes/email_idx/docs/5?include_pii=true", reader)).status, 403);

  // A restricted column (not PII) is hidden from search and doc fetch too.
  std::string admin = MakeKey(server, "admin", "owner");
  auto patched = server.http().Patch("/catalog/datasets/by-name/customers/metadata", {{"X-Api-Key", admin}},
                                     json{{"columns", {{"notes", "restricted"}}}}.dump(), "application/json");
  ASSERT_TRUE(patched);
  ASSERT_EQ(patched->status, 200) << patched->body;
  auto restricted = ToReply(server.http().Post("/vectors/search/notes_idx", reader,
                                               json{{"text", "invoices"}, {"k", 3}}.dump(), "application/json"));
  ASSERT_EQ(restricted.status, 200) << restricted.body.dump();
  for (const auto& h : restricted.body["hits"]) EXPECT_EQ(h["text"], "[redacted]") << h.dump();
  EXPECT_EQ(Sql(server, "SELECT DISTINCT notes FROM customers", reader).body["rows"], json::array({json::array({"***"})}));
  // Eval sets of an index over PII hold its values (a generated one, its text).
  auto generated = server.http().Post("/vectors/indexes/email_idx/evalsets", {{"X-Api-Key", admin}},
                                      json{{"name", "gen"}, {"queries", json::array({{{"id", "q1"}, {"text", "person5"}, {"relevant", {{"5", 1}}}}})}}.dump(), "application/json");
  ASSERT_TRUE(generated);
  ASSERT_EQ(generated->status, 201) << generated->body;
  EXPECT_EQ(ToReply(server.http().Get("/vectors/indexes/email_idx/evalsets/gen", reader)).status, 403);
  EXPECT_EQ(ToReply(server.http().Get("/vectors/indexes/email_idx/evalsets/gen", pii)).status, 200);

  // The pii grant: as stored, everywhere, and audited.
  auto raw = Sql(server, "SELECT email, card FROM customers ORDER BY id LIMIT 1", pii);
  ASSERT_EQ(raw.status, 200) << raw.body.dump();
  EXPECT_EQ(raw.body["rows"][0][0], "person0@example.org");
  auto export_raw = server.http().Post("/query/export", pii, json{{"dataset", "customers"}}.dump(), "application/json");
  ASSERT_TRUE(export_raw);
  EXPECT_TRUE(Leaks(export_raw->body));
  auto shown = ToReply(server.http().Post("/vectors/search/notes_idx", pii,
                                          json{{"text", "note 5"}, {"include_pii", true}, {"k", 30}}.dump(),
                                          "application/json"));
  ASSERT_EQ(shown.status, 200) << shown.body.dump();
  EXPECT_TRUE(Leaks(shown.body.dump())) << shown.body.dump();
  auto doc_raw = ToReply(server.http().Get("/vectors/indexes/email_idx/docs/5?include_pii=true", pii));
  ASSERT_EQ(doc_raw.status, 200) << doc_raw.body.dump();
  EXPECT_NE(doc_raw.body.dump().find("person5@example.org"), std::string::npos) << doc_raw.body.dump();
  // Entries are written after their responses: the last may take a moment.
  std::string out, err;
  json entries;
  for (int tries = 0; tries < 100 && entries.size() < 4; ++tries) {
    if (tries) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    out.clear();
    ASSERT_EQ(server.RunCli({"auth", "audit", "--actor", "auditor", "--json"}, &out, &err), 0) << err;
    entries = json::parse(out)["entries"];
  }
  EXPECT_EQ(entries.size(), 4u) << out;
  for (const auto& e : entries) EXPECT_EQ(e["detail"], "read with the pii grant") << e.dump();
}

}  // namespace lakehouse::testing
