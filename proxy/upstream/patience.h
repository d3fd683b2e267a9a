#pragma once
// How long a forwarded request's reply may take before upstream's silence means something
// (DESIGN.md "Slow is not dead").

#include <cstdint>

namespace respite::proxy {

enum class Patience : uint8_t {
  kNormal,    // counts toward stalls (stall_board.h) and the request timeout
  kLong,      // may keep upstream busy (resp::kCmdMayRunLong): exempt, and explains others' silence
  kBlocking,  // waits as long as the client asked (BLPOP, WAIT, ...): exempt, explains nothing
};

}  // namespace respite::proxy
