#include "host/client/client_settings.h"

#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rollrig::client {
namespace {

using ::testing::HasSubstr;

std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

const char kPem[] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";

TEST(ClientConfigTest, ReadsKeysCommentsAndRelativePaths) {
  absl::StatusOr<ClientConfig> c = ParseClientConfig(
      "# rig 7\naddr = rig7.lab:50051\n tls-ca=lab/ca.crt  # the lab CA\ntoken-file = /t\n",
      "/home/a/.config/rollrig/client.conf");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->addr, "rig7.lab:50051");
  EXPECT_EQ(c->tls_ca, "/home/a/.config/rollrig/lab/ca.crt");
  EXPECT_EQ(c->token_file, "/t");
}

TEST(ClientConfigTest, BadLinesAreNamed) {
  EXPECT_THAT(ParseClientConfig("addr = a:1\nport 5\n", "c.conf").status().message(),
              HasSubstr("c.conf line 2: expected KEY = VALUE"));
  EXPECT_THAT(ParseClientConfig("tls_ca = x\n", "c.conf").status().message(),
              HasSubstr("c.conf line 1: unknown key 'tls_ca'"));
  EXPECT_THAT(ParseClientConfig("addr =\n", "c.conf").status().message(),
              HasSubstr("addr has no value"));
}

TEST(ClientSettingsTest, CommandLineBeatsEnvironmentBeatsConfigFile) {
  ClientSources sources;
  sources.config.path = "client.conf";
  sources.config.addr = "rig7.lab:50051";
  sources.config.tls_ca = WriteFile("conf-ca.crt", kPem);
  sources.config.token_file = WriteFile("conf.token", "from-config\n");
  absl::StatusOr<ClientSettings> s = ResolveClientSettings({}, sources);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->addr, "rig7.lab:50051");
  EXPECT_EQ(s->addr_from, "addr in client.conf");
  EXPECT_TRUE(s->tls());
  EXPECT_EQ(s->token, "from-config");
  EXPECT_THAT(s->token_from, HasSubstr("token-file"));
  EXPECT_THAT(s->token_from, HasSubstr("client.conf"));

  sources.token_env = "from-env";
  s = ResolveClientSettings({}, sources);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->token, "from-env");
  EXPECT_EQ(s->token_from, "ROLLRIG_TOKEN");

  ClientFlags flags;
  flags.addr = "10.0.0.7:6000";
  flags.token_file = WriteFile("flag.token", "from-flag");
  flags.tls_ca = "none";
  s = ResolveClientSettings(flags, sources);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->addr, "10.0.0.7:6000");
  EXPECT_EQ(s->token, "from-flag");
  EXPECT_THAT(s->token_from, HasSubstr("--token-file"));
  EXPECT_FALSE(s->tls()) << "--tls-ca none talks plaintext whatever the config file says";
}

TEST(ClientSettingsTest, NothingGivenIsPlaintextLoopbackWithoutToken) {
  absl::StatusOr<ClientSettings> s = ResolveClientSettings({}, {});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->addr, kDefaultAddr);
  EXPECT_FALSE(s->tls());
  EXPECT_TRUE(s->token.empty());
}

TEST(ClientSettingsTest, AnAddressThatIsNotHostPortIsNamedAsSuch) {
  for (const char* bad :
       {"localhost", "127.0.0.1:", ":50051", "host:port", "h:0", "h:70000", "::1:50051", ""}) {
    ClientFlags flags;
    flags.addr = bad;
    absl::StatusOr<ClientSettings> s = ResolveClientSettings(flags, {});
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_THAT(s.status().message(), HasSubstr("is not HOST:PORT")) << bad;
    EXPECT_THAT(s.status().message(), HasSubstr("--addr")) << bad;
  }
  for (const char* good : {"localhost:50051", "10.1.2.3:1", "[::1]:50051", "rig7.lab:65535"}) {
    EXPECT_TRUE(CheckAddress(good, "--addr").ok()) << good;
  }
}

TEST(ClientSettingsTest, UnreadableOrWrongFilesAreNamedWithTheirOption) {
  ClientFlags flags;
  flags.token_file = "/nonexistent/rig.token";
  EXPECT_THAT(ResolveClientSettings(flags, {}).status().message(),
              HasSubstr("cannot read token file /nonexistent/rig.token (--token-file)"));
  flags.token_file = WriteFile("empty.token", " \n");
  EXPECT_THAT(ResolveClientSettings(flags, {}).status().message(), HasSubstr("is empty"));
  flags.token_file = WriteFile("huge.token", std::string(10000, 'x'));
  EXPECT_THAT(ResolveClientSettings(flags, {}).status().message(), HasSubstr("larger than"));

  ClientFlags ca;
  ca.tls_ca = "/nonexistent/ca.crt";
  EXPECT_THAT(ResolveClientSettings(ca, {}).status().message(),
              HasSubstr("cannot read CA certificate /nonexistent/ca.crt (--tls-ca)"));
  ca.tls_ca = WriteFile("not-a-cert.crt", "hello");
  EXPECT_THAT(ResolveClientSettings(ca, {}).status().message(), HasSubstr("no PEM certificate"));

  ClientSources empty_env;
  empty_env.token_env = "";
  EXPECT_THAT(ResolveClientSettings({}, empty_env).status().message(),
              HasSubstr("ROLLRIG_TOKEN is empty"));
}

}  // namespace
}  // namespace rollrig::client
