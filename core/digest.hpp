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

/// MD5 over data that arrives in pieces (an HTTP body read from a socket).
class Md5Stream {
public:
  Md5Stream();
  ~Md5Stream();
  Md5Stream(Md5Stream&&) noexcept;
  Md5Stream& operator=(Md5Stream&&) noexcept;
  void update(std::span<const std::uint8_t> data);
  void update(std::string_view data) {
    update(std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()));
  }
  /// The digest of everything so far; the stream restarts empty.
  Md5Digest finish();

private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

} // namespace vigil::core
