// Geometry from HDF5 and TOML: precedence, units, and the errors users see.
#include <cmath>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "core/error.h"
#include "io/geometry_file.h"
#include "io/hdf5.h"
#include "pipelines/pumpprobe_simulate.h"

namespace xpulse::io {
namespace {

class GeometryFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           (std::string("xpulse_geometry_") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string toml(const std::string& name, const std::string& text) const {
    std::ofstream(path(name)) << text;
    return path(name);
  }
  // A CXI file with a detector in millimetres and a cubic sample.
  std::string cxi() const {
    const std::string p = path("geometry.h5");
    Writer w(p);
    w.write_scalar("/entry_1/instrument_1/detector_1/distance", 120.0, "mm");
    w.write_scalar("/entry_1/instrument_1/detector_1/x_pixel_size", 75e-6, "m");
    w.write_scalar("/entry_1/instrument_1/detector_1/y_pixel_size", 75e-6);
    w.write_scalar("/entry_1/instrument_1/detector_1/beam_center_x", 512.5, "pixel");
    w.write_scalar("/entry_1/instrument_1/detector_1/beam_center_y", 500.0, "pixel");
    w.write_scalar("/entry_1/instrument_1/source_1/energy", 9.5, "keV");
    w.write<double>("/entry_1/sample_1/unit_cell", std::vector<double>{4, 4, 4, 90, 90, 90},
                    std::vector<std::size_t>{6});
    w.close();
    return p;
  }
  std::filesystem::path dir_;
};

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST_F(GeometryFile, ReadsCxiWithUnits) {
  const ExperimentGeometry g = load_geometry(cxi(), "", 1000, 1024);
  EXPECT_DOUBLE_EQ(g.detector.distance_m, 0.12);
  EXPECT_DOUBLE_EQ(g.detector.energy_ev, 9500.0);
  EXPECT_DOUBLE_EQ(g.detector.beam_center_x_px, 512.5);
  ASSERT_TRUE(g.crystal.has_value());
  EXPECT_DOUBLE_EQ(g.crystal->cell().a, 4.0);
}

TEST_F(GeometryFile, TomlOverridesHdf5) {
  const std::string t = toml("g.toml", R"(
[detector]
distance = 0.2          # m
pixel_size = 1e-4
tilt = [0, 10, 0]
[source]
energy = 12000
polarization_fraction = 0.9
[sample]
cell = [3, 4, 5, 90, 90, 90]
orientation_euler = [10, 20, 30]
)");
  const ExperimentGeometry g = load_geometry(cxi(), t, 1000, 1024);
  EXPECT_DOUBLE_EQ(g.detector.distance_m, 0.2);
  EXPECT_DOUBLE_EQ(g.detector.x_pixel_size_m, 1e-4);
  EXPECT_DOUBLE_EQ(g.detector.y_pixel_size_m, 1e-4);
  EXPECT_DOUBLE_EQ(g.detector.beam_center_y_px, 500.0);  // kept from the HDF5 file
  EXPECT_NEAR(g.detector.rotation[0][2], std::sin(10 * M_PI / 180), 1e-15);
  EXPECT_DOUBLE_EQ(g.detector.energy_ev, 12000.0);
  EXPECT_DOUBLE_EQ(g.detector.polarization_fraction, 0.9);
  EXPECT_DOUBLE_EQ(g.crystal->cell().c, 5.0);
  EXPECT_EQ(g.description, path("geometry.h5") + " + " + t);
}

TEST_F(GeometryFile, UbAloneDescribesTheSample) {
  const std::string t = toml("ub.toml", R"(
[detector]
distance = 0.1
x_pixel_size = 1e-4
y_pixel_size = 1e-4
beam_center_x = 0
beam_center_y = 0
[source]
energy = 9000
[sample]
ub = [[0.25, 0, 0], [0, 0.25, 0], [0, 0, 0.2]]
)");
  const ExperimentGeometry g = load_geometry("", t, 10, 10);
  EXPECT_NEAR(g.crystal->cell().a, 4.0, 1e-12);
  EXPECT_NEAR(g.crystal->cell().c, 5.0, 1e-12);
}

TEST_F(GeometryFile, MissingDistanceAndEnergyAreNamed) {
  const std::string no_distance = toml("a.toml", "[detector]\npixel_size = 1e-4\nbeam_center_x = 1\nbeam_center_y = 1\n"
                                                 "[source]\nenergy = 9000\n");
  EXPECT_EQ(message_of([&] { load_geometry("", no_distance, 4, 4); }),
            "geometry: detector distance is missing (not found in " + no_distance +
                "); give it as /entry_1/instrument_1/detector_1/distance in the input file or as [detector] distance "
                "in a --geometry TOML file");
  const std::string no_energy = toml("b.toml", "[detector]\ndistance = 0.1\npixel_size = 1e-4\nbeam_center_x = 1\n"
                                               "beam_center_y = 1\n");
  EXPECT_NE(message_of([&] { load_geometry("", no_energy, 4, 4); }).find("geometry: photon energy is missing"),
            std::string::npos);
  EXPECT_NE(message_of([&] { load_geometry("", "", 4, 4); }).find("no geometry source was given"), std::string::npos);
}

TEST_F(GeometryFile, TomlMistakesAreErrors) {
  EXPECT_EQ(message_of([&] { load_geometry("", toml("c.toml", "[detector]\ndistanse = 0.1\n"), 4, 4); }),
            "geometry file '" + path("c.toml") + "': unknown key 'distanse' in [detector] (known: beam_center_x, "
            "beam_center_y, distance, pixel_size, rotation, tilt, x_pixel_size, y_pixel_size)");
  EXPECT_EQ(message_of([&] { load_geometry("", toml("d.toml", "[detector]\ndistance = \"far\"\n"), 4, 4); }),
            "geometry file '" + path("d.toml") + "': [detector] distance must be a number");
  EXPECT_NE(message_of([&] { load_geometry("", toml("e.toml", "[detector\ndistance = 1\n"), 4, 4); })
                .find("geometry file '" + path("e.toml") + "' line 1"),
            std::string::npos);
  EXPECT_EQ(message_of([&] { load_geometry("", toml("f.toml", "[sample]\ncell = [1, 2]\n"), 4, 4); }),
            "geometry file '" + path("f.toml") + "': [sample] cell must be 6 numbers");
  EXPECT_EQ(message_of([&] { load_geometry("", toml("g.toml", "[beam]\nenergy = 1\n"), 4, 4); }),
            "geometry file '" + path("g.toml") + "': unknown section or key 'beam' (known: [detector], [source], "
            "[sample])");
  EXPECT_EQ(message_of([&] { load_geometry("", path("missing.toml"), 4, 4); }),
            "geometry file '" + path("missing.toml") + "' cannot be opened");
}

TEST_F(GeometryFile, SimulatedBraggPixelRoundTripsThroughTheFile) {
  pipelines::SimulateRequest r;
  r.out = path("sim.h5");
  r.options.n_delay = 8;
  r.options.ny = 48;
  r.options.nx = 80;
  r.options.noise = sim::Noise::none;
  pipelines::simulate_pump_probe_file(r);
  const Reader in(r.out);
  const std::vector<double> pixel = in.read<double>("/truth/bragg_pixel");
  const std::vector<double> hkl = in.read<double>("/truth/bragg_hkl");
  const ExperimentGeometry g = load_geometry(r.out, "", 48, 80);
  const geometry::Vec3 h = g.crystal->miller(geometry::scattering_vector(g.detector, pixel[0], pixel[1]));
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(h[c], hkl[c], 1e-6);
}

}  // namespace
}  // namespace xpulse::io
