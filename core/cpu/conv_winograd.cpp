// conv_winograd.cpp: 3x3 stride-1 convolutions on the CPU by Winograd's minimal filtering
// F(2x2, 3x3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016): the
// same sums as conv.cpp's im2col + GEMM (conv2d_forward_cpu and its backward twins dispatch
// here when winograd_fits), with 16 multiplications per 2x2 output tile instead of 36.
//
// The output is cut into 2x2 tiles; tile t of channel c reads a 4x4 input patch d (rows
// 2*th - pad_h .. +3, zero outside the image). With the constant matrices
//   B^T = [1  0 -1  0]    G = [ 1    0    0 ]    A^T = [1  1  1  0]
//         [0  1  1  0]        [1/2  1/2  1/2]          [0  1 -1 -1]
//         [0 -1  1  0]        [1/2 -1/2  1/2]
//         [0  1  0 -1]        [ 0    0    1 ]
// one output tile of filter o is
//   Y = A^T [ sum_c (G w[o,c] G^T) (.) (B^T d[c] B) ] A          ((.) = elementwise)
// Calling U = G w G^T (the transformed filter) and V = B^T d B (the transformed patch), the
// sum over c at each of the 16 positions xi of the 4x4 transform domain is a matrix product:
//   M[xi] [Cy, tiles] = U[xi] [Cy, Cx] @ V[xi] [Cx, tiles]
// so a convolution is: transform patches, 16 GEMMs, transform back. The GEMMs do 16/36 of
// im2col's multiply-adds; the transforms are additions (and halvings, exact in binary).
//
// The gradients follow by transposing each linear step:
//   backward data:   dx is the convolution of dy with the filter flipped in both axes and its
//                    channel axes swapped, padding 2 - pad: the forward algorithm again.
//   backward filter: dU[xi] [Cy, Cx] = sum over tiles of (A dY A^T)[xi] (V[xi])^T, a GEMM per
//                    xi, then dw = G^T dU G.
// float32 rounding differs from im2col's by a few units in the last place of the inputs'
// scale (the transforms add up to 4 values before each product); float64 agrees to ~1e-15.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "core/cpu/kernels_cpu.h"
#include "core/cpu/scratch.h"
#include "core/cpu/winograd_blocks.h"
#include "core/error.h"

