#pragma once
// OpenSSL's error queue in words, for the messages respite logs and shows in /status.

#include <string>

namespace respite::tls {

// The oldest error OpenSSL queued on this thread, as "reason (library)", and the queue cleared;
// "unknown error" when it is empty.
std::string TakeOpenSslError();

}  // namespace respite::tls
