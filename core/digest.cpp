#include "core/digest.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

namespace vigil::core {

struct Md5Stream::Ctx {
  EVP_MD_CTX* md = nullptr;
  Ctx() : md(EVP_MD_CTX_new()) {
    if (!md || EVP_DigestInit_ex(md, EVP_md5(), nullptr) != 1)
      throw std::runtime_error("libcrypto: cannot start an MD5 digest");
  }
  ~Ctx() { EVP_MD_CTX_free(md); }
  Ctx(const Ctx&) = delete;
  Ctx& operator=(const Ctx&) = delete;
};

Md5Stream::Md5Stream() : ctx_(std::make_unique<Ctx>()) {}
Md5Stream::~Md5Stream() = default;
Md5Stream::Md5Stream(Md5Stream&&) noexcept = default;
Md5Stream& Md5Stream::operator=(Md5Stream&&) noexcept = default;

void Md5Stream::update(std::span<const std::uint8_t> data) {
  if (!data.empty())
    EVP_DigestUpdate(ctx_->md, data.data(), data.size());
}

Md5Digest Md5Stream::finish() {
  Md5Digest out{};
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx_->md, out.data(), &len);
  EVP_DigestInit_ex(ctx_->md, EVP_md5(), nullptr);
  return out;
}

Sha256Digest sha256(std::span<const std::uint8_t> data) {
  Sha256Digest out{};
  unsigned len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("libcrypto: cannot compute a SHA-256 digest");
  return out;
}

Md5Digest md5(std::span<const std::uint8_t> data) {
  Md5Digest out{};
  unsigned len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_md5(), nullptr) != 1)
    throw std::runtime_error("libcrypto: MD5 failed");
  return out;
}

Md5Digest hmac_md5(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data) {
  Md5Digest out{};
  unsigned len = 0;
  static const std::uint8_t empty = 0;
  if (!HMAC(EVP_md5(), key.empty() ? &empty : key.data(), int(key.size()), data.data(), data.size(),
            out.data(), &len))
    throw std::runtime_error("libcrypto: HMAC-MD5 failed");
  return out;
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (auto b : bytes) {
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

} // namespace vigil::core
