// The PDB reader on the shipped 2cex structure, on small synthetic files (BIOMT assemblies, alternate
// locations, missing element columns), and on bad input.
#include "io/pdb_reader.h"

#include <cstdio>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "core/error.h"

namespace xpulse::io {
namespace {

std::string write_file(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

std::string atom(int serial, const char* name, const char* residue, double x, double y, double z,
                 const char* element, char altloc = ' ') {
  char line[100];
  std::snprintf(line, sizeof line, "ATOM  %5d %-4s%c%3s A   1    %8.3f%8.3f%8.3f  1.00 20.00          %2s", serial,
                name, altloc, residue, x, y, z, element);
  return std::string(line) + "\n";
}

TEST(PdbReader, Reads2cex) {
  const PdbStructure s = read_pdb(XPULSE_TEST_DATA "/2cex.pdb");
  EXPECT_EQ(s.atoms.size(), 2452u);  // ATOM + HETATM records of model 1
  ASSERT_TRUE(s.cell.has_value());
  EXPECT_DOUBLE_EQ(s.cell->a, 131.448);
  EXPECT_DOUBLE_EQ(s.cell->beta, 105.33);
  EXPECT_EQ(s.cell->space_group, "C 1 2 1");
  EXPECT_EQ(s.atoms[0].element, "N");
  EXPECT_DOUBLE_EQ(s.atoms[0].position[0], 14.312);
  EXPECT_FALSE(s.atoms[0].water);
  std::size_t zinc = 0, water = 0;
  for (const PdbAtom& a : s.atoms) zinc += a.element == "ZN", water += a.water;
  EXPECT_EQ(zinc, 1u);
  EXPECT_GT(water, 0u);
  EXPECT_EQ(assembly_atoms(s).size(), s.atoms.size() - water);
  EXPECT_EQ(assembly_atoms(s, true).size(), s.atoms.size());
}

TEST(PdbReader, AppliesBiomtAndSkipsAlternateLocationsAndLaterModels) {
  const std::string text =
      "REMARK 350 BIOMOLECULE: 1\n"
      "REMARK 350   BIOMT1   1  1.000000  0.000000  0.000000        0.00000\n"
      "REMARK 350   BIOMT2   1  0.000000  1.000000  0.000000        0.00000\n"
      "REMARK 350   BIOMT3   1  0.000000  0.000000  1.000000        0.00000\n"
      "REMARK 350   BIOMT1   2 -1.000000  0.000000  0.000000       10.00000\n"
      "REMARK 350   BIOMT2   2  0.000000 -1.000000  0.000000        0.00000\n"
      "REMARK 350   BIOMT3   2  0.000000  0.000000  1.000000        0.00000\n"
      "REMARK 350 BIOMOLECULE: 2\n"
      "REMARK 350   BIOMT1   1  1.000000  0.000000  0.000000        5.00000\n"
      "REMARK 350   BIOMT2   1  0.000000  1.000000  0.000000        0.00000\n"
      "REMARK 350   BIOMT3   1  0.000000  0.000000  1.000000        0.00000\n"
      "MODEL        1\n" +
      atom(1, " CA ", "GLY", 1, 2, 3, "") + atom(2, " OG ", "SER", 4, 5, 6, "O", 'A') +
      atom(3, " OG ", "SER", 7, 8, 9, "O", 'B') + atom(4, "CA  ", "CA", 0, 0, 1, "") +
      "ENDMDL\nMODEL        2\n" + atom(5, " N  ", "GLY", 0, 0, 0, "N") + "ENDMDL\n";
  const PdbStructure s = read_pdb(write_file("assembly.pdb", text));
  ASSERT_EQ(s.atoms.size(), 3u);
  EXPECT_EQ(s.atoms[0].element, "C");   // " CA " is a C-alpha
  EXPECT_EQ(s.atoms[2].element, "CA");  // "CA  " is calcium
  EXPECT_DOUBLE_EQ(s.atoms[1].position[0], 4.0);
  ASSERT_EQ(s.assembly.size(), 2u);
  const auto all = assembly_atoms(s);
  ASSERT_EQ(all.size(), 6u);
  EXPECT_DOUBLE_EQ(all[3].position[0], 9.0);   // -1 + 10
  EXPECT_DOUBLE_EQ(all[3].position[1], -2.0);
  EXPECT_DOUBLE_EQ(all[3].position[2], 3.0);
}

void expect_error(const std::string& path, const std::string& message) {
  try {
    read_pdb(path);
    ADD_FAILURE() << "no error for " << path;
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), message);
  }
}

TEST(PdbReader, BadInputIsAClearError) {
  expect_error("/nonexistent/x.pdb", "cannot open PDB file '/nonexistent/x.pdb'");
  const std::string empty = write_file("empty.pdb", "HEADER    NOTHING\nEND\n");
  expect_error(empty, "PDB file '" + empty + "' has no ATOM or HETATM records");
  std::string bad = atom(1, " CA ", "GLY", 1, 2, 3, "C");
  bad.replace(38, 8, "  1.2x.3");
  const std::string malformed = write_file("malformed.pdb", bad);
  expect_error(malformed, malformed + ":1: y coordinate '1.2x.3' is not a number");
  const std::string truncated = write_file("truncated.pdb", "ATOM      1  CA  GLY A   1      11.104  6.134\n");
  expect_error(truncated, truncated + ":1: z coordinate '' is not a number");
}

}  // namespace
}  // namespace xpulse::io
