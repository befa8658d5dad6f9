// libFuzzer target: the PDB reader (io/pdb_reader.h) on arbitrary text.
#include "core/error.h"
#include "fuzz_input.h"
#include "io/pdb_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const xpulse::fuzz::MemoryFile file(data, size);
  if (!file.ok()) return 0;
  try {
    const xpulse::io::PdbStructure s = xpulse::io::read_pdb(file.path());
    (void)xpulse::io::assembly_atoms(s, true);
  } catch (const xpulse::Error&) {
  }
  return 0;
}
