#pragma once
// A fixture with a real redis-server and a respite in front of it (or a respite with nothing at
// its upstream), for tests that need no more than that.

#include <gtest/gtest.h>

#include <memory>
#include <utility>

#include "tests/support/redis_server.h"
#include "tests/support/respite_process.h"

namespace respite::test {

class StackTest : public ::testing::Test {
 protected:
  // redis-server with `redis_options`, then respite in front of it with `options`.
  void Start(RespiteOptions options = {}, RedisOptions redis_options = {}) {
    redis_ = std::make_unique<RedisServer>(std::move(redis_options));
    ASSERT_EQ(redis_->Start(), "");
    options.upstream_url = redis_->Url();
    respite_ = std::make_unique<RespiteProcess>(std::move(options));
    ASSERT_EQ(respite_->Start(), "");
  }
  // respite with nothing at its upstream, serving locally from the start.
  void StartLocal(RespiteOptions options = {}) {
    options.upstream_url = "redis://127.0.0.1:1";
    options.wait_for_pong = false;
    respite_ = std::make_unique<RespiteProcess>(std::move(options));
    ASSERT_EQ(respite_->Start(), "");
  }

  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<RespiteProcess> respite_;
};

}  // namespace respite::test