namespace sar {

namespace {

constexpr int kXi = 16;                              // positions of the 4x4 transform domain
// Below this many tiles in the whole batch the 16 narrow GEMMs lose to im2col's one wide one:
// on ResNet-50 shapes (2-core EPYC, OpenBLAS), 96 tiles (8 images of 8x6, or 2 of 16x12) ran
// 1.16-1.19x im2col's time, 192 tiles 0.82x, 384 0.67-0.8x; with blocks of several images
// (2026-11-29) 96 tiles of 512 channels 1.06x, of 256 0.86-0.94x, 64 tiles of 256 1.1x.
constexpr int64_t kMinTiles = 128;
// Tiles per block (core/cpu/winograd_blocks.h). Measured on ResNet-50's 3x3 shapes (2-core
// EPYC, batch 8, forward + backward data): 16 to 128 tiles ran within 3% of each other at 64
// and 128 channels and 64 was best at 256 (0.87x of 32's time); the backward filter, whose
// GEMMs sum over the block's tiles, was best at 128 to 256.
constexpr int64_t kForwardBlockTiles = 64;
constexpr int64_t kFilterBlockTiles = 256;

// One 3x3 correlation at stride 1: Ci input planes of H x W, Co output planes of Ho x Wo,
// and the 2x2 tiles that cover the output.
struct Tiling {
  int64_t Ci, H, W, Co, Ho, Wo, pad_h, pad_w;
  int64_t tiles_h() const { return (Ho + 1) / 2; }
  int64_t tiles_w() const { return (Wo + 1) / 2; }
  int64_t tiles() const { return tiles_h() * tiles_w(); }  // per image
};

// The tiling of conv g's forward: x (Cx planes) in, y (Cy planes) out.
Tiling forward_tiling(const ConvGeometry& g) { return {g.Cx, g.H, g.W, g.Cy, g.Ho, g.Wo, g.pad_h, g.pad_w}; }

// e = B^T d for 4 rows of n columns (d[i * n + k]: row i, column k).
template <typename T>
void transform_columns(T* __restrict e, const T* __restrict d, int64_t n) {
  for (int64_t k = 0; k < n; ++k) {
    e[k] = d[k] - d[2 * n + k];
    e[n + k] = d[n + k] + d[2 * n + k];
    e[2 * n + k] = d[2 * n + k] - d[n + k];
    e[3 * n + k] = d[n + k] - d[3 * n + k];
  }
}

// The transforms below go one row of tiles at a time, and every inner loop runs over the tiles
// of that row with unit strides (so that it vectorizes): rows are first split into their even
// and odd columns, and a row of output tiles is computed as four arrays (the tile's four
// values) that are then interleaved into the two output rows. Their row buffers are plain
// arrays: through a std::vector's data(), GCC 12 vectorized none of transform_output_grads'
// loops ("no vectype for stmt", -fopt-info-vec).

// V[xi, c, tile] = (B^T d B)[xi] for the patch d of each tile of piece k of x (the piece's
// image, [Ci, H, W]); V's matrices have `cols` columns.
template <typename T>
void transform_patches(T* V, int64_t cols, const T* x, const Tiling& t, const Block& k) {
  const int64_t tw = t.tiles_w(), n = tw + 1;
  const int64_t step = xi_stride<T>(t.Ci * cols), width = 2 * n;  // columns -pad_w .. width - pad_w - 1 of x
  std::unique_ptr<T[]> buffer(new T[width + 16 * n]);
  T* const row = buffer.get();       // one row of x, zero-padded
  T* const even = row + width;        // rows i = 0..3 of the tile row's patches: d[i][2k] ...
  T* const odd = even + 4 * n;        // ... and d[i][2k + 1]
  T* const e_even = odd + 4 * n;      // B^T d, even columns ...
  T* const e_odd = e_even + 4 * n;    // ... and odd
  for (int64_t c = 0; c < t.Ci; ++c) {
    const T* plane = x + c * t.H * t.W;
    for (int64_t r = k.r0; r < k.r1; ++r) {
      for (int i = 0; i < 4; ++i) {
        const int64_t h = 2 * r - t.pad_h + i;
        std::fill(row, row + width, T(0));
        if (h >= 0 && h < t.H) std::copy(plane + h * t.W, plane + (h + 1) * t.W, row + t.pad_w);
        T* __restrict ev = even + i * n;
        T* __restrict od = odd + i * n;
        for (int64_t q = 0; q < n; ++q) {
          ev[q] = row[2 * q];
          od[q] = row[2 * q + 1];
        }
      }
      transform_columns(e_even, even, n);
      transform_columns(e_odd, odd, n);
      for (int i = 0; i < 4; ++i) {  // (B^T d) B: xi = 4i .. 4i+3; tile q reads columns 2q .. 2q+3
        const T* __restrict ev = e_even + i * n;
        const T* __restrict od = e_odd + i * n;
        T* __restrict out = V + int64_t(4 * i) * step + c * cols + k.col0 + (r - k.r0) * tw;
        for (int64_t q = 0; q < tw; ++q) {
          out[q] = ev[q] - ev[q + 1];
          out[step + q] = od[q] + ev[q + 1];
          out[2 * step + q] = ev[q + 1] - od[q];
          out[3 * step + q] = od[q] - od[q + 1];
        }
      }
    }
  }
}

// Piece k of y (its image, [Co, Ho, Wo]) = bias[o] (or 0) + A^T M A for each tile, M
// [xi, Co, cols] the block's products.
template <typename T>
void untransform_products(T* y, const T* M, int64_t cols, const T* bias, const Tiling& t, const Block& k) {
  const int64_t tw = t.tiles_w(), step = xi_stride<T>(t.Co * cols);
  std::unique_ptr<T[]> buffer(new T[4 * tw]);
  T* __restrict out = buffer.get();  // a tile row's values: [i][j] of each tile at out[(2i + j) * tw + q]
  for (int64_t o = 0; o < t.Co; ++o) {
    T* plane = y + o * t.Ho * t.Wo;
    const T add = bias ? bias[o] : T(0);
    for (int64_t r = k.r0; r < k.r1; ++r) {
      const T* __restrict m = M + o * cols + k.col0 + (r - k.r0) * tw;
      for (int64_t q = 0; q < tw; ++q) {
        // A^T m: row 0 (e0j) and row 1 (e1j) of the 2x4 product, column j
        const T e00 = m[q] + m[4 * step + q] + m[8 * step + q];
        const T e01 = m[step + q] + m[5 * step + q] + m[9 * step + q];
        const T e02 = m[2 * step + q] + m[6 * step + q] + m[10 * step + q];
        const T e03 = m[3 * step + q] + m[7 * step + q] + m[11 * step + q];
        const T e10 = m[4 * step + q] - m[8 * step + q] - m[12 * step + q];
        const T e11 = m[5 * step + q] - m[9 * step + q] - m[13 * step + q];
        const T e12 = m[6 * step + q] - m[10 * step + q] - m[14 * step + q];
        const T e13 = m[7 * step + q] - m[11 * step + q] - m[15 * step + q];
        // (A^T m) A
        out[q] = add + e00 + e01 + e02;
        out[tw + q] = add + e01 - e02 - e03;
        out[2 * tw + q] = add + e10 + e11 + e12;
        out[3 * tw + q] = add + e11 - e12 - e13;
      }
      for (int i = 0; i < 2 && 2 * r + i < t.Ho; ++i) {  // an odd size drops the last tile row's second row
        T* __restrict dst = plane + (2 * r + i) * t.Wo;
        const T* __restrict left = out + 2 * i * tw;
        const T* __restrict right = left + tw;
        for (int64_t q = 0; q < t.Wo / 2; ++q) {
          dst[2 * q] = left[q];
          dst[2 * q + 1] = right[q];
        }
        if (t.Wo % 2) dst[t.Wo - 1] = left[tw - 1];  // an odd width drops the last tile's right column
      }
    }
  }
}

// Row i of (A e) A^T from row i (a, b) of A e: xi = 4i .. 4i+3, at out and step apart.
template <typename T>
inline void store_grad_row(T* out, int64_t step, T a, T b) {
  out[0] = a;
  out[step] = a + b;
  out[2 * step] = a - b;
  out[3 * step] = -b;
}

// Ydy [xi, Co, cols] = (A e A^T)[xi] for the 2x2 tile e of piece k of dy (its image, [Co, Ho,
// Wo]; zero past an odd edge): the transpose of untransform_products.
template <typename T>
void transform_output_grads(T* Ydy, int64_t cols, const T* dy, const Tiling& t, const Block& k) {
  const int64_t tw = t.tiles_w(), step = xi_stride<T>(t.Co * cols);
  std::unique_ptr<T[]> buffer(new T[2 * tw + 4 * tw]);
  T* const row = buffer.get();  // one row of dy, zero-padded to 2 * tw
  T* const split = row + 2 * tw;  // rows i = 0, 1 of the tile row: e[i][2q] at split[2i * tw + q], e[i][2q + 1] after
  for (int64_t o = 0; o < t.Co; ++o) {
    const T* plane = dy + o * t.Ho * t.Wo;
    for (int64_t r = k.r0; r < k.r1; ++r) {
      for (int i = 0; i < 2; ++i) {
        const int64_t h = 2 * r + i;
        std::fill(row, row + 2 * tw, T(0));
        if (h < t.Ho) std::copy(plane + h * t.Wo, plane + (h + 1) * t.Wo, row);
        T* __restrict left = split + 2 * i * tw;
        T* __restrict right = left + tw;
        for (int64_t q = 0; q < tw; ++q) {
          left[q] = row[2 * q];
          right[q] = row[2 * q + 1];
        }
      }
      const T* __restrict e0 = split;  // e0[q]: tile q's (0, 0), e0[tw + q] its (0, 1); e1 likewise row 1
      const T* __restrict e1 = split + 2 * tw;
      T* __restrict out = Ydy + o * cols + k.col0 + (r - k.r0) * tw;
      // A e has rows f0 = e0, f1 = e0 + e1, f2 = e0 - e1, f3 = -e1; row i of (A e) A^T comes
      // from f_i alone. One loop per row: GCC 12 vectorized none of the 16 stores in one loop.
      for (int64_t q = 0; q < tw; ++q) store_grad_row(out + q, step, e0[q], e0[tw + q]);
      for (int64_t q = 0; q < tw; ++q)
        store_grad_row(out + 4 * step + q, step, e0[q] + e1[q], e0[tw + q] + e1[tw + q]);
      for (int64_t q = 0; q < tw; ++q)
        store_grad_row(out + 8 * step + q, step, e0[q] - e1[q], e0[tw + q] - e1[tw + q]);
      for (int64_t q = 0; q < tw; ++q) store_grad_row(out + 12 * step + q, step, -e1[q], -e1[tw + q]);
    }
  }
}

// U [xi, Co, Ci] = (G g G^T)[xi] for each 3x3 filter g. flip: g[o, c] = w[c, o] rotated by
// 180 degrees (w: [Ci, Co, 3, 3]), the filter of backward data; else g[o, c] = w[o, c]
// (w: [Co, Ci, 3, 3]).
template <typename T>
void transform_filters(T* U, const T* w, int64_t Co, int64_t Ci, bool flip) {
  const int64_t step = xi_stride<T>(Co * Ci);
#pragma omp parallel for collapse(2) if (Co * Ci * kXi >= kParallelMin)
  for (int64_t o = 0; o < Co; ++o) {
    for (int64_t c = 0; c < Ci; ++c) {
      const T* src = flip ? w + (c * Co + o) * 9 : w + (o * Ci + c) * 9;
      T g[3][3];
      for (int k = 0; k < 9; ++k) g[k / 3][k % 3] = flip ? src[8 - k] : src[k];
      T e[4][3];  // G g
      for (int j = 0; j < 3; ++j) {
        e[0][j] = g[0][j];
        e[1][j] = (g[0][j] + g[1][j] + g[2][j]) / 2;
        e[2][j] = (g[0][j] - g[1][j] + g[2][j]) / 2;
        e[3][j] = g[2][j];
      }
      T* out = U + o * Ci + c;
      for (int i = 0; i < 4; ++i) {  // (G g) G^T
        out[(i * 4 + 0) * step] = e[i][0];
        out[(i * 4 + 1) * step] = (e[i][0] + e[i][1] + e[i][2]) / 2;
        out[(i * 4 + 2) * step] = (e[i][0] - e[i][1] + e[i][2]) / 2;
        out[(i * 4 + 3) * step] = e[i][2];
      }
    }
  }
}

// dw [Co, Ci, 3, 3] = G^T dU G from dU [xi, Co, Ci]: the transpose of transform_filters.
template <typename T>
void untransform_filter_grads(T* dw, const T* dU, int64_t Co, int64_t Ci) {
  const int64_t step = xi_stride<T>(Co * Ci);
#pragma omp parallel for if (Co * Ci * kXi >= kParallelMin)
  for (int64_t oc = 0; oc < Co * Ci; ++oc) {
    T u[4][4];
    for (int xi = 0; xi < kXi; ++xi) u[xi / 4][xi % 4] = dU[xi * step + oc];
    T e[3][4];  // G^T u
    for (int j = 0; j < 4; ++j) {
      e[0][j] = u[0][j] + (u[1][j] + u[2][j]) / 2;
      e[1][j] = (u[1][j] - u[2][j]) / 2;
      e[2][j] = (u[1][j] + u[2][j]) / 2 + u[3][j];
    }
    T* g = dw + oc * 9;
    for (int i = 0; i < 3; ++i) {  // (G^T u) G
      g[i * 3 + 0] = e[i][0] + (e[i][1] + e[i][2]) / 2;
      g[i * 3 + 1] = (e[i][1] - e[i][2]) / 2;
      g[i * 3 + 2] = (e[i][1] + e[i][2]) / 2 + e[i][3];
    }
  }
}

// y [N, Co, Ho, Wo] = bias + the correlation of x [N, Ci, H, W] with the 3x3 filters w
// (transform_filters' layouts; flip as there): the forward algorithm, block by block.
template <typename T>
void correlate(T* y, const T* x, const T* w, bool flip, const T* bias, const Tiling& t, int64_t N) {
  const int64_t u_step = xi_stride<T>(t.Co * t.Ci);
  T* U = scratch<T>(kXi * u_step);
  transform_filters(U, w, t.Co, t.Ci, flip);
  const Blocks blocks = cut_into_blocks(N, t.tiles_h(), t.tiles_w(), kForwardBlockTiles);
  const int64_t tw = t.tiles_w(), most_cols = blocks.most_cols(tw);
  const int64_t v_size = kXi * xi_stride<T>(t.Ci * most_cols), m_size = kXi * xi_stride<T>(t.Co * most_cols);
  // One block per iteration, its GEMMs single-threaded (OpenBLAS's OpenMP build runs on the
  // calling thread inside a parallel region). No sum crosses blocks: the result does not
  // depend on which thread takes which block.
#pragma omp parallel for schedule(dynamic) if (blocks.count > 1)
  for (int64_t i = 0; i < blocks.count; ++i) {
    const Block k = blocks[i];
    const int64_t cols = k.cols(tw), v_step = xi_stride<T>(t.Ci * cols), m_step = xi_stride<T>(t.Co * cols);
    T* V = scratch<T, 1>(v_size + m_size);
    T* M = V + v_size;
    for (int64_t n = 0; n < k.images; ++n) {
      const Block piece = k.piece(n, tw);
      transform_patches(V, cols, x + piece.image * t.Ci * t.H * t.W, t, piece);
    }
    for (int xi = 0; xi < kXi; ++xi)  // M[xi] = U[xi] @ V[xi]
      gemm_cpu<T>(M + xi * m_step, U + xi * u_step, V + xi * v_step, t.Co, cols, t.Ci, false, false, T(1), T(0));
    for (int64_t n = 0; n < k.images; ++n) {
      const Block piece = k.piece(n, tw);
      untransform_products(y + piece.image * t.Co * t.Ho * t.Wo, M, cols, bias, t, piece);
    }
  }
}

}  // namespace

bool winograd_allowed() {
  const char* v = std::getenv("SAR_CPU_CONV");
  if (v == nullptr || std::strcmp(v, "auto") == 0) return true;
  SAR_CHECK(std::strcmp(v, "im2col") == 0, "SAR_CPU_CONV must be auto or im2col, got \"", v, "\"");
  return false;
}

bool winograd_fits(const ConvGeometry& g) {
  const bool three_by_three = g.kH == 3 && g.kW == 3 && g.stride_h == 1 && g.stride_w == 1 && g.dilation_h == 1 &&
                              g.dilation_w == 1 && g.pad_h >= 0 && g.pad_h <= 2 && g.pad_w >= 0 && g.pad_w <= 2 &&
                              g.Ho == g.H + 2 * g.pad_h - 2 && g.Wo == g.W + 2 * g.pad_w - 2;
  const Tiling t = forward_tiling(g);
  return three_by_three && g.N * t.tiles() >= kMinTiles && winograd_allowed();
}

template <typename T>
void conv2d_forward_winograd_cpu(T* y, const T* x, const T* w, const T* bias, const ConvGeometry& g) {
  correlate(y, x, w, false, bias, forward_tiling(g), g.N);
}

template <typename T>
void conv2d_backward_data_winograd_cpu(T* dx, const T* dy, const T* w, const T* bias, const ConvGeometry& g) {
  correlate(dx, dy, w, true, bias, Tiling{g.Cy, g.Ho, g.Wo, g.Cx, g.H, g.W, 2 - g.pad_h, 2 - g.pad_w}, g.N);
}

template <typename T>
void conv2d_backward_filter_winograd_cpu(T* dw, const T* dy, const T* x, const ConvGeometry& g) {
  const Tiling t = forward_tiling(g);
  // dU[xi] = sum over blocks of Ydy[xi] @ V[xi]^T. The GEMMs' inner size is the block's tile
  // count: wider blocks than forward's, so that each GEMM's pass over its [Cy, Cx] output pays off.
  const Blocks blocks = cut_into_blocks(g.N, t.tiles_h(), t.tiles_w(), kFilterBlockTiles);
  const int64_t tw = t.tiles_w(), u_step = xi_stride<T>(g.Cy * g.Cx), most_cols = blocks.most_cols(tw);
  const int64_t v_size = kXi * xi_stride<T>(t.Ci * most_cols), y_size = kXi * xi_stride<T>(t.Co * most_cols);
  const T* dU = sum_over_blocks<T>(blocks, kXi * u_step, [&](const Block& k, T* acc) {
    const int64_t cols = k.cols(tw), v_step = xi_stride<T>(t.Ci * cols), y_step = xi_stride<T>(t.Co * cols);
    T* V = scratch<T, 1>(v_size + y_size);
    T* Ydy = V + v_size;
    for (int64_t n = 0; n < k.images; ++n) {
      const Block piece = k.piece(n, tw);
      transform_patches(V, cols, x + piece.image * g.image_numel(), t, piece);
      transform_output_grads(Ydy, cols, dy + piece.image * g.grid_numel(), t, piece);
    }
    for (int xi = 0; xi < kXi; ++xi)
      gemm_cpu<T>(acc + xi * u_step, Ydy + xi * y_step, V + xi * v_step, g.Cy, g.Cx, cols, false, true, T(1), T(1));
  });
  untransform_filter_grads(dw, dU, g.Cy, g.Cx);
}

#define SAR_INSTANTIATE(T)                                                                                      \
  template void conv2d_forward_winograd_cpu<T>(T*, const T*, const T*, const T*, const ConvGeometry&);          \
  template void conv2d_backward_data_winograd_cpu<T>(T*, const T*, const T*, const T*, const ConvGeometry&);    \
  template void conv2d_backward_filter_winograd_cpu<T>(T*, const T*, const T*, const ConvGeometry&);
SAR_INSTANTIATE(float)
SAR_INSTANTIATE(double)

}  // namespace sar
