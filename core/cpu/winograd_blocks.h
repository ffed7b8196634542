// winograd_blocks.h: what the CPU's two Winograd convolutions share (core/cpu/conv_winograd.cpp,
// 3x3 stride 1; core/cpu/conv_winograd_s2.cpp, 4x4 stride 2): the layout of their transformed
// matrices and the cutting of a batch into blocks (tile rows of one image, or several images).
//
// A block of work is tile rows r0 .. r1 - 1 of one image, or several whole images where an image
// has fewer tiles than a block wants (so that small maps still give the GEMMs wide matrices: a
// 512-channel filter matrix read once per 60 tiles, not per 12, made ResNet-50's layer4 at batch
// 32 1.7x faster). Each kernel goes block by block, one thread taking a block through all its
// steps (transform, GEMMs, transform back) with single-threaded GEMMs (OpenBLAS's OpenMP build
// runs on the calling thread inside a parallel region), so that the block's transformed values stay in that core's caches (64 tiles of a
// 64-channel 3x3 conv: 512 KiB, inside a 1 MiB L2) instead of a whole chunk of images going
// through the L3 cache or memory between the steps, and so that a conv is one parallel region,
// not one per GEMM. A transformed block is one matrix [channels, cols] per transform position
// xi, xi_stride apart: the block's images one after another, and in each, tile (r, q) in column
// (r - r0) * tiles_w + q.
#pragma once

#include <algorithm>
#include <cstdint>

#include <omp.h>

#include "core/cpu/kernels_cpu.h"
#include "core/cpu/scratch.h"

namespace sar {

// A transform reads or writes all its matrices at once: one stream per xi, a matrix apart.
// Were that distance a multiple of 4 KiB (64 x 64 floats is one), all streams would fall in the
// same L1 cache set and evict each other: a 64-channel 3x3 conv at 64x48 ran 1.4x slower. So the
// matrices start 64 bytes past a 4 KiB multiple apart.
template <typename T>
int64_t xi_stride(int64_t matrix_numel) {
  const int64_t page = 4096 / int64_t(sizeof(T)), line = 64 / int64_t(sizeof(T));
  return (matrix_numel + page - 1) / page * page + line;
}

// SAR_CPU_CONV=im2col turns both Winograd kernels off (to compare, or to rule them out); unset
// or "auto" lets their *_fits rules decide. Read at every call, so a test or benchmark can switch
// it; any other value is refused by name. (core/cpu/conv_winograd.cpp)
bool winograd_allowed();

// Tile rows r0 .. r1 - 1 of images image .. image + images - 1 (images > 1: whole images). A
// kernel's per-plane steps take one image at a time, as piece(n): its tiles start at column col0
// of the block's matrices.
struct Block {
  int64_t image, images, r0, r1, col0;
  int64_t cols(int64_t tiles_w) const { return images * (r1 - r0) * tiles_w; }
  Block piece(int64_t n, int64_t tiles_w) const { return {image + n, 1, r0, r1, n * (r1 - r0) * tiles_w}; }
};

// A batch cut into blocks of `rows` tile rows of one image (the last of an image may have
// fewer), or of `images` whole images (the last block may have fewer).
struct Blocks {
  int64_t rows, per_image, images, count, tiles_h, N;
  Block operator[](int64_t i) const {
    if (images > 1) return {i * images, std::min(images, N - i * images), 0, tiles_h, 0};
    const int64_t r0 = i % per_image * rows;
    return {i / per_image, 1, r0, std::min(r0 + rows, tiles_h), 0};
  }
  int64_t most_cols(int64_t tiles_w) const { return images * rows * tiles_w; }
};

// N images of tiles_h x tiles_w tiles in blocks of about `tiles` tiles: whole images where one
// has fewer tiles than that, else whole tile rows of one image, at least one row; in both cases
// not so large that a thread is left without a block.
inline Blocks cut_into_blocks(int64_t N, int64_t tiles_h, int64_t tiles_w, int64_t tiles) {
  const int64_t threads = omp_get_max_threads();
  const int64_t images = std::max<int64_t>(1, std::min(tiles / (tiles_h * tiles_w), N / threads));
  if (images > 1) return {tiles_h, 1, images, (N + images - 1) / images, tiles_h, N};
  const int64_t rows = std::max<int64_t>(1, std::min({tiles / tiles_w, tiles_h, N * tiles_h / threads}));
  const int64_t per_image = (tiles_h + rows - 1) / rows;
  return {rows, per_image, 1, N * per_image, tiles_h, N};
}

// The sum over all blocks of what per_block(block, acc) adds into acc (n values), as the
// filter gradients need it: each thread adds its blocks (handed out statically) into a zeroed
// buffer of its own, then the threads' buffers are added in thread order, so that a given
// thread count always gives the same rounding (deterministic). Returns the sum, in the calling
// thread's scratch.
template <typename T, typename PerBlock>
T* sum_over_blocks(const Blocks& blocks, int64_t n, const PerBlock& per_block) {
  const int threads = int(std::min<int64_t>(omp_get_max_threads(), blocks.count));
  T* sums = scratch<T>(n * threads);  // thread j's at sums + j * n
  int team = 1;
#pragma omp parallel num_threads(threads)
  {
#pragma omp single
    team = omp_get_num_threads();
    T* mine = sums + omp_get_thread_num() * n;
    std::fill(mine, mine + n, T(0));
#pragma omp for schedule(static)
    for (int64_t i = 0; i < blocks.count; ++i) per_block(blocks[i], mine);
  }
#pragma omp parallel for if (n * team >= kParallelMin)
  for (int64_t i = 0; i < n; ++i)
    for (int j = 1; j < team; ++j) sums[i] += sums[j * n + i];
  return sums;
}

}  // namespace sar
