// conv_winograd_s2.cpp: 4x4 stride-2 convolutions with padding 1 on the CPU, the shape of
// SimpleBaseline's deconvs (conv_transpose2d's forward is this conv's backward data), by phases
// and Winograd's F(2x2, 2x2). conv.cpp's three conv2d kernels dispatch here when
// winograd_s2_fits: the same sums as im2col + GEMM with 9/16 of the multiplications.
//
// Phases. Let x be the large map (H = 2 Ho, W = 2 Wo) and y the small one, and split x into
// its four phases x_ab[p, q] = x[2p + a, 2q + b] (a, b in {0, 1}; each Ho x Wo). Output row i
// reads x rows 2i - 1 .. 2i + 2: rows i and i + 1 of phase a = 0 (filter taps 1 and 3), rows
// i - 1 and i of phase a = 1 (taps 0 and 2); columns likewise. So
//   y[o] = sum over c, a, b of corr2x2(x_ab[c] shifted by (-a, -b), w_ab[o, c])
//   w_ab[o, c][u, v] = w[o, c][2u + 1 - a, 2v + 1 - b]          (u, v in {0, 1})
// four stride-1 2x2 correlations: as many multiply-adds as the direct conv.
//
// Winograd's F(2x2, 2x2) gives a 2x2 tile of a 2x2 correlation from a 3x3 patch d with 9
// multiplications instead of 16. With
//   B^T = [1 -1  0]    G = [1 0]    A^T = [1 1 0]
//         [0  1  0]        [1 1]          [0 1 1]
//         [0 -1  1]        [0 1]
// a tile is Y = A^T [ (G g G^T) (.) (B^T d B) ] A  ((.) = elementwise; every entry is 0 or +-1,
// so the transforms are additions). Stacking the four phases of every channel, the sum over
// c, a, b at each of the 9 positions xi of the 3x3 transform domain is one matrix product:
//   M[xi] [Cy, tiles] = U[xi] [Cy, 4 Cx] @ V[xi] [4 Cx, tiles]      (row a*2*Cx + b*Cx + c)
//
// The gradients transpose each step:
//   backward data:   dx_ab[c] = sum over o of corr2x2(dy[o] shifted by (a - 1, b - 1), w_ab
//                    flipped in both axes): per phase, the forward algorithm on dy, its
//                    results written to the phase's pixels of dx.
//   backward filter: dU[xi] [Cy, 4 Cx] = sum over tiles of (A dY A^T)[xi] V[xi]^T, then
//                    w_ab = G^T dU_ab G.
// Blocks of tile rows of the small map, or of several small maps, one thread each, as in
// conv_winograd.cpp (core/cpu/winograd_blocks.h).
#include <algorithm>
#include <memory>

#include "core/cpu/kernels_cpu.h"
#include "core/cpu/scratch.h"
#include "core/cpu/winograd_blocks.h"

