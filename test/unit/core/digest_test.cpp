// The libcrypto-backed digests of core/digest.hpp against the RFC test vectors.
#include <catch2/catch.hpp>

#include <string_view>
#include <vector>

#include "core/digest.hpp"

using namespace vigil;

namespace {

std::vector<std::uint8_t> bytes(std::string_view s) {
  return {s.begin(), s.end()};
}

} // namespace

TEST_CASE("MD5 RFC 1321 test suite") {
  CHECK(core::to_hex(core::md5(bytes(""))) == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(core::to_hex(core::md5(bytes("a"))) == "0cc175b9c0f1b6a831c399e269772661");
  CHECK(core::to_hex(core::md5(bytes("abc"))) == "900150983cd24fb0d6963f7d28e17f72");
  CHECK(core::to_hex(core::md5(bytes("message digest"))) == "f96b697d7cb7938d525a2f31aaf161d0");
  CHECK(core::to_hex(core::md5(bytes("abcdefghijklmnopqrstuvwxyz"))) ==
        "c3fcd3d76192e4007dfb496cca67e13b");
  CHECK(core::to_hex(
            core::md5(bytes("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"))) ==
        "d174ab98d277d9f5a5611c2c9f419d9f");
  CHECK(core::to_hex(
            core::md5(bytes("1234567890123456789012345678901234567890123456789012345678901234567"
                            "8901234567890"))) == "57edf4a22be3c955ac49da2e2107b67a");
}

TEST_CASE("MD5 padding at every length around the 56- and 64-byte boundaries") {
  // Lengths 55, 56, 63, 64, 65 take the one-block, two-block and exact-block paths.
  CHECK(core::to_hex(core::md5(std::vector<std::uint8_t>(55, 'a'))) ==
        "ef1772b6dff9a122358552954ad0df65");
  CHECK(core::to_hex(core::md5(std::vector<std::uint8_t>(56, 'a'))) ==
        "3b0c8ac703f828b04c6c197006d17218");
  CHECK(core::to_hex(core::md5(std::vector<std::uint8_t>(63, 'a'))) ==
        "b06521f39153d618550606be297466d5");
  CHECK(core::to_hex(core::md5(std::vector<std::uint8_t>(64, 'a'))) ==
        "014842d480b571495a4a0363793f7367");
  CHECK(core::to_hex(core::md5(std::vector<std::uint8_t>(65, 'a'))) ==
        "c743a45e0d2e6a95cb859adae0248435");
}

TEST_CASE("HMAC-MD5 RFC 2202 test cases") {
  CHECK(core::to_hex(core::hmac_md5(std::vector<std::uint8_t>(16, 0x0b), bytes("Hi There"))) ==
        "9294727a3638bb1c13f48ef8158bfc9d");
  CHECK(core::to_hex(core::hmac_md5(bytes("Jefe"), bytes("what do ya want for nothing?"))) ==
        "750c783e6ab0b503eaa86e310a5db738");
  CHECK(core::to_hex(core::hmac_md5(std::vector<std::uint8_t>(16, 0xaa),
                                    std::vector<std::uint8_t>(50, 0xdd))) ==
        "56be34521d144c88dbb8c733f0e8b3f6");
  std::vector<std::uint8_t> k4;
  for (std::uint8_t i = 1; i <= 25; ++i)
    k4.push_back(i);
  CHECK(core::to_hex(core::hmac_md5(k4, std::vector<std::uint8_t>(50, 0xcd))) ==
        "697eaf0aca3a3aea3a75164746ffaa79");
  CHECK(core::to_hex(
            core::hmac_md5(std::vector<std::uint8_t>(16, 0x0c), bytes("Test With Truncation"))) ==
        "56461ef2342edc00f9bab995690efd4c");
  CHECK(core::to_hex(
            core::hmac_md5(std::vector<std::uint8_t>(80, 0xaa),
                           bytes("Test Using Larger Than Block-Size Key - Hash Key First"))) ==
        "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd");
  CHECK(
      core::to_hex(core::hmac_md5(std::vector<std::uint8_t>(80, 0xaa),
                                  bytes("Test Using Larger Than Block-Size Key and Larger Than One "
                                        "Block-Size Data"))) == "6f630fad67cda0ee1fb1f562db3aa53e");
}

TEST_CASE("MD5 over pieces equals MD5 of the whole") {
  std::string text(1000, 'x');
  for (std::size_t i = 0; i < text.size(); ++i)
    text[i] = char('a' + i % 26);
  core::Md5Stream h;
  for (std::size_t at = 0; at < text.size(); at += 7)
    h.update(std::string_view(text).substr(at, 7));
  CHECK(core::to_hex(h.finish()) == core::to_hex(core::md5(bytes(text))));
  // finish() restarts the stream.
  CHECK(core::to_hex(h.finish()) == "d41d8cd98f00b204e9800998ecf8427e");
}

TEST_CASE("sha256 of 'abc' (FIPS 180-4 example)") {
  std::string abc = "abc";
  auto d =
      vigil::core::sha256(std::span(reinterpret_cast<const std::uint8_t*>(abc.data()), abc.size()));
  CHECK(vigil::core::to_hex(d) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
