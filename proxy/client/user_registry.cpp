#include "proxy/client/user_registry.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace respite::proxy {

std::array<unsigned char, 32> UserRegistry::Hash(const std::array<unsigned char, 16>& salt,
                                                 std::string_view password) {
  std::array<unsigned char, 32> out{};
  unsigned int len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, salt.data(), salt.size());
  EVP_DigestUpdate(ctx, password.data(), password.size());
  EVP_DigestFinal_ex(ctx, out.data(), &len);
  EVP_MD_CTX_free(ctx);
  return out;
}

uint32_t UserRegistry::Join(std::string_view name, std::string_view password) {
  std::lock_guard lock(mu_);
  size_t i = 0;
  while (i < users_.size() && users_[i].name != name) ++i;
  if (i == users_.size()) {
    users_.emplace_back();
    users_.back().name.assign(name);
  }
  User& user = users_[i];
  // The password upstream accepted last is the one its connections use from now on.
  if (user.password != password || user.clients == 0) {
    user.password.assign(password);
    RAND_bytes(user.salt.data(), static_cast<int>(user.salt.size()));
    user.hash = Hash(user.salt, password);
  }
  ++user.clients;
  return static_cast<uint32_t>(i + 1);
}

void UserRegistry::Leave(uint32_t index) {
  std::lock_guard lock(mu_);
  if (index == 0 || index > users_.size()) return;
  User& user = users_[index - 1];
  if (user.clients > 0 && --user.clients == 0) {
    OPENSSL_cleanse(user.password.data(), user.password.size());
    user.password.clear();
  }
}

bool UserRegistry::Credentials(uint32_t index, std::string* name, std::string* password) const {
  std::lock_guard lock(mu_);
  if (index == 0 || index > users_.size() || users_[index - 1].clients == 0) return false;
  *name = users_[index - 1].name;
  *password = users_[index - 1].password;
  return true;
}

std::string UserRegistry::Name(uint32_t index) const {
  std::lock_guard lock(mu_);
  if (index == 0 || index > users_.size()) return "default";
  return users_[index - 1].name;
}

bool UserRegistry::Verify(std::string_view name, std::string_view password) const {
  std::lock_guard lock(mu_);
  for (const User& user : users_) {
    if (user.name != name) continue;
    const std::array<unsigned char, 32> hash = Hash(user.salt, password);
    return CRYPTO_memcmp(hash.data(), user.hash.data(), hash.size()) == 0;
  }
  return false;
}

}  // namespace respite::proxy