namespace sar {

namespace {

constexpr int kXi = 9;  // positions of the 3x3 transform domain
// Where the batch has few tiles, each block's GEMMs are too narrow (the filter gradient's sum
// over a block's tiles most of all) and im2col stays. Measured against im2col (the three
// passes, 2-core EPYC, blocks of several small images since 2026-11-29): a 4x4 small map (4
// tiles an image) took 1.8x its time at batch 8 and 1.2x at batch 32; 8x6 (12 tiles) 1.14x at
// batch 8; 8x8 (16 tiles) 1.04x at batch 8, 0.7-0.9x at batch 16 and 0.63-0.96x at batch 32 (256
// channels; 0.93x with 64 at batch 16); 16x12 (48 tiles) 0.64-0.88x at batch 8; 32x24 0.62-0.68x.
constexpr int64_t kMinImageTiles = 16;
constexpr int64_t kMinTiles = 256;
// Tiles per block, forward (and backward data) and filter gradient. The GEMMs' filter matrices
// are 4x the 3x3 kernel's (K = 4 Cx), so wider blocks pay: on ResNet-50's deconv3 (256
// channels, 32x24 -> 64x48, batch 8; 2-core EPYC) 32 / 64 / 128 / 256 / 512 tiles took 1.48 /
// 1.23 / 1.10 / 1.0 / 1.02x the time; 256 for the filter gradient too (512 was no faster).
constexpr int64_t kForwardBlockTiles = 256;
constexpr int64_t kFilterBlockTiles = 256;

// One plane seen through strides: element (p, q) at base[p * row_stride + q * col_stride] for
// p < rows and q < cols, zero outside. A phase of x is x's plane with both strides doubled.
template <typename T>
struct Plane {
  T* base;
  int64_t rows, cols, row_stride, col_stride;
  bool inside(int64_t p, int64_t q) const { return p >= 0 && p < rows && q >= 0 && q < cols; }
};

// The small map's 2x2 tiles.
struct Tiles {
  int64_t Ho, Wo;
  int64_t h() const { return (Ho + 1) / 2; }
  int64_t w() const { return (Wo + 1) / 2; }
};

// Row `row` of V's 9 matrices ([*, cols], step apart) = (B^T d B)[xi] for the 3x3 patch d at
// rows 2r + shift_r .. + 2, columns 2q + shift_c .. + 2 of `in`, for the tiles (r, q) of piece k.
template <typename T>
void transform_patches(T* V, int64_t step, int64_t cols, int64_t row, const Plane<const T>& in, int64_t shift_r,
                       int64_t shift_c, const Block& k, int64_t tw) {
  const int64_t n = tw + 1;  // tile q reads columns 2q .. 2q + 2: even ones 2q, 2q + 2, odd 2q + 1
  // the columns c of a patch row that lie inside `in` (c: shift_c + c of `in`)
  const int64_t c_lo = std::max<int64_t>(0, -shift_c), c_hi = std::min(2 * n, in.cols - shift_c);
  std::unique_ptr<T[]> buffer(new T[14 * n]);
  T* const line = buffer.get();  // one patch row, zero outside `in`
  T* const d = line + 2 * n;     // rows i = 0..2 of the patches: even columns at d[2i * n], odd at d[(2i + 1) * n]
  T* const e = d + 6 * n;        // B^T d, the same layout
  for (int64_t r = k.r0; r < k.r1; ++r) {
    for (int i = 0; i < 3; ++i) {
      const int64_t p = 2 * r + shift_r + i;
      std::fill(line, line + 2 * n, T(0));
      if (p >= 0 && p < in.rows) {
        const T* src = in.base + p * in.row_stride + shift_c * in.col_stride;
        for (int64_t c = c_lo; c < c_hi; ++c) line[c] = src[c * in.col_stride];
      }
      T* __restrict ev = d + 2 * i * n;
      T* __restrict od = ev + n;
      for (int64_t q = 0; q < n; ++q) {
        ev[q] = line[2 * q];
        od[q] = line[2 * q + 1];
      }
    }
    for (int64_t c = 0; c < 2 * n; ++c) {  // B^T d: rows d0 - d1, d1, d2 - d1
      e[c] = d[c] - d[2 * n + c];
      e[2 * n + c] = d[2 * n + c];
      e[4 * n + c] = d[4 * n + c] - d[2 * n + c];
    }
    for (int i = 0; i < 3; ++i) {  // (B^T d) B: columns ev - od, od, ev' - od
      const T* __restrict ev = e + 2 * i * n;
      const T* __restrict od = ev + n;
      T* __restrict out = V + int64_t(3 * i) * step + row * cols + k.col0 + (r - k.r0) * tw;
      for (int64_t q = 0; q < tw; ++q) {
        out[q] = ev[q] - od[q];
        out[step + q] = od[q];
        out[2 * step + q] = ev[q + 1] - od[q];
      }
    }
  }
}

// The tiles of piece k in `out` = add + A^T m A, m: row `row` of M's 9 matrices ([*, cols],
// step apart).
template <typename T>
void untransform_products(const Plane<T>& out, const T* M, int64_t step, int64_t cols, int64_t row, T add,
                          const Block& k, int64_t tw) {
  std::unique_ptr<T[]> buffer(new T[4 * tw]);
  T* __restrict y = buffer.get();  // a tile row's values: (i, j) of tile q at y[(2i + j) * tw + q]
  for (int64_t r = k.r0; r < k.r1; ++r) {
    const T* __restrict m = M + row * cols + k.col0 + (r - k.r0) * tw;
    for (int64_t q = 0; q < tw; ++q) {
      // A^T m: rows m0 + m1 and m1 + m2 (m_i = positions 3i .. 3i + 2), then (A^T m) A
      const T e00 = m[q] + m[3 * step + q], e01 = m[step + q] + m[4 * step + q],
              e02 = m[2 * step + q] + m[5 * step + q];
      const T e10 = m[3 * step + q] + m[6 * step + q], e11 = m[4 * step + q] + m[7 * step + q],
              e12 = m[5 * step + q] + m[8 * step + q];
      y[q] = add + e00 + e01;
      y[tw + q] = add + e01 + e02;
      y[2 * tw + q] = add + e10 + e11;
      y[3 * tw + q] = add + e11 + e12;
    }
    for (int i = 0; i < 2; ++i) {
      const int64_t p = 2 * r + i;
      if (p >= out.rows) break;
      T* dst = out.base + p * out.row_stride;
      for (int64_t q = 0; q < tw; ++q) {
        dst[2 * q * out.col_stride] = y[2 * i * tw + q];
        if (2 * q + 1 < out.cols) dst[(2 * q + 1) * out.col_stride] = y[(2 * i + 1) * tw + q];
      }
    }
  }
}

// Row `row` of Ydy's 9 matrices = (A e A^T)[xi] for the 2x2 tile e of `dy` (zero past an odd
// edge) of each tile of piece k: the transpose of untransform_products.
template <typename T>
void transform_output_grads(T* Ydy, int64_t step, int64_t cols, int64_t row, const Plane<const T>& dy,
                            const Block& k, int64_t tw) {
  std::unique_ptr<T[]> buffer(new T[4 * tw]);
  T* const e = buffer.get();  // (i, j) of tile q at e[(2i + j) * tw + q]
  for (int64_t r = k.r0; r < k.r1; ++r) {
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 2; ++j)
        for (int64_t q = 0; q < tw; ++q)
          e[(2 * i + j) * tw + q] = dy.inside(2 * r + i, 2 * q + j)
                                        ? dy.base[(2 * r + i) * dy.row_stride + (2 * q + j) * dy.col_stride]
                                        : T(0);
    const T* __restrict e0 = e;  // row 0: columns at e0[q], e0[tw + q]; row 1 likewise
    const T* __restrict e1 = e + 2 * tw;
    T* __restrict out = Ydy + row * cols + k.col0 + (r - k.r0) * tw;
    // A e has rows f0 = e0, f1 = e0 + e1, f2 = e1; row i of (A e) A^T is (f_i0, f_i0 + f_i1, f_i1)
    for (int64_t q = 0; q < tw; ++q) {
      out[q] = e0[q];
      out[step + q] = e0[q] + e0[tw + q];
      out[2 * step + q] = e0[tw + q];
    }
    for (int64_t q = 0; q < tw; ++q) {
      const T f0 = e0[q] + e1[q], f1 = e0[tw + q] + e1[tw + q];
      out[3 * step + q] = f0;
      out[4 * step + q] = f0 + f1;
      out[5 * step + q] = f1;
    }
    for (int64_t q = 0; q < tw; ++q) {
      out[6 * step + q] = e1[q];
      out[7 * step + q] = e1[q] + e1[tw + q];
      out[8 * step + q] = e1[tw + q];
    }
  }
}

// The filter tap of phase a (or b) at position u of its 2x2 sub-filter; flipped: the sub-filter
// of backward data, rotated by 180 degrees.
int64_t tap(int a, int u, bool flipped) { return flipped ? 3 - 2 * u - a : 2 * u + 1 - a; }

// U[xi] (step apart) = G g G^T for g = the phase (a, b) sub-filter of w[o, c] ([Cy, Cx, 4, 4]),
// at U + xi * step + index.
template <typename T>
void transform_filter(T* U, int64_t step, int64_t index, const T* w_oc, int a, int b, bool flipped) {
  T g[2][2];
  for (int u = 0; u < 2; ++u)
    for (int v = 0; v < 2; ++v) g[u][v] = w_oc[tap(a, u, flipped) * 4 + tap(b, v, flipped)];
  const T h[3][2] = {{g[0][0], g[0][1]}, {g[0][0] + g[1][0], g[0][1] + g[1][1]}, {g[1][0], g[1][1]}};  // G g
  for (int i = 0; i < 3; ++i) {  // (G g) G^T
    U[(3 * i) * step + index] = h[i][0];
    U[(3 * i + 1) * step + index] = h[i][0] + h[i][1];
    U[(3 * i + 2) * step + index] = h[i][1];
  }
}

// The phase (a, b) taps of dw[o, c] = G^T u G, u = dU's 9 matrices at index: the transpose of
// transform_filter.
template <typename T>
void untransform_filter_grad(T* dw_oc, const T* dU, int64_t step, int64_t index, int a, int b) {
  T u[3][3];
  for (int xi = 0; xi < kXi; ++xi) u[xi / 3][xi % 3] = dU[xi * step + index];
  for (int i = 0; i < 2; ++i) {
    T e[3];  // row i of G^T u: u_i + u_{i+1}
    for (int j = 0; j < 3; ++j) e[j] = u[i][j] + u[i + 1][j];
    dw_oc[tap(a, i, false) * 4 + tap(b, 0, false)] = e[0] + e[1];
    dw_oc[tap(a, i, false) * 4 + tap(b, 1, false)] = e[1] + e[2];
  }
}

// Phase (a, b) of image n, channel c of x [N, Cx, H, W], as a plane of Ho x Wo.
template <typename T>
Plane<T> phase_plane(T* x, const ConvGeometry& g, int64_t n, int64_t c, int a, int b) {
  return {x + (n * g.Cx + c) * g.H * g.W + a * g.W + b, g.Ho, g.Wo, 2 * g.W, 2};
}

// Image n, channel o of the small map [N, Cy, Ho, Wo].
template <typename T>
Plane<T> small_plane(T* y, const ConvGeometry& g, int64_t n, int64_t o) {
  return {y + (n * g.Cy + o) * g.Ho * g.Wo, g.Ho, g.Wo, g.Wo, 1};
}

// V's rows a*2*Cx + b*Cx + c: the patches of every phase of every channel of x, block k.
template <typename T>
void transform_phases(T* V, int64_t step, int64_t cols, const T* x, const ConvGeometry& g, const Block& k,
                      int64_t tw) {
  for (int64_t n = 0; n < k.images; ++n) {
    const Block piece = k.piece(n, tw);
    for (int a = 0; a < 2; ++a)
      for (int b = 0; b < 2; ++b)
        for (int64_t c = 0; c < g.Cx; ++c)
          transform_patches<T>(V, step, cols, (2 * a + b) * g.Cx + c, phase_plane(x, g, piece.image, c, a, b), -a, -b,
                               piece, tw);
  }
}

}  // namespace

