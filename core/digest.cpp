#include "core/digest.hpp"

#include <type_traits>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

namespace vigil::core {

namespace {
template <class Bytes> const EVP_MD* algorithm() {
  if constexpr (std::is_same_v<Bytes, Md5Digest>)
    return EVP_md5();
  else
    return EVP_sha256();
}
} // namespace

template <class Bytes> struct DigestStream<Bytes>::Ctx {
  EVP_MD_CTX* md = nullptr;
  Ctx() : md(EVP_MD_CTX_new()) {
    if (!md || EVP_DigestInit_ex(md, algorithm<Bytes>(), nullptr) != 1)
      throw std::runtime_error("libcrypto: cannot start a digest");
  }
  ~Ctx() { EVP_MD_CTX_free(md); }
  Ctx(const Ctx&) = delete;
  Ctx& operator=(const Ctx&) = delete;
};

template <class Bytes> DigestStream<Bytes>::DigestStream() : ctx_(std::make_unique<Ctx>()) {}
template <class Bytes> DigestStream<Bytes>::~DigestStream() = default;
template <class Bytes> DigestStream<Bytes>::DigestStream(DigestStream&&) noexcept = default;
template <class Bytes>
DigestStream<Bytes>& DigestStream<Bytes>::operator=(DigestStream&&) noexcept = default;

template <class Bytes> void DigestStream<Bytes>::update(std::span<const std::uint8_t> data) {
  if (!data.empty())
    EVP_DigestUpdate(ctx_->md, data.data(), data.size());
}

template <class Bytes> Bytes DigestStream<Bytes>::finish() {
  static_assert(sizeof(Bytes) == 16 || sizeof(Bytes) == 32);
  Bytes out{};
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx_->md, out.data(), &len);
  EVP_DigestInit_ex(ctx_->md, algorithm<Bytes>(), nullptr);
  return out;
}

template class DigestStream<Md5Digest>;
template class DigestStream<Sha256Digest>;

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
