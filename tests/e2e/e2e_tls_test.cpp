// HTTPS end to end: a certificate made at test time with `openssl req`,
// the real binary serving it, clients that verify it, and the refusals:
// old protocols, weak ciphers, plain HTTP, a stalled handshake, and
// certificates or keys that do not fit.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <thread>

#include "e2e_helpers.h"
#include "fixtures.h"

namespace lakehouse::testing {

namespace {

namespace fs = std::filesystem;

// What `command` printed (stdout and stderr).
std::string Output(const std::string& command) {
  std::string out;
  if (FILE* p = ::popen((command + " 2>&1").c_str(), "r")) {
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
    ::pclose(p);
  }
  return out;
}

// A self-signed certificate for 127.0.0.1 in `dir` (cert.pem, key.pem).
void MakeCertificate(const fs::path& dir, const std::string& name = "") {
  std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost "
                    "-addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout " +
                    (dir / (name + "key.pem")).string() + " -out " + (dir / (name + "cert.pem")).string();
  ASSERT_EQ(std::system((cmd + " > /dev/null 2>&1").c_str()), 0) << Output(cmd);
  fs::permissions(dir / (name + "key.pem"), fs::perms::owner_read | fs::perms::owner_write);
}

std::string TlsConfig(const std::string& cert = "cert.pem", const std::string& key = "key.pem") {
  return "[server]\nheader_timeout_ms = 1000\ntls_cert = \"" + cert + "\"\ntls_key = \"" + key +
         "\"\n[inbox]\nenabled = false\n";
}

}  // namespace

TEST(TlsE2E, ServesHttpsWithAModernCipherSetAndRefusesTheRest) {
  ServerProcess server(TlsConfig());
  MakeCertificate(server.dir());
  server.UseTls(server.dir() / "cert.pem");
  ASSERT_TRUE(server.Start()) << server.log();
  // A verifying client: ingest, SQL, an export streamed back.
  ASSERT_EQ(Upload(server, "t.csv", "id,name\n1,a\n2,b\n").status, 201);
  auto sql = Sql(server, "SELECT count(*) FROM t");
  ASSERT_EQ(sql.status, 200) << sql.body.dump();
  EXPECT_EQ(sql.body["rows"][0][0], 2);
  auto exported = server.http().Post("/query/export", R"({"dataset": "t"})", "application/json");
  ASSERT_TRUE(exported);
  EXPECT_EQ(exported->body, "id,name\n1,a\n2,b\n");
  EXPECT_NE(server.log().find("https://127.0.0.1:"), std::string::npos);

  std::string port = std::to_string(server.port());
  std::string connect = "echo | openssl s_client -connect 127.0.0.1:" + port + " -CAfile " +
                        (server.dir() / "cert.pem").string();
  std::string modern = Output(connect);
  EXPECT_NE(modern.find("TLSv1.3"), std::string::npos) << modern;
  EXPECT_NE(modern.find("Verify return code: 0 (ok)"), std::string::npos) << modern;
  std::string tls12 = Output(connect + " -tls1_2");
  EXPECT_NE(tls12.find("ECDHE"), std::string::npos) << tls12;  // forward secrecy
  // TLS 1.1 and 1.0, and TLS 1.2 without forward secrecy or AEAD, are refused.
  for (const char* weak : {" -tls1_1 -cipher DEFAULT@SECLEVEL=0", " -tls1 -cipher DEFAULT@SECLEVEL=0",
                           " -tls1_2 -cipher AES128-SHA", " -tls1_2 -cipher ECDHE-RSA-AES128-SHA"}) {
    std::string out = Output(connect + weak);
    EXPECT_NE(out.find("Cipher is (NONE)"), std::string::npos) << weak << ": " << out;
  }
  // Plain HTTP to the HTTPS port is told what to do, whatever the method
  // (a client still sending its body when the answer comes must not die of it).
  std::signal(SIGPIPE, SIG_IGN);
  httplib::Client plain("127.0.0.1", server.port());
  auto expect_told = [](const httplib::Result& told) {
    ASSERT_TRUE(told);
    EXPECT_EQ(told->status, 400);
    EXPECT_NE(told->body.find("use https://"), std::string::npos) << told->body;
  };
  expect_told(plain.Get("/health"));
  expect_told(plain.Delete("/catalog/datasets/by-name/t"));
  expect_told(plain.Patch("/catalog/datasets/by-name/t/metadata", "{}", "application/json"));
  EXPECT_EQ(Sql(server, "SELECT count(*) FROM t").body["rows"][0][0], 2);  // nothing was deleted
  // A client that never finishes its handshake is cut off at the header deadline;
  // the server answers others meanwhile.
  RawClient stalled(server.port(), "127.0.0.2");
  stalled.Send("\x16\x03\x01");  // the first bytes of a ClientHello, then nothing
  EXPECT_EQ(Get(server, "/health").status, 200);
  bool closed = false;
  for (int i = 0; i < 5 && !closed; ++i) closed = stalled.Receive(3000) == "<closed>";
  EXPECT_TRUE(closed);
  EXPECT_EQ(Get(server, "/health").status, 200);
}

TEST(TlsE2E, ACertificateOrKeyThatDoesNotFitStopsTheStartWithAClearMessage) {
  struct Case {
    std::string config, expected;
  };
  std::vector<Case> cases = {
      {TlsConfig("missing.pem", "key.pem"), "tls_cert '"},
      {TlsConfig("cert.pem", "other_key.pem"), "is not the private key of the certificate"},
      {TlsConfig("key.pem", "key.pem"), "is not a PEM certificate"},
      {TlsConfig("cert.pem", "cert.pem"), "is not an unencrypted PEM private key"},
      {TlsConfig("cert.pem", "encrypted_key.pem"), "is not an unencrypted PEM private key"},  // never a prompt
      {"[server]\ntls_cert = \"cert.pem\"\n", "go together"},
  };
  for (const auto& c : cases) {
    ServerProcess server(c.config);
    MakeCertificate(server.dir());
    MakeCertificate(server.dir(), "other_");
    std::string encrypt = "openssl pkey -in " + (server.dir() / "key.pem").string() + " -aes256 -passout pass:x -out " +
                          (server.dir() / "encrypted_key.pem").string();
    ASSERT_EQ(std::system((encrypt + " > /dev/null 2>&1").c_str()), 0);
    EXPECT_FALSE(server.Start()) << c.config;
    EXPECT_NE(server.log().find(c.expected), std::string::npos) << c.config << "\n" << server.log();
  }
}

TEST(TlsE2E, AClientThatReadsSlowlyButSteadilyGetsTheWholeExport) {
  // The write timeout is for a client that stopped reading, not for one
  // that reads slower than the kernel reports its socket writable.
  ServerProcess server("[server]\nread_timeout_ms = 1500\ntls_cert = \"cert.pem\"\ntls_key = \"key.pem\"\n"
                       "[inbox]\nenabled = false\n");
  MakeCertificate(server.dir());
  server.UseTls(server.dir() / "cert.pem");
  ASSERT_TRUE(server.Start()) << server.log();
  httplib::Client client("https://127.0.0.1:" + std::to_string(server.port()));
  client.set_ca_cert_path((server.dir() / "cert.pem").c_str());
  client.enable_server_certificate_verification(true);
  client.set_read_timeout(60, 0);
  httplib::Request req;
  req.method = "POST";
  req.path = "/query/export";
  req.body = R"J({"sql": "SELECT range AS x, repeat('y', 40) AS pad FROM range(1000000)", "format": "csv"})J";
  req.set_header("Content-Type", "application/json");
  size_t got = 0;
  auto started = std::chrono::steady_clock::now();
  req.content_receiver = [&](const char*, size_t n, uint64_t, uint64_t) {
    got += n;
    // About 300 KB/s for the first 5 s, then as fast as it comes.
    if (std::chrono::steady_clock::now() - started < std::chrono::seconds(5)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(n / 300));
    }
    return true;
  };
  auto res = client.send(req);
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  // "x,pad\n" then one line per row: the digits, a comma, 40 y's, a newline.
  size_t expected = 6;
  for (int i = 0; i < 1000000; ++i) expected += std::to_string(i).size() + 42;
  EXPECT_EQ(got, expected);
}

}  // namespace lakehouse::testing
