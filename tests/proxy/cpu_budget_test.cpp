// The default io thread count: cgroup v2 cpu.max quotas cap the CPUs respite counts on.
#include "proxy/cpu_budget.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

namespace respite::proxy {
namespace {

TEST(CpuBudget, NoQuotaKeepsEveryCpu) {
  EXPECT_EQ(CpusAllowedByQuota("max 100000\n", 16), 16u);
  EXPECT_EQ(CpusAllowedByQuota("", 8), 8u);
  EXPECT_EQ(CpusAllowedByQuota("garbage", 8), 8u);
  EXPECT_EQ(CpusAllowedByQuota("0 100000", 8), 8u);
}

TEST(CpuBudget, QuotaRoundsUpAndIsCappedByTheCpus) {
  EXPECT_EQ(CpusAllowedByQuota("50000 100000\n", 16), 1u);   // --cpus 0.5
  EXPECT_EQ(CpusAllowedByQuota("200000 100000\n", 16), 2u);  // --cpus 2
  EXPECT_EQ(CpusAllowedByQuota("250000 100000", 16), 3u);    // 2.5 -> 3
  EXPECT_EQ(CpusAllowedByQuota("800000 100000", 4), 4u);     // more than the machine has
}

TEST(CpuBudget, CgroupV2PathComesFromTheUnifiedHierarchyLine) {
  EXPECT_EQ(CgroupV2Path("0::/\n"), "/");  // a container with its own cgroup namespace
  EXPECT_EQ(CgroupV2Path("0::/system.slice/respite.service\n"), "/system.slice/respite.service/");
  // Hybrid hierarchy: v1 controllers listed too; only the v2 line counts.
  EXPECT_EQ(CgroupV2Path("12:cpu,cpuacct:/docker/abc\n1:name=systemd:/x\n0::/user.slice\n"),
            "/user.slice/");
  EXPECT_EQ(CgroupV2Path("0::/kubepods/pod1/c2"), "/kubepods/pod1/c2/");  // no final newline
  // cgroup v1 only, or nothing readable: the root, whose cpu.max is absent on v1 systems.
  EXPECT_EQ(CgroupV2Path("4:cpu:/docker/abc\n"), "/");
  EXPECT_EQ(CgroupV2Path(""), "/");
}

TEST(CpuBudget, DefaultLeavesOneCpuButKeepsOneThread) {
  const unsigned cpus = UsableCpus();
  EXPECT_GE(cpus, 1u);
  // Affinity and quota only ever take CPUs away from what the machine has.
  EXPECT_LE(cpus, std::max(1u, std::thread::hardware_concurrency()));
  EXPECT_EQ(DefaultIoThreads(), cpus > 1 ? cpus - 1 : 1u);
}

}  // namespace
}  // namespace respite::proxy
