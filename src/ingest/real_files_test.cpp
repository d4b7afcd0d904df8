// Files shaped like the ones users bring (tests/fixtures/real), each read
// whole and right, or refused with a message that names our option to fix it.
#include <zlib.h>

#include <fstream>

#include "ingest/ingest_fixture.h"

namespace lakehouse::ingest {

namespace {

fs::path Real(const std::string& name) { return fs::path(LAKEHOUSE_REAL_FIXTURES) / name; }

}  // namespace

class RealFilesTest : public IngestFixture {
 protected:
  Result<IngestResult> Ingest(const fs::path& file, const std::string& name,
                              std::map<std::string, std::string> options = {}, WriteMode mode = WriteMode::kAppend,
                              std::optional<Format> format = std::nullopt) {
    IngestRequest req;
    req.file = file;
    req.file_name = file.filename().string();
    req.dataset = name;
    req.mode = mode;
    req.format = format;
    auto reader = ReaderOptionsFromMap(options, true);
    if (!reader.ok()) return reader.status();
    req.reader = *reader;
    return ingestor_->Ingest(req);
  }
  engine::QueryResult Sql(const std::string& sql) {
    auto r = engine_->Run({sql, -1, -1});
    EXPECT_TRUE(r.ok()) << sql << ": " << r.status().message();
    return r.ok() ? *r : engine::QueryResult{};
  }
};

TEST_F(RealFilesTest, OldRowsWithoutTrailingFieldsAreReadWithNullsAndAWarning) {
  auto r = Ingest(Real("distro-info-debian.csv"), "debian");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->rows_written, 11);
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_EQ(r->warnings[0], "11 of 11 rows have fewer fields than the header's 8 (first: line 2); "
                            "their missing trailing fields are NULL");
  auto q = Sql("SELECT count(*), count(\"eol-lts\"), min(codename) FROM debian");
  EXPECT_EQ(q.Int(0, 0), 11);
  EXPECT_EQ(q.Int(0, 1), 1);  // only the release that has one
  EXPECT_EQ(q.Text(0, 2), "Bo");
}

TEST_F(RealFilesTest, CommentsAboveAHeaderlessTableAreSkipped) {
  auto refused = Ingest(Real("zone.tab"), "zone");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message(),
            "cannot read zone.tab as csv: line 36 has 4 fields but the first line, the header, has 3. If the first "
            "line is data, use --header false; otherwise quote fields that contain the delimiter, or give the right "
            "--delimiter");
  auto r = Ingest(Real("zone.tab"), "zone", {{"header", "false"}});
  ASSERT_TRUE(r.ok()) << r.status().message();
  auto q = Sql("SELECT count(*), min(column0), count(column3) FROM zone");
  EXPECT_EQ(q.Int(0, 0), 40 - 27);  // 27 comment lines
  EXPECT_EQ(q.Text(0, 1), "AD");
  EXPECT_GT(q.Int(0, 2), 0);
  EXPECT_EQ(r->manifest.lineage.reader_options, (std::map<std::string, std::string>{{"header", "false"}}));
}

TEST_F(RealFilesTest, ANoteAboveTheHeaderIsRefusedNamingSkip) {
  auto refused = Ingest(Real("wine_data.csv"), "wine");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.status().message(),
            "cannot read wine_data.csv as csv: line 1 has 5 fields but the lines after it have 6. If line 1 is a "
            "note above the header, skip it with --skip 1 (upload field skip=1)");
  auto r = Ingest(Real("wine_data.csv"), "wine", {{"skip", "1"}});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->rows_written, 6);
  EXPECT_EQ(Sql("SELECT sum(target) FROM wine").Int(0, 0), 6);
}

