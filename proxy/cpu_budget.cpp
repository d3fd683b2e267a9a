#include "proxy/cpu_budget.h"

#include <sched.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace respite::proxy {

unsigned CpusAllowedByQuota(std::string_view cpu_max, unsigned cpus) {
  const size_t space = cpu_max.find(' ');
  if (space == std::string_view::npos) return cpus;
  const std::string_view quota_text = cpu_max.substr(0, space);
  std::string_view period_text = cpu_max.substr(space + 1);
  while (!period_text.empty() && (period_text.back() == '\n' || period_text.back() == ' ')) {
    period_text.remove_suffix(1);
  }
  unsigned long long quota = 0;
  unsigned long long period = 0;
  const auto q = std::from_chars(quota_text.data(), quota_text.data() + quota_text.size(), quota);
  const auto p =
      std::from_chars(period_text.data(), period_text.data() + period_text.size(), period);
  // "max" (no quota) fails to parse as a number: no cap.
  if (q.ec != std::errc() || p.ec != std::errc() || quota == 0 || period == 0) return cpus;
  const unsigned long long allowed = (quota + period - 1) / period;
  return static_cast<unsigned>(std::clamp<unsigned long long>(allowed, 1, cpus));
}

std::string CgroupV2Path(std::string_view proc_cgroup) {
  std::string path;
  while (!proc_cgroup.empty()) {
    const size_t end = proc_cgroup.find('\n');
    const std::string_view line = proc_cgroup.substr(0, end);
    if (line.starts_with("0::")) path = line.substr(3);
    if (end == std::string_view::npos) break;
    proc_cgroup.remove_prefix(end + 1);
  }
  if (path.empty() || path.back() != '/') path += '/';
  return path;
}

unsigned UsableCpus() {
  unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    cpus = std::max(1, CPU_COUNT(&set));
  }
  // cgroup v2: /proc/self/cgroup holds "0::<path>"; the quota is in that cgroup's cpu.max (a
  // container with its own cgroup namespace sees "0::/", i.e. /sys/fs/cgroup/cpu.max).
  std::ifstream self("/proc/self/cgroup");
  std::stringstream self_text;
  self_text << self.rdbuf();
  std::ifstream file("/sys/fs/cgroup" + CgroupV2Path(self_text.str()) + "cpu.max");
  if (!file) return cpus;
  std::stringstream text;
  text << file.rdbuf();
  return CpusAllowedByQuota(text.str(), cpus);
}

unsigned DefaultIoThreads() { return std::max(1u, UsableCpus() - 1); }

}  // namespace respite::proxy
