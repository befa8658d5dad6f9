// The CUDA module (runtime/cuda_module.h) loads on a machine without a driver or device (nothing in it starts
// CUDA until a backend is made) and holds every entry point the forwarding classes ask for.
#include "runtime/cuda_module.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "runtime/devices.h"

namespace xpulse::runtime {
namespace {

TEST(CudaModule, LoadsAndHasEveryEntryPoint) {
  if (!cuda_built()) GTEST_SKIP() << cuda_unavailable_reason();
  ASSERT_EQ(load_cuda_module(), "");
  for (const char* name :
       {"xpulse_cuda_module_abi", "xpulse_cuda_module_version", "xpulse_cuda_device_count", "xpulse_cuda_device_name",
        "xpulse_cuda_unavailable_reason", "xpulse_cuda_band_fitter", "xpulse_cuda_time_fit_kernel",
        "xpulse_cuda_plan_float", "xpulse_cuda_plan_double", "xpulse_cuda_match_orientations", "xpulse_cuda_ml_frames",
        "xpulse_cuda_peakfinder8", "xpulse_cuda_direction_scores", "xpulse_cuda_sfx_renderer"}) {
    EXPECT_NO_THROW(cuda_module_symbol(name)) << name;
  }
  EXPECT_THROW(cuda_module_symbol("xpulse_cuda_no_such_entry"), Error);
  // Loaded without a device, the module answers the device queries itself.
  if (cuda_device_count() == 0) EXPECT_NE(cuda_unavailable_reason(), "");
}

}  // namespace
}  // namespace xpulse::runtime