TEST_F(RealFilesTest, APrettyPrintedDocumentIsOneRowOrOneRowPerRecord) {
  auto pkg = Ingest(Real("package.json"), "pkg");
  ASSERT_TRUE(pkg.ok()) << pkg.status().message();
  EXPECT_EQ(pkg->rows_written, 1);
  EXPECT_EQ(Sql("SELECT name, author.email FROM pkg").Text(0, 1), "david@adaltas.com");

  auto countries = Ingest(Real("iso_3166-1.json"), "countries", {{"records", "3166-1"}});
  ASSERT_TRUE(countries.ok()) << countries.status().message();
  EXPECT_EQ(countries->rows_written, 12);
  auto q = Sql("SELECT alpha_2, name FROM countries ORDER BY alpha_3 LIMIT 1");
  EXPECT_EQ(q.Text(0, 0), "AW");
  auto missing = Ingest(Real("iso_3166-1.json"), "nowhere", {{"records", "3166-2"}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "cannot read iso_3166-1.json as ndjson: the document has no array at records path '3166-2'");
}

TEST_F(RealFilesTest, GzipCompressedInputIsReadByWhatItHolds) {
  for (const char* name : {"distro-info-debian.csv", "iso_3166-1.json", "fortunes"}) {
    std::ifstream in(Real(name), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    fs::path gz = dir_ / (std::string(name) + ".gz");
    gzFile out = gzopen(gz.c_str(), "wb");
    ASSERT_EQ(gzwrite(out, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
    gzclose(out);
    auto r = Ingest(gz, "", std::string(name) == "iso_3166-1.json" ? std::map<std::string, std::string>{{"records", "3166-1"}}
                                                                    : std::map<std::string, std::string>{});
    ASSERT_TRUE(r.ok()) << name << ": " << r.status().message();
    EXPECT_EQ(r->rows_written, std::string(name) == "iso_3166-1.json" ? 12 : std::string(name) == "fortunes" ? 1 : 11)
        << name;
  }
  EXPECT_TRUE(catalog_->Get("distro_info_debian").ok());  // .csv.gz is one extension
}

TEST_F(RealFilesTest, DamagedCutOrExplodingGzipIsRefused) {
  std::string csv = "id,name\n";
  for (int i = 0; i < 100000; ++i) csv += std::to_string(i) + ",a\n";
  fs::path whole = dir_ / "rows.csv.gz";
  gzFile out = gzopen(whole.c_str(), "wb");
  gzwrite(out, csv.data(), static_cast<unsigned>(csv.size()));
  gzclose(out);
  std::ifstream in(whole, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  fs::path cut = dir_ / "cut.csv.gz";
  testing::WriteFile(cut, bytes.substr(0, bytes.size() / 2));
  auto r = Ingest(cut, "cut");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cannot read cut.csv.gz: the gzip data is damaged or cut short after"),
            std::string::npos) << r.status().message();
  EXPECT_FALSE(catalog_->Get("cut").ok());
  // 2 GiB of one repeated line in a few MB: refused once it passes 1 GiB.
  fs::path bomb = dir_ / "bomb.csv.gz";
  out = gzopen(bomb.c_str(), "wb9");
  std::string block = "a,b\n";
  std::string chunk;
  for (int i = 0; i < (1 << 18); ++i) chunk += "1,2\n";
  gzwrite(out, block.data(), static_cast<unsigned>(block.size()));
  for (int i = 0; i < 1100; ++i) gzwrite(out, chunk.data(), static_cast<unsigned>(chunk.size()));
  gzclose(out);
  auto boom = Ingest(bomb, "bomb");
  ASSERT_FALSE(boom.ok());
  EXPECT_NE(boom.status().message().find("expands to more than 1024 MiB"), std::string::npos) << boom.status().message();
  ASSERT_TRUE(Ingest(whole, "rows").ok());
}

TEST_F(RealFilesTest, TextSplitsIntoTheRecordsAsked) {
  auto fortunes = Ingest(Real("fortunes"), "fortunes", {{"records_by", "separator:%"}});
  ASSERT_TRUE(fortunes.ok()) << fortunes.status().message();
  EXPECT_EQ(fortunes->rows_written, 3);
  EXPECT_EQ(Sql("SELECT text FROM fortunes WHERE record = 2").Text(0, 0), "Two wrongs don't make a right,\nbut three lefts do.");
  auto words = Ingest(Real("words"), "words", {{"records_by", "line"}});
  ASSERT_TRUE(words.ok()) << words.status().message();
  EXPECT_EQ(words->rows_written, 4);
  EXPECT_EQ(Sql("SELECT text FROM words WHERE line = 3").Text(0, 0), "abandon");
}

TEST_F(RealFilesTest, EncodingsSeparatorsFormatsAndTypesAsGiven) {
  auto prices = Ingest(Real("prices-cp1252.csv"), "prices", {{"encoding", "cp1252"}, {"decimal_separator", ","}});
  ASSERT_TRUE(prices.ok()) << prices.status().message();
  auto p = Sql("SELECT item, price, note, typeof(price) FROM prices ORDER BY price DESC");
  EXPECT_EQ(p.Text(0, 0), "Café");
  EXPECT_EQ(p.Text(0, 2), "\u201cbest\u201d \u20ac deal");
  EXPECT_EQ(p.Text(1, 2), "\u2013");
  EXPECT_EQ(p.Text(0, 3), "DOUBLE");
  EXPECT_TRUE(prices->warnings.empty()) << prices->warnings[0];
  // Bytes cp1252 leaves undefined are kept as U+FFFD, and said so.
  fs::path undefined_file = dir_ / "undefined.csv";
  testing::WriteFile(undefined_file, "item,note\nA,x\x81y\nB,\x9d\n");
  auto undefined = Ingest(undefined_file, "undefined", {{"encoding", "cp1252"}});
  ASSERT_TRUE(undefined.ok()) << undefined.status().message();
  ASSERT_EQ(undefined->warnings.size(), 1u);
  EXPECT_EQ(undefined->warnings[0],
            "2 bytes that cp1252 does not define (0x81, 0x8D, 0x8F, 0x90 or 0x9D; the first at byte 13) became "
            "U+FFFD; if the file is not cp1252, give its --encoding (latin-1, utf-8)");
  EXPECT_EQ(Sql("SELECT note FROM undefined WHERE item = 'A'").Text(0, 0), "x\uFFFDy");

  // latin-1 has control codes where cp1252 has quotes and the euro sign.
  auto not_latin = Ingest(Real("prices-cp1252.csv"), "prices_latin", {{"encoding", "latin-1"}});
  ASSERT_FALSE(not_latin.ok());
  EXPECT_EQ(not_latin.status().message(),
            "cannot read prices-cp1252.csv as csv: it is not latin-1 text. Try --encoding cp1252");
  fs::path latin_file = dir_ / "latin.csv";
  testing::WriteFile(latin_file, "item;price\nCaf\xe9;3\n");
  auto latin = Ingest(latin_file, "prices_latin", {{"encoding", "latin-1"}});
  ASSERT_TRUE(latin.ok()) << latin.status().message();
  EXPECT_EQ(Sql("SELECT item FROM prices_latin").Text(0, 0), "Café");
  auto utf8 = Ingest(Real("prices-cp1252.csv"), "prices_utf8");
  ASSERT_FALSE(utf8.ok());
  EXPECT_NE(utf8.status().message().find("not UTF-8 text"), std::string::npos) << utf8.status().message();
  EXPECT_NE(utf8.status().message().find("--encoding latin-1 or --encoding cp1252"), std::string::npos);
  EXPECT_EQ(utf8.status().message().find("read_csv"), std::string::npos);

  auto eu = Ingest(Real("eu-numbers.csv"), "eu", {{"decimal_separator", ","}, {"date_format", "%d/%m/%Y"}});
  ASSERT_TRUE(eu.ok()) << eu.status().message();
  auto e = Sql("SELECT CAST(day AS VARCHAR), amount FROM eu ORDER BY day");
  EXPECT_EQ(e.Text(0, 0), "2024-01-03");
  EXPECT_EQ(e.Text(1, 1), "2.250000");

  auto zips = Ingest(Real("nulls-and-zips.csv"), "zips", {{"types", "zip=VARCHAR"}, {"null", "NA"}});
  ASSERT_TRUE(zips.ok()) << zips.status().message();
  auto z = Sql("SELECT zip, score IS NULL, typeof(score) FROM zips ORDER BY id");
  EXPECT_EQ(z.Text(0, 0), "01234");
  EXPECT_EQ(z.Text(0, 1), "true");
  EXPECT_EQ(z.Text(0, 2), "DOUBLE");
  auto bad_type = Ingest(Real("nulls-and-zips.csv"), "zips2", {{"types", "zip=NOTATYPE"}});
  ASSERT_FALSE(bad_type.ok());
  EXPECT_EQ(bad_type.status().message(),
            "cannot read nulls-and-zips.csv as csv: 'NOTATYPE' in types is not a column type (use e.g. BIGINT, "
            "VARCHAR, DOUBLE, DATE, DECIMAL(10,2))");
  auto no_column = Ingest(Real("nulls-and-zips.csv"), "zips3", {{"types", "nosuch=INTEGER"}});
  ASSERT_FALSE(no_column.ok());
  EXPECT_EQ(no_column.status().message(),
            "cannot read nulls-and-zips.csv as csv: types names columns the file does not have: \"nosuch\"");
  auto clash = Ingest(Real("nulls-and-zips.csv"), "zips4", {{"escape", ","}, {"delimiter", ","}});
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.status().message(), "cannot read nulls-and-zips.csv as csv: two reader options clash: the "
                                      "delimiter, quote, escape and null text must all differ");
  fs::path nested = dir_ / "nested.csv";
  testing::WriteFile(nested, "a,b\n1,{\"x\":2}\n");
  auto not_a_list = Ingest(nested, "nested", {{"types", "b=INTEGER[]"}});
  ASSERT_FALSE(not_a_list.ok());
  EXPECT_EQ(not_a_list.status().message(),
            "cannot read nested.csv as csv: column b: Could not convert string \"{\"x\":2}\" to 'INTEGER[]' (line 2). "
            "Give the column's type with --types COLUMN=VARCHAR, or the --date-format, --timestamp-format or "
            "--decimal-separator the file uses");
  auto past_the_end = Ingest(nested, "nested2", {{"skip", "10"}});
  ASSERT_FALSE(past_the_end.ok());
  EXPECT_EQ(past_the_end.status().message(), "cannot read nested.csv as csv: --skip 10 leaves nothing to read: the file has 2 lines");
}

TEST_F(RealFilesTest, ZstdAndUtf16FilesAreReadOrRefusedSayingHow) {
  auto zstd = Ingest(Real("nulls-and-zips.csv.zst"), "zips_zst", {{"null", "NA"}, {"types", "zip=VARCHAR"}});
  ASSERT_TRUE(zstd.ok()) << zstd.status().message();
  EXPECT_EQ(Sql("SELECT zip FROM zips_zst WHERE id = 1").Text(0, 0), "01234");
  auto json = Ingest(Real("package.json.zst"), "package_zst");
  ASSERT_TRUE(json.ok()) << json.status().message();
  EXPECT_EQ(json->rows_written, 1);
  // The depth limit sees through zstd and gzip as it does through plain files.
  std::string deep = std::string(100, '[') + std::string(100, ']');
  for (const char* tool : {"zstd -q -f", "gzip -f"}) {
    fs::path file = dir_ / "deep.json";
    testing::WriteFile(file, deep);
    ASSERT_EQ(std::system((std::string(tool) + " " + file.string()).c_str()), 0) << tool;
    fs::path packed = file.string() + (std::string(tool).rfind("zstd", 0) == 0 ? ".zst" : ".gz");
    auto refused = Ingest(packed, "deep");
    ASSERT_FALSE(refused.ok()) << tool;
    EXPECT_NE(refused.status().message().find("its JSON nests deeper than 64 levels"), std::string::npos)
        << refused.status().message();
  }
  // What zstd -T and pzstd write opens with a skippable frame.
  std::string skippable("\x50\x2a\x4d\x18\x04\0\0\0\0\0\0\0", 12);
  std::ifstream plain_zst(Real("nulls-and-zips.csv.zst"), std::ios::binary);
  fs::path framed = dir_ / "framed.csv.zst";
  testing::WriteFile(framed, skippable + std::string((std::istreambuf_iterator<char>(plain_zst)), {}));
  auto framed_read = Ingest(framed, "framed", {{"null", "NA"}});
  ASSERT_TRUE(framed_read.ok()) << framed_read.status().message();
  EXPECT_EQ(framed_read->rows_written, zstd->rows_written);
  // Cut short: refused, nothing stored.
  std::ifstream whole(Real("nulls-and-zips.csv.zst"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(whole)), std::istreambuf_iterator<char>());
  fs::path cut = dir_ / "cut.csv.zst";
  testing::WriteFile(cut, bytes.substr(0, bytes.size() / 2));
  auto cut_short = Ingest(cut, "cut");
  ASSERT_FALSE(cut_short.ok());
  EXPECT_NE(cut_short.status().message().find("cannot read cut.csv.zst: the zstd data is damaged or cut short"),
            std::string::npos)
      << cut_short.status().message();
  EXPECT_FALSE(catalog_->Get("cut").ok());
  auto utf16 = Ingest(Real("cities-utf16.csv"), "cities", {{"encoding", "utf-16"}});
  ASSERT_TRUE(utf16.ok()) << utf16.status().message();
  auto c = Sql("SELECT name, city FROM cities ORDER BY name");
  EXPECT_EQ(c.Text(0, 0), "Anna");
  EXPECT_EQ(c.Text(1, 1), "Zürich");
  // Its byte-order mark is enough.
  auto by_bom = Ingest(Real("cities-utf16.csv"), "cities_bom");
  ASSERT_TRUE(by_bom.ok()) << by_bom.status().message();
  EXPECT_EQ(Sql("SELECT city FROM cities_bom WHERE name = 'José'").Text(0, 0), "Zürich");
  fs::path big_endian = dir_ / "be.csv";
  testing::WriteFile(big_endian, std::string("\xFE\xFF\0a\0,\0b\0\n\0" "1\0,\0" "2\0\n", 18));
  auto latin = Ingest(Real("cities-utf16.csv"), "cities_latin", {{"encoding", "latin-1"}});
  ASSERT_FALSE(latin.ok());
  EXPECT_EQ(latin.status().message(), "cannot read cities-utf16.csv: its byte-order mark says it is UTF-16; leave out "
                                      "--encoding, or give utf-16");
  auto be_forced = Ingest(big_endian, "be", {{"encoding", "utf-16"}}, ingest::WriteMode::kAppend, Format::kCsv);
  ASSERT_FALSE(be_forced.ok());
  EXPECT_NE(be_forced.status().message().find("UTF-16 big-endian"), std::string::npos) << be_forced.status().message();
  fs::path json_in_csv = dir_ / "really-json.csv";
  testing::WriteFile(json_in_csv, "[{\"a\": 1}, {\"a\": 2}]\n");
  auto json_rows = Ingest(json_in_csv, "really_json");
  ASSERT_TRUE(json_rows.ok()) << json_rows.status().message();
  ASSERT_EQ(json_rows->warnings.size(), 1u);
  EXPECT_EQ(json_rows->warnings[0],
            "the file came out as a header and no rows: if it is not CSV, give its --format (json, ndjson, text)");
  auto be = Ingest(big_endian, "be");
  ASSERT_FALSE(be.ok());
  EXPECT_EQ(be.status().message(), "the file is UTF-16 big-endian text; convert it to UTF-8 first, e.g. iconv -f "
                                   "UTF-16BE -t UTF-8 FILE > FILE.utf8");
}

TEST_F(RealFilesTest, TheSameBytesReadAnotherWayAreNewDataAndReplaceAlwaysRuns) {
  fs::path tsv = dir_ / "pairs.txt";
  testing::WriteFile(tsv, "a\tb\n1\t2\n");
  auto first = Ingest(tsv, "pairs", {}, WriteMode::kAppend, Format::kCsv);
  ASSERT_TRUE(first.ok());
  auto again = Ingest(tsv, "pairs", {}, WriteMode::kAppend, Format::kCsv);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->no_op);
  auto text = Ingest(tsv, "pairs_text", {}, WriteMode::kAppend, Format::kText);
  ASSERT_TRUE(text.ok());
  auto other_options = Ingest(tsv, "pairs", {{"null", "NA"}}, WriteMode::kAppend, Format::kCsv);
  ASSERT_TRUE(other_options.ok()) << other_options.status().message();
  EXPECT_FALSE(other_options->no_op);
  auto replaced = Ingest(tsv, "pairs", {}, WriteMode::kReplace, Format::kCsv);
  ASSERT_TRUE(replaced.ok()) << replaced.status().message();
  EXPECT_FALSE(replaced->no_op);
  EXPECT_EQ(replaced->manifest.current().number, 2);
}

TEST_F(RealFilesTest, AnAppendSharingNoColumnIsRefusedAndMissingColumnsAreNamed) {
  fs::path a = dir_ / "a.csv", b = dir_ / "b.csv", c = dir_ / "c.csv";
  testing::WriteFile(a, "id,name,city\n1,x,Oslo\n");
  testing::WriteFile(b, "sku,price\nA1,3\n");
  testing::WriteFile(c, "id,name\n2,y\n");
  ASSERT_TRUE(Ingest(a, "people").ok());
  auto disjoint = Ingest(b, "people");
  ASSERT_FALSE(disjoint.ok());
  EXPECT_EQ(disjoint.status().code(), StatusCode::kConflict);
  EXPECT_EQ(disjoint.status().message(),
            "the file shares no column with dataset 'people' (the dataset has: id, name, city; the file has: sku, "
            "price); nothing was stored. Ingest it under another name, replace the dataset (mode replace), or append "
            "anyway (allow_disjoint=true, --allow-disjoint)");
  EXPECT_EQ(Sql("SELECT count(*) FROM people").Int(0, 0), 1);
  auto partial = Ingest(c, "people");
  ASSERT_TRUE(partial.ok()) << partial.status().message();
  EXPECT_EQ(partial->null_columns, (std::vector<std::string>{"city"}));
  EXPECT_NE(partial->message.find("these rows have no values for city (NULL)"), std::string::npos);
  IngestRequest anyway;
  anyway.file = b;
  anyway.file_name = "b.csv";
  anyway.dataset = "people";
  anyway.allow_disjoint = true;
  auto forced = ingestor_->Ingest(anyway);
  ASSERT_TRUE(forced.ok()) << forced.status().message();
  EXPECT_EQ(Sql("SELECT count(*), count(sku) FROM people").Int(0, 1), 1);
}

TEST_F(RealFilesTest, AReIngestReadsTheWayTheDatasetWasRead) {
  ASSERT_TRUE(Ingest(Real("wine_data.csv"), "wine", {{"skip", "1"}}).ok());
  fs::path more = dir_ / "more_wine.csv";
  testing::WriteFile(more, "3,6,class_0,class_1,class_2\nalcohol,malic_acid,ash,alcalinity,magnesium,target\n"
                           "11.5,1.5,2.5,10.5,90,1\n12.5,1.5,2.5,10.5,90,1\n13.5,1.5,2.5,10.5,90,1\n");
  auto r = Ingest(more, "wine");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->rows_written, 3);
  EXPECT_EQ(r->manifest.lineage.reader_options.at("skip"), "1");
}

}  // namespace lakehouse::ingest
