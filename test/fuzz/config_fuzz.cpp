// libFuzzer entry point for the configuration loader: any bytes must give diagnostics or a
// model, never a crash, a hang, a leak or a sanitizer report.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "grammar/load.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // Includes would read arbitrary files of the machine running the fuzzer; the include logic
  // has its own unit tests.
  if (text.find("include") != std::string_view::npos)
    return 0;
  vigil::grammar::LoadOptions options;
  options.config_id = "fuzz";
  options.hostname = "fuzz";
  // The default limits allow configurations of hundreds of MiB; a few MiB find the same bugs
  // without turning every exponential-expansion input into a timeout.
  options.max_expanded_bytes = std::size_t(4) << 20;
  options.max_expansion_steps = 200000;
  auto result = vigil::grammar::load_text(text, "fuzz.conf", options);
  (void)result;
  return 0;
}
