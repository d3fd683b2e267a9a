#pragma once
// Error texts respite itself sends (without the leading '-'). Texts that mimic Redis are exact.

#include <string_view>

namespace respite::proxy::errors {

inline constexpr std::string_view kUpstreamUnavailable = "ERR upstream Redis unavailable: ";
inline constexpr std::string_view kUpstreamLost =
    "TRYAGAIN upstream connection lost before the reply; the outcome is unknown";
inline constexpr std::string_view kNoAuth = "NOAUTH Authentication required.";
inline constexpr std::string_view kWrongPass =
    "WRONGPASS invalid username-password pair or user is disabled.";
inline constexpr std::string_view kAuthNotConfigured =
    "ERR AUTH <password> called without any password configured for the default user. Are you "
    "sure your configuration is correct?";
inline constexpr std::string_view kDbOutOfRange = "ERR DB index is out of range";
inline constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
inline constexpr std::string_view kMaxClients = "ERR max number of clients reached";
inline constexpr std::string_view kMaxDedicated =
    "ERR max number of dedicated upstream connections reached (upstream.max_dedicated): blocking "
    "commands, transactions, pub/sub and ACL logins each hold one; try again later";
// Redis' protected-mode refusal, with respite's settings in place of Redis' own.
inline constexpr std::string_view kProtectedMode =
    "DENIED respite is running in protected mode because protected mode is enabled and no "
    "password is set for the default user. In this mode connections are only accepted from the "
    "loopback interface. If you want to connect from external computers or containers to respite "
    "you may adopt one of the following solutions: 1) Set a password for the default user: "
    "requirepass in the config file, RESPITE_REQUIREPASS or --requirepass, and AUTH with "
    "it. 2) Disable protected mode: protected_mode: no in the config file, "
    "RESPITE_PROTECTED_MODE=no or --protected-mode no, however MAKE SURE respite is not reachable "
    "from networks you do not trust if you do so. NOTE: You only need to do one of the above "
    "things in order for respite to start accepting connections from the outside.";
inline constexpr std::string_view kBusyScript =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
inline constexpr std::string_view kBusyFunction =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
inline constexpr std::string_view kProtoUnsupported = "NOPROTO unsupported protocol version";
inline constexpr std::string_view kReadOnlyFallback =
    "READONLY upstream Redis is unreachable and respite serves reads only (fallback.mode "
    "read-only)";

}  // namespace respite::proxy::errors
