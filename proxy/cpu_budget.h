#pragma once
// How many CPUs respite may use, for the default number of io threads: the CPUs the process may
// run on (affinity), capped by a cgroup v2 CPU quota (a container's `--cpus` or a Kubernetes CPU
// limit), which hardware_concurrency() does not see.

#include <string>
#include <string_view>

namespace respite::proxy {

// The CPUs a cgroup v2 `cpu.max` file ("<quota> <period>" or "max <period>") allows, rounded up,
// capped at `cpus`; `cpus` when the text sets no quota or cannot be read.
unsigned CpusAllowedByQuota(std::string_view cpu_max, unsigned cpus);

// The cgroup v2 path of a process, from its /proc/<pid>/cgroup text (the "0::<path>" line), with a
// trailing '/': "/" when there is no v2 line (cgroup v1 only) or the namespace root.
std::string CgroupV2Path(std::string_view proc_cgroup);

// Affinity and the cgroup quota of this process together; at least 1.
unsigned UsableCpus();

// io threads when the config says 0: one per usable CPU but one, which is left to the store
// thread, RocksDB's background work and the app beside the sidecar; at least 1.
unsigned DefaultIoThreads();

}  // namespace respite::proxy