bool winograd_s2_fits(const ConvGeometry& g) {
  const bool shape = g.kH == 4 && g.kW == 4 && g.stride_h == 2 && g.stride_w == 2 && g.pad_h == 1 && g.pad_w == 1 &&
                     g.dilation_h == 1 && g.dilation_w == 1 && g.H == 2 * g.Ho && g.W == 2 * g.Wo;
  const Tiles t{g.Ho, g.Wo};
  const int64_t per_image = t.h() * t.w();
  return shape && per_image >= kMinImageTiles && g.N * per_image >= kMinTiles && winograd_allowed();
}

template <typename T>
void conv2d_forward_winograd_s2_cpu(T* y, const T* x, const T* w, const T* bias, const ConvGeometry& g) {
  const Tiles t{g.Ho, g.Wo};
  const int64_t K = 4 * g.Cx, u_step = xi_stride<T>(g.Cy * K);
  T* U = scratch<T>(kXi * u_step);
#pragma omp parallel for collapse(2) if (g.Cy * K * kXi >= kParallelMin)
  for (int64_t o = 0; o < g.Cy; ++o)
    for (int64_t c = 0; c < g.Cx; ++c)
      for (int a = 0; a < 2; ++a)
        for (int b = 0; b < 2; ++b)
          transform_filter(U, u_step, o * K + (2 * a + b) * g.Cx + c, w + (o * g.Cx + c) * 16, a, b, false);
  const Blocks blocks = cut_into_blocks(g.N, t.h(), t.w(), kForwardBlockTiles);
  const int64_t most = blocks.most_cols(t.w());
  const int64_t v_size = kXi * xi_stride<T>(K * most), m_size = kXi * xi_stride<T>(g.Cy * most);
#pragma omp parallel for schedule(dynamic) if (blocks.count > 1)
  for (int64_t i = 0; i < blocks.count; ++i) {
    const Block k = blocks[i];
    const int64_t cols = k.cols(t.w()), v_step = xi_stride<T>(K * cols), m_step = xi_stride<T>(g.Cy * cols);
    T* V = scratch<T, 1>(v_size + m_size);
    T* M = V + v_size;
    transform_phases(V, v_step, cols, x, g, k, t.w());
    for (int xi = 0; xi < kXi; ++xi)  // M[xi] = U[xi] @ V[xi]
      gemm_cpu<T>(M + xi * m_step, U + xi * u_step, V + xi * v_step, g.Cy, cols, K, false, false, T(1), T(0));
    for (int64_t n = 0; n < k.images; ++n) {
      const Block piece = k.piece(n, t.w());
      for (int64_t o = 0; o < g.Cy; ++o)
        untransform_products(small_plane(y, g, piece.image, o), M, m_step, cols, o, bias ? bias[o] : T(0), piece,
                             t.w());
    }
  }
}

