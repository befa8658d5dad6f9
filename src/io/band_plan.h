#pragma once
// How a pipeline that needs every frame of a pixel (a fit, a spectrum) cuts a [frame, y, x] stack into bands
// of rows that are read whole, so that no chunk is ever read or decompressed twice.
//
// Strategy. The reader decodes each chunk once per request and scatters it into the band buffer
// [frame][row][x] (the corner turn: frame-major on disk, and the fitter then walks each pixel's trace through
// the frame stride). Chunks are never split between requests, so band boundaries must fall on chunk row
// boundaries:
//  - contiguous data: any band height reads only its own bytes; bands are sized by the memory budget;
//  - chunks of g rows (tiles, or frames cut into row blocks): band height is a multiple of g, the largest that
//    fits the budget (at least g);
//  - chunks spanning whole frames (the common detector layout [1, ny, nx]): every band would need every chunk,
//    so there is one band, the whole stack, read once. Its memory is the stack in float32; the plan says so.
#include <cstddef>
#include <span>

namespace xpulse::io {

struct BandPlan {
  std::size_t band_rows = 0;
  std::size_t bands = 0;
  bool frame_chunks = false;                  // chunks span whole frames: any rows need every chunk
  bool whole_stack_for_frame_chunks = false;  // the third case above
};

// granule: the reader's read_granule() ([frames, rows, x] chunk shape, empty for contiguous data).
// budget_bytes: target memory of one band buffer (float32 values of all frames).
BandPlan plan_row_bands(std::size_t frames, std::size_t ny, std::size_t nx, std::span<const std::size_t> granule,
                        std::size_t tile_height, std::size_t budget_bytes);

}  // namespace xpulse::io
