// block_reduce.cuh: the block-wide sum and max of the block-reducing kernels (batch_norm.cu,
// softmax.cu, sar_loss.cu, sar_selector_norm.cu, sar_decode.cu): warp shuffles, then one warp over the per-warp results.
// Every thread of the block must call them (they hold __syncthreads), with blockDim.x a
// multiple of 32 and at most 1024, as kThreads is. Included only by .cu files.
#pragma once

#include <cmath>

#include "cuda/cuda_check.h"  // kThreads

namespace sar {

static_assert(cuda::kThreads % 32 == 0 && cuda::kThreads <= 1024, "block_reduce needs whole warps, at most 32 of them (1024 threads)");

// The max (is_max) or sum of v over the whole block, returned to every thread.
__device__ inline float block_reduce(float v, bool is_max) {
  __shared__ float per_warp[32];
  const float identity = is_max ? -INFINITY : 0.f;
  auto combine = [is_max](float a, float b) { return is_max ? fmaxf(a, b) : a + b; };
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  // step 1: each warp folds its 32 values; xor shuffles leave the result in every lane
  for (int offset = 16; offset > 0; offset /= 2) v = combine(v, __shfl_xor_sync(0xffffffffu, v, offset));
  if (lane == 0) per_warp[warp] = v;
  __syncthreads();
  // step 2: every warp folds the per-warp results, so all threads end with the total
  v = lane < int(blockDim.x / 32) ? per_warp[lane] : identity;
  for (int offset = 16; offset > 0; offset /= 2) v = combine(v, __shfl_xor_sync(0xffffffffu, v, offset));
  __syncthreads();  // per_warp is reused by the next call
  return v;
}

// The sum of v over the whole block, returned to every thread.
__device__ inline float block_sum(float v) { return block_reduce(v, false); }

// The max of v over the whole block, returned to every thread.
__device__ inline float block_max(float v) { return block_reduce(v, true); }

}  // namespace sar