template <typename T>
void conv2d_backward_data_winograd_s2_cpu(T* dx, const T* dy, const T* w, const T* bias, const ConvGeometry& g) {
  const Tiles t{g.Ho, g.Wo};
  // U_ab[xi] [Cx, Cy] for each phase: the flipped sub-filters, phase ab at U + ab * 9 * u_step
  const int64_t u_step = xi_stride<T>(g.Cx * g.Cy);
  T* U = scratch<T>(4 * kXi * u_step);
#pragma omp parallel for collapse(2) if (g.Cy * g.Cx * 4 * kXi >= kParallelMin)
  for (int64_t c = 0; c < g.Cx; ++c)
    for (int64_t o = 0; o < g.Cy; ++o)
      for (int a = 0; a < 2; ++a)
        for (int b = 0; b < 2; ++b)
          transform_filter(U + (2 * a + b) * kXi * u_step, u_step, c * g.Cy + o, w + (o * g.Cx + c) * 16, a, b, true);
  const Blocks blocks = cut_into_blocks(g.N, t.h(), t.w(), kForwardBlockTiles);
  const int64_t most = blocks.most_cols(t.w());
  const int64_t v_size = kXi * xi_stride<T>(g.Cy * most), m_size = kXi * xi_stride<T>(g.Cx * most);
#pragma omp parallel for schedule(dynamic) if (blocks.count > 1)
  for (int64_t i = 0; i < blocks.count; ++i) {
    const Block k = blocks[i];
    const int64_t cols = k.cols(t.w()), v_step = xi_stride<T>(g.Cy * cols), m_step = xi_stride<T>(g.Cx * cols);
    T* V = scratch<T, 1>(v_size + m_size);
    T* M = V + v_size;
    for (int a = 0; a < 2; ++a) {
      for (int b = 0; b < 2; ++b) {
        for (int64_t n = 0; n < k.images; ++n) {
          const Block piece = k.piece(n, t.w());
          for (int64_t o = 0; o < g.Cy; ++o)
            transform_patches<T>(V, v_step, cols, o, small_plane(dy, g, piece.image, o), a - 1, b - 1, piece, t.w());
        }
        const T* U_ab = U + (2 * a + b) * kXi * u_step;
        for (int xi = 0; xi < kXi; ++xi)  // M[xi] = U_ab[xi] @ V[xi]
          gemm_cpu<T>(M + xi * m_step, U_ab + xi * u_step, V + xi * v_step, g.Cx, cols, g.Cy, false, false, T(1),
                      T(0));
        for (int64_t n = 0; n < k.images; ++n) {
          const Block piece = k.piece(n, t.w());
          for (int64_t c = 0; c < g.Cx; ++c)
            untransform_products(phase_plane(dx, g, piece.image, c, a, b), M, m_step, cols, c, bias ? bias[c] : T(0),
                                 piece, t.w());
        }
      }
    }
  }
}

