#pragma once
// Message digests and MACs for pure code (HTTP check digests, genhash, VRRP AH), computed by
// OpenSSL's libcrypto behind this one helper: no IO, no state, safe to call anywhere.
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace vigil::core {

using Md5Digest = std::array<std::uint8_t, 16>;

using Sha256Digest = std::array<std::uint8_t, 32>;
/// SHA-256 (FIPS 180-4) of `data`.
Sha256Digest sha256(std::span<const std::uint8_t> data);

/// MD5 (RFC 1321) of `data`.
Md5Digest md5(std::span<const std::uint8_t> data);
/// HMAC-MD5 (RFC 2104) of `data` under `key` (any length).
Md5Digest hmac_md5(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data);
/// Lower-case hexadecimal of `bytes`.
std::string to_hex(std::span<const std::uint8_t> bytes);

/// A digest over data that arrives in pieces (an HTTP body read from a socket, a document
/// written in chunks). `Bytes` is its std::array.
template <class Bytes> class DigestStream {
public:
  DigestStream();
  ~DigestStream();
  DigestStream(DigestStream&&) noexcept;
  DigestStream& operator=(DigestStream&&) noexcept;
  void update(std::span<const std::uint8_t> data);
  void update(std::string_view data) {
    update(std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()));
  }
  /// The digest of everything so far; the stream restarts empty.
  Bytes finish();

private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

/// MD5 in pieces. (Md5Digest and Sha256Digest differ in size, which picks the algorithm.)
using Md5Stream = DigestStream<Md5Digest>;
/// SHA-256 in pieces.
using Sha256Stream = DigestStream<Sha256Digest>;

extern template class DigestStream<Md5Digest>;
extern template class DigestStream<Sha256Digest>;

} // namespace vigil::core
