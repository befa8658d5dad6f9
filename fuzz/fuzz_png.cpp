// libFuzzer target: PNG input (io/png_reader.h) on arbitrary bytes, then the resampling of what it read.
#include "core/error.h"
#include "fuzz_input.h"
#include "io/png_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const xpulse::fuzz::MemoryFile file(data, size);
  if (!file.ok()) return 0;
  try {
    const xpulse::io::GreyImage image = xpulse::io::read_png_grey(file.path());
    (void)xpulse::io::resample_square(image, 17);
  } catch (const xpulse::Error&) {
  }
  return 0;
}