template <typename T>
void conv2d_backward_filter_winograd_s2_cpu(T* dw, const T* dy, const T* x, const ConvGeometry& g) {
  const Tiles t{g.Ho, g.Wo};
  // dU[xi] [Cy, 4 Cx] = sum over blocks of Ydy[xi] @ V[xi]^T
  const Blocks blocks = cut_into_blocks(g.N, t.h(), t.w(), kFilterBlockTiles);
  const int64_t K = 4 * g.Cx, u_step = xi_stride<T>(g.Cy * K), most = blocks.most_cols(t.w());
  const int64_t v_size = kXi * xi_stride<T>(K * most), y_size = kXi * xi_stride<T>(g.Cy * most);
  const T* dU = sum_over_blocks<T>(blocks, kXi * u_step, [&](const Block& k, T* acc) {
    const int64_t cols = k.cols(t.w()), v_step = xi_stride<T>(K * cols), y_step = xi_stride<T>(g.Cy * cols);
    T* V = scratch<T, 1>(v_size + y_size);
    T* Ydy = V + v_size;
    transform_phases(V, v_step, cols, x, g, k, t.w());
    for (int64_t n = 0; n < k.images; ++n) {
      const Block piece = k.piece(n, t.w());
      for (int64_t o = 0; o < g.Cy; ++o)
        transform_output_grads<T>(Ydy, y_step, cols, o, small_plane(dy, g, piece.image, o), piece, t.w());
    }
    for (int xi = 0; xi < kXi; ++xi)
      gemm_cpu<T>(acc + xi * u_step, Ydy + xi * y_step, V + xi * v_step, g.Cy, K, cols, false, true, T(1), T(1));
  });
#pragma omp parallel for collapse(2) if (g.Cy * K * kXi >= kParallelMin)
  for (int64_t o = 0; o < g.Cy; ++o)
    for (int64_t c = 0; c < g.Cx; ++c)
      for (int a = 0; a < 2; ++a)
        for (int b = 0; b < 2; ++b)
          untransform_filter_grad(dw + (o * g.Cx + c) * 16, dU, u_step, o * K + (2 * a + b) * g.Cx + c, a, b);
}

#define SAR_INSTANTIATE(T)                                                                                       \
  template void conv2d_forward_winograd_s2_cpu<T>(T*, const T*, const T*, const T*, const ConvGeometry&);       \
  template void conv2d_backward_data_winograd_s2_cpu<T>(T*, const T*, const T*, const T*, const ConvGeometry&); \
  template void conv2d_backward_filter_winograd_s2_cpu<T>(T*, const T*, const T*, const ConvGeometry&);
SAR_INSTANTIATE(float)
SAR_INSTANTIATE(double)

}  // namespace sar
