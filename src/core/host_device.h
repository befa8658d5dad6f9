#pragma once
// XPULSE_HD marks functions compiled for both the host and CUDA devices (the CUDA backends run the same
// per-pixel code as their CPU twins). Without nvcc it expands to nothing.
#if defined(__CUDACC__)
#define XPULSE_HD __host__ __device__
#else
#define XPULSE_HD
#endif
