// Upstream URL and endpoint parsing.

#include "config/config.h"

#include <gtest/gtest.h>

namespace respite::config {
namespace {

UpstreamUrl MustParse(const std::string& url) {
  UpstreamUrl out;
  std::string error;
  EXPECT_TRUE(ParseUpstreamUrl(url, &out, &error)) << url << ": " << error;
  return out;
}

std::string ParseError(const std::string& url) {
  UpstreamUrl out;
  std::string error;
  EXPECT_FALSE(ParseUpstreamUrl(url, &out, &error)) << url;
  return error;
}

TEST(UpstreamUrlTest, Defaults) {
  UpstreamUrl url;
  EXPECT_EQ(url.host, "127.0.0.1");
  EXPECT_EQ(url.port, 6379);
  EXPECT_EQ(url.db, 0);
  EXPECT_FALSE(url.tls);
  EXPECT_EQ(url.Redacted(), "redis://127.0.0.1:6379");
}

TEST(UpstreamUrlTest, HostOnlyUsesDefaultPortAndDb) {
  UpstreamUrl url = MustParse("redis://cache.internal");
  EXPECT_EQ(url.host, "cache.internal");
  EXPECT_EQ(url.port, 6379);
  EXPECT_EQ(url.db, 0);
  EXPECT_TRUE(url.user.empty());
  EXPECT_TRUE(url.password.empty());
  EXPECT_FALSE(url.tls);
}

TEST(UpstreamUrlTest, UserPasswordPortDb) {
  UpstreamUrl url = MustParse("redis://alice:s3cret@10.0.0.5:6390/3");
  EXPECT_EQ(url.user, "alice");
  EXPECT_EQ(url.password, "s3cret");
  EXPECT_EQ(url.host, "10.0.0.5");
  EXPECT_EQ(url.port, 6390);
  EXPECT_EQ(url.db, 3);
}

TEST(UpstreamUrlTest, PasswordOnly) {
  UpstreamUrl url = MustParse("redis://:pw@h");
  EXPECT_EQ(url.user, "");
  EXPECT_EQ(url.password, "pw");
  EXPECT_EQ(url.host, "h");
}

TEST(UpstreamUrlTest, UserOnly) {
  UpstreamUrl url = MustParse("redis://bob@h:7000");
  EXPECT_EQ(url.user, "bob");
  EXPECT_EQ(url.password, "");
  EXPECT_EQ(url.Redacted(), "redis://bob@h:7000");
}

TEST(UpstreamUrlTest, TlsScheme) {
  UpstreamUrl url = MustParse("rediss://h:6380");
  EXPECT_TRUE(url.tls);
  EXPECT_EQ(url.Redacted(), "rediss://h:6380");
  EXPECT_TRUE(MustParse("REDIS://h").host == "h");
}

TEST(UpstreamUrlTest, Ipv6) {
  UpstreamUrl url = MustParse("redis://[::1]:7001/2");
  EXPECT_EQ(url.host, "::1");
  EXPECT_EQ(url.port, 7001);
  EXPECT_EQ(url.db, 2);
  EXPECT_EQ(url.Redacted(), "redis://[::1]:7001/2");
  EXPECT_EQ(MustParse("redis://[2001:db8::7]").host, "2001:db8::7");
}

TEST(UpstreamUrlTest, TrailingSlashIsDbZero) { EXPECT_EQ(MustParse("redis://h/").db, 0); }

TEST(UpstreamUrlTest, PercentEncodedUserAndPassword) {
  UpstreamUrl url = MustParse("redis://us%40er:p%40ss%3Aw%2Frd%25@h");
  EXPECT_EQ(url.user, "us@er");
  EXPECT_EQ(url.password, "p@ss:w/rd%");
  EXPECT_EQ(url.Redacted(), "redis://us%40er:***@h:6379");
}

TEST(UpstreamUrlTest, SentinelUrlNamesTheSentinelsAndTheMaster) {
  UpstreamUrl url =
      MustParse("redis+sentinel://app:p%40ss@10.0.0.1:26380,sentinel-b,[::1]:26381/mymaster/3");
  ASSERT_EQ(url.sentinels.size(), 3u);
  EXPECT_EQ(url.sentinels[0].ToString(), "10.0.0.1:26380");
  EXPECT_EQ(url.sentinels[1].ToString(), "sentinel-b:26379");  // Sentinel's default port
  EXPECT_EQ(url.sentinels[2].ToString(), "[::1]:26381");
  EXPECT_EQ(url.master_name, "mymaster");
  EXPECT_EQ(url.user, "app");  // the master's credentials
  EXPECT_EQ(url.password, "p@ss");
  EXPECT_EQ(url.db, 3);
  EXPECT_FALSE(url.tls);
  EXPECT_TRUE(url.host.empty());  // the sentinels will say
  EXPECT_EQ(url.Redacted(),
            "redis+sentinel://app:***@10.0.0.1:26380,sentinel-b:26379,[::1]:26381/mymaster/3");
  EXPECT_EQ(MustParse("redis+sentinel://s1/m").Redacted(), "redis+sentinel://s1:26379/m");
  EXPECT_TRUE(MustParse("rediss+sentinel://s1/m").tls);

  EXPECT_NE(ParseError("redis+sentinel://s1:26379").find("missing master name"), std::string::npos);
  EXPECT_NE(ParseError("redis+sentinel://s1:26379/").find("missing master name"),
            std::string::npos);
  EXPECT_NE(ParseError("redis+sentinel://s1:99999/m").find("bad sentinel address 's1:99999'"),
            std::string::npos);
  EXPECT_NE(ParseError("redis+sentinel://s1,,s2/m").find("bad sentinel address"),
            std::string::npos);
  EXPECT_NE(ParseError("redis+sentinel://s1/m/16").find("bad db"), std::string::npos);
}

TEST(UpstreamUrlTest, ClusterUrlNamesSeedNodes) {
  UpstreamUrl url = MustParse("redis+cluster://app:p%40ss@10.0.0.1:7000,node-b,[::1]:7002");
  ASSERT_EQ(url.cluster_nodes.size(), 3u);
  EXPECT_EQ(url.cluster_nodes[0].ToString(), "10.0.0.1:7000");
  EXPECT_EQ(url.cluster_nodes[1].ToString(), "node-b:6379");  // Redis' default port
  EXPECT_EQ(url.cluster_nodes[2].ToString(), "[::1]:7002");
  EXPECT_TRUE(url.sentinels.empty());
  EXPECT_EQ(url.user, "app");
  EXPECT_EQ(url.password, "p@ss");
  EXPECT_EQ(url.db, 0);
  EXPECT_TRUE(url.host.empty());  // the slot map will say
  EXPECT_EQ(url.Redacted(), "redis+cluster://app:***@10.0.0.1:7000,node-b:6379,[::1]:7002");
  EXPECT_EQ(MustParse("redis+cluster://n1:7000/").Redacted(), "redis+cluster://n1:7000");
  EXPECT_EQ(MustParse("redis+cluster://n1:7000/0").db, 0);
  EXPECT_TRUE(MustParse("rediss+cluster://n1").tls);
  EXPECT_EQ(MustParse("rediss+cluster://n1").Redacted(), "rediss+cluster://n1:6379");
  EXPECT_NE(ParseError("redis+cluster://n1/3").find("Redis Cluster has db 0 only, got '/3'"),
            std::string::npos);
  EXPECT_NE(ParseError("redis+cluster://n1,,n2").find("bad cluster node address"),
            std::string::npos);
}

TEST(UpstreamUrlTest, BadScheme) {
  std::string error = ParseError("http://h:6379");
  EXPECT_NE(error.find("unsupported scheme 'http'"), std::string::npos) << error;
  EXPECT_NE(error.find("redis://[user[:password]@]host[:port][/db]"), std::string::npos);
  ParseError("h:6379");
  ParseError("");
  ParseError("redis:h");
}

TEST(UpstreamUrlTest, BadPort) {
  EXPECT_NE(ParseError("redis://h:0").find("bad port"), std::string::npos);
  ParseError("redis://h:65536");
  ParseError("redis://h:99999999999");
  ParseError("redis://h:");
  ParseError("redis://h:abc");
  EXPECT_EQ(MustParse("redis://h:65535").port, 65535);
  EXPECT_EQ(MustParse("redis://h:1").port, 1);
}

TEST(UpstreamUrlTest, BadDb) {
  EXPECT_NE(ParseError("redis://h/16").find("bad db"), std::string::npos);
  ParseError("redis://h/-1");
  ParseError("redis://h/x");
  ParseError("redis://h/1/2");
  ParseError("redis://h/100");
  EXPECT_EQ(MustParse("redis://h/15").db, 15);
  EXPECT_EQ(MustParse("redis://h/0").db, 0);
}

TEST(UpstreamUrlTest, BadHostQueryFragment) {
  ParseError("redis://");
  ParseError("redis://:pw@");
  ParseError("redis://:6379");
  ParseError("redis://h?db=1");
  ParseError("redis://h#x");
  ParseError("redis://ho%20st");
}

TEST(UpstreamUrlTest, FailureLeavesOutputAlone) {
  UpstreamUrl out = MustParse("redis://keep:6390");
  std::string error;
  EXPECT_FALSE(ParseUpstreamUrl("redis://other:0", &out, &error));
  EXPECT_EQ(out.host, "keep");
  EXPECT_EQ(out.port, 6390);
}

TEST(UpstreamUrlTest, SecretsNeverInRedactedOrErrors) {
  const std::string secret = "Hunter2Secret";
  for (const std::string& url :
       {"redis://u:" + secret + "@h", "redis://:" + secret + "@h:1/1",
        "rediss://u:" + secret + "@[::1]:6380", std::string("redis://u:Hunter2%53ecret@h")}) {
    UpstreamUrl parsed = MustParse(url);
    EXPECT_EQ(parsed.password, secret);
    std::string redacted = parsed.Redacted();
    EXPECT_EQ(redacted.find(secret), std::string::npos) << redacted;
    EXPECT_NE(redacted.find(":***@"), std::string::npos) << redacted;
  }
  for (const std::string& bad : {"redis://u:" + secret + "@h:0", "redis://u:" + secret + "@h/99",
                                 "http://u:" + secret + "@h", "redis://u:" + secret + "@h?x=1"}) {
    std::string error = ParseError(bad);
    EXPECT_EQ(error.find(secret), std::string::npos) << error;
  }
}

TEST(UpstreamUrlTest, RedactedRoundTrips) {
  UpstreamUrl url = MustParse("rediss://a%20b:pw@example.com:7000/9");
  UpstreamUrl again = MustParse(url.Redacted());
  EXPECT_EQ(again.user, "a b");
  EXPECT_EQ(again.password, "***");
  EXPECT_EQ(again.host, "example.com");
  EXPECT_EQ(again.port, 7000);
  EXPECT_EQ(again.db, 9);
  EXPECT_TRUE(again.tls);
}

Endpoint MustParseEndpoint(const std::string& text) {
  Endpoint out;
  std::string error;
  EXPECT_TRUE(ParseEndpoint(text, &out, &error)) << text << ": " << error;
  return out;
}

void ExpectBadEndpoint(const std::string& text) {
  Endpoint out;
  std::string error;
  EXPECT_FALSE(ParseEndpoint(text, &out, &error)) << text;
  EXPECT_NE(error.find("HOST:PORT"), std::string::npos) << error;
}

TEST(EndpointTest, HostPort) {
  Endpoint endpoint = MustParseEndpoint("0.0.0.0:6380");
  EXPECT_EQ(endpoint.host, "0.0.0.0");
  EXPECT_EQ(endpoint.port, 6380);
  EXPECT_EQ(endpoint.ToString(), "0.0.0.0:6380");
  EXPECT_EQ(MustParseEndpoint("localhost:1").host, "localhost");
  EXPECT_EQ(MustParseEndpoint("redis-0.redis.svc:65535").port, 65535);
}

TEST(EndpointTest, Ipv6) {
  Endpoint endpoint = MustParseEndpoint("[::1]:6380");
  EXPECT_EQ(endpoint.host, "::1");
  EXPECT_EQ(endpoint.port, 6380);
  EXPECT_EQ(endpoint.ToString(), "[::1]:6380");
  EXPECT_EQ(MustParseEndpoint("[::]:9121").ToString(), "[::]:9121");
}

TEST(EndpointTest, Invalid) {
  ExpectBadEndpoint("");
  ExpectBadEndpoint(":6380");  // a host is required
  ExpectBadEndpoint("localhost");
  ExpectBadEndpoint("localhost:");
  ExpectBadEndpoint("localhost:0");
  ExpectBadEndpoint("localhost:65536");
  ExpectBadEndpoint("localhost:http");
  ExpectBadEndpoint("::1:6380");
  ExpectBadEndpoint("[::1]");
  ExpectBadEndpoint("user@host:6380");
  ExpectBadEndpoint("redis://host:6380");
  ExpectBadEndpoint("host:6380/x");
  ExpectBadEndpoint("ho st:6380");
}

}  // namespace
}  // namespace respite::config
