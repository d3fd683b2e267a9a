#pragma once
// ACL users defined upstream that respite's clients logged in as (AUTH user pass, HELLO AUTH).
// Upstream checks each login; respite remembers the user so that (1) that user's commands run
// upstream on connections authenticated as that user, shared by all its clients, and (2) while
// upstream is down, a user that logged in before can log in again. Kept in memory only: a salted
// SHA-256 of the password for (2), and the password itself only while a client of that user is
// connected, for (1). Thread-safe.

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace respite::proxy {

class UserRegistry {
 public:
  // Upstream accepted `name` with `password` for a client: returns the user's index (1-based,
  // stable for the process) and counts one more client of it. Pair with Leave().
  uint32_t Join(std::string_view name, std::string_view password);
  // A client of user `index` logged out or disconnected. The last one takes the password along.
  void Leave(uint32_t index);
  // The name and password to authenticate an upstream connection as user `index`; false when no
  // client of that user is connected.
  bool Credentials(uint32_t index, std::string* name, std::string* password) const;
  std::string Name(uint32_t index) const;
  // While upstream is down: whether `name` logged in before with this `password`.
  bool Verify(std::string_view name, std::string_view password) const;

 private:
  struct User {
    std::string name;
    std::string password;  // empty once no client of the user is connected
    uint32_t clients = 0;
    std::array<unsigned char, 16> salt{};
    std::array<unsigned char, 32> hash{};
  };
  static std::array<unsigned char, 32> Hash(const std::array<unsigned char, 16>& salt,
                                            std::string_view password);
  mutable std::mutex mu_;
  std::vector<User> users_;  // index - 1
};

}  // namespace respite::proxy
