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
#include <vector>

#include "core/cpu/kernels_cpu.h"
#include "core/cpu/scratch.h"
#include "core/error.h"

namespace sar {

namespace {

constexpr int kXi = 16;                              // positions of the 4x4 transform domain
constexpr int64_t kGemmTiles = 512;                  // GEMM width (tiles) worth folding images for
// Below this many tiles in the whole batch the 16 narrow GEMMs lose to im2col's one wide one:
// on ResNet-50 shapes (2-core EPYC, OpenBLAS), 96 tiles (8 images of 8x6, or 2 of 16x12) ran
// 1.16-1.19x im2col's time, 192 tiles 0.82x, 384 0.67-0.8x.
constexpr int64_t kMinTiles = 128;
constexpr int64_t kMaxChunkBytes = int64_t(64) << 20;  // bound on the transformed patches of a chunk

// Each buffer here holds 16 matrices, one per xi, and a transform reads or writes all 16 at
// once: 16 streams a matrix apart. Were that distance a multiple of 4 KiB (64 x 64 floats is
// one), all 16 would fall in the same L1 cache set and evict each other: a 64-channel conv at
// 64x48 ran 1.4x slower. So the matrices start 64 bytes past a 4 KiB multiple apart.
int64_t xi_stride(int64_t matrix_numel, int64_t element_bytes) {
  const int64_t page = 4096 / element_bytes, line = 64 / element_bytes;
  return (matrix_numel + page - 1) / page * page + line;
}
template <typename T>
int64_t xi_stride(int64_t matrix_numel) {
  return xi_stride(matrix_numel, int64_t(sizeof(T)));
}

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

// Images per chunk: enough for kGemmTiles tiles (wider GEMMs run faster, but a chunk's
// patches and products should stay in the L3 cache: 8 images of a 64x48 map at once ran
// 1.3x slower), within kMaxChunkBytes, at least one image.
template <typename T>
int64_t images_per_chunk(const Tiling& t, int64_t N) {
  const int64_t per_image = kXi * (t.Ci + t.Co) * t.tiles() * int64_t(sizeof(T));
  const int64_t by_width = (kGemmTiles + t.tiles() - 1) / t.tiles();
  return std::max<int64_t>(1, std::min({N, by_width, kMaxChunkBytes / per_image}));
}

// The transforms below go one row of tiles at a time: first along whole rows of the map
// (contiguous, vectorized), then tile by tile, tile q reading columns 2q .. 2q+3 (or 2q, 2q+1)
// of those rows and each of the 16 streams of V / M moving by one per tile.

// V[xi, c, b*tiles + tile] = (B^T d B)[xi] for the patch d of each tile of the nb images of x
// [nb, Ci, H, W]; T_all = nb * tiles, the row length of V.
template <typename T>
void transform_patches(T* V, const T* x, const Tiling& t, int64_t nb) {
  const int64_t tw = t.tiles_w(), tiles = t.tiles(), T_all = nb * tiles, step = xi_stride<T>(t.Ci * T_all);
  const int64_t width = 2 * tw + 2;  // columns -pad_w .. width - pad_w - 1 of x, >= W + pad_w
#pragma omp parallel for collapse(2) if (nb * t.Ci * tiles * kXi >= kParallelMin)
  for (int64_t b = 0; b < nb; ++b) {
    for (int64_t c = 0; c < t.Ci; ++c) {
      const T* plane = x + (b * t.Ci + c) * t.H * t.W;
      std::vector<T> rows(8 * width);
      T* d[4] = {&rows[0], &rows[width], &rows[2 * width], &rows[3 * width]};  // 4 rows of x, zero-padded
      T* e[4] = {&rows[4 * width], &rows[5 * width], &rows[6 * width], &rows[7 * width]};  // B^T d
      for (int64_t r = 0; r < t.tiles_h(); ++r) {
        for (int i = 0; i < 4; ++i) {
          const int64_t h = 2 * r - t.pad_h + i;
          std::fill(d[i], d[i] + width, T(0));
          if (h >= 0 && h < t.H) std::copy(plane + h * t.W, plane + (h + 1) * t.W, d[i] + t.pad_w);
        }
        for (int64_t k = 0; k < width; ++k) {
          e[0][k] = d[0][k] - d[2][k];
          e[1][k] = d[1][k] + d[2][k];
          e[2][k] = d[2][k] - d[1][k];
          e[3][k] = d[1][k] - d[3][k];
        }
        for (int i = 0; i < 4; ++i) {  // (B^T d) B: xi = 4i .. 4i+3
          const T* ei = e[i];
          T* out = V + int64_t(4 * i) * step + c * T_all + b * tiles + r * tw;
          for (int64_t q = 0; q < tw; ++q) {
            out[q] = ei[2 * q] - ei[2 * q + 2];
            out[step + q] = ei[2 * q + 1] + ei[2 * q + 2];
            out[2 * step + q] = ei[2 * q + 2] - ei[2 * q + 1];
            out[3 * step + q] = ei[2 * q + 1] - ei[2 * q + 3];
          }
        }
      }
    }
  }
}

// y [nb, Co, Ho, Wo] = bias[o] (or 0) + A^T M A for each tile, M [xi, Co, nb*tiles].
template <typename T>
void untransform_products(T* y, const T* M, const T* bias, const Tiling& t, int64_t nb) {
  const int64_t tw = t.tiles_w(), tiles = t.tiles(), T_all = nb * tiles, step = xi_stride<T>(t.Co * T_all);
#pragma omp parallel for collapse(2) if (nb * t.Co * tiles * kXi >= kParallelMin)
  for (int64_t b = 0; b < nb; ++b) {
    for (int64_t o = 0; o < t.Co; ++o) {
      T* plane = y + (b * t.Co + o) * t.Ho * t.Wo;
      const T add = bias ? bias[o] : T(0);
      std::vector<T> rows(4 * tw);  // the tile row's two output rows, 2 * tw >= Wo wide
      T* out[2] = {&rows[0], &rows[2 * tw]};
      for (int64_t r = 0; r < t.tiles_h(); ++r) {
        const T* m = M + o * T_all + b * tiles + r * tw;
        for (int64_t q = 0; q < tw; ++q) {
          T e[2][4];  // A^T m
          for (int j = 0; j < 4; ++j) {
            const T m0 = m[j * step + q], m1 = m[(4 + j) * step + q], m2 = m[(8 + j) * step + q],
                    m3 = m[(12 + j) * step + q];
            e[0][j] = m0 + m1 + m2;
            e[1][j] = m1 - m2 - m3;
          }
          for (int i = 0; i < 2; ++i) {  // (A^T m) A
            out[i][2 * q] = add + e[i][0] + e[i][1] + e[i][2];
            out[i][2 * q + 1] = add + e[i][1] - e[i][2] - e[i][3];
          }
        }
        for (int i = 0; i < 2 && 2 * r + i < t.Ho; ++i)  // an odd size drops the last tile row's second row
          std::copy(out[i], out[i] + t.Wo, plane + (2 * r + i) * t.Wo);
      }
    }
  }
}

// Ydy [xi, Co, nb*tiles] = (A e A^T)[xi] for the 2x2 tile e of dy [nb, Co, Ho, Wo] (zero past an
// odd edge): the transpose of untransform_products.
template <typename T>
void transform_output_grads(T* Ydy, const T* dy, const Tiling& t, int64_t nb) {
  const int64_t tw = t.tiles_w(), tiles = t.tiles(), T_all = nb * tiles, step = xi_stride<T>(t.Co * T_all);
#pragma omp parallel for collapse(2) if (nb * t.Co * tiles * kXi >= kParallelMin)
  for (int64_t b = 0; b < nb; ++b) {
    for (int64_t o = 0; o < t.Co; ++o) {
      const T* plane = dy + (b * t.Co + o) * t.Ho * t.Wo;
      std::vector<T> rows(4 * tw);  // two rows of dy, zero-padded to 2 * tw
      T* e[2] = {&rows[0], &rows[2 * tw]};
      for (int64_t r = 0; r < t.tiles_h(); ++r) {
        for (int i = 0; i < 2; ++i) {
          const int64_t h = 2 * r + i;
          std::fill(e[i], e[i] + 2 * tw, T(0));
          if (h < t.Ho) std::copy(plane + h * t.Wo, plane + (h + 1) * t.Wo, e[i]);
        }
        T* out = Ydy + o * T_all + b * tiles + r * tw;
        for (int64_t q = 0; q < tw; ++q) {
          const T f[4][2] = {{e[0][2 * q], e[0][2 * q + 1]},  // A e
                             {e[0][2 * q] + e[1][2 * q], e[0][2 * q + 1] + e[1][2 * q + 1]},
                             {e[0][2 * q] - e[1][2 * q], e[0][2 * q + 1] - e[1][2 * q + 1]},
                             {-e[1][2 * q], -e[1][2 * q + 1]}};
          for (int i = 0; i < 4; ++i) {  // (A e) A^T
            T* row = out + int64_t(4 * i) * step;
            row[q] = f[i][0];
            row[step + q] = f[i][0] + f[i][1];
            row[2 * step + q] = f[i][0] - f[i][1];
            row[3 * step + q] = -f[i][1];
          }
        }
      }
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
// (transform_filters' layouts; flip as there): the forward algorithm, chunk by chunk of images.
template <typename T>
void correlate(T* y, const T* x, const T* w, bool flip, const T* bias, const Tiling& t, int64_t N) {
  const int64_t B = images_per_chunk<T>(t, N), tiles = t.tiles(), u_step = xi_stride<T>(t.Co * t.Ci);
  const int64_t u_size = kXi * u_step, v_size = kXi * xi_stride<T>(t.Ci * B * tiles);
  T* U = scratch<T>(u_size + v_size + kXi * xi_stride<T>(t.Co * B * tiles));
  T* V = U + u_size;
  T* M = V + v_size;
  transform_filters(U, w, t.Co, t.Ci, flip);
  for (int64_t n0 = 0; n0 < N; n0 += B) {
    const int64_t nb = std::min(B, N - n0), T_all = nb * tiles;
    const int64_t v_step = xi_stride<T>(t.Ci * T_all), m_step = xi_stride<T>(t.Co * T_all);
    transform_patches(V, x + n0 * t.Ci * t.H * t.W, t, nb);
    for (int xi = 0; xi < kXi; ++xi)  // M[xi] = U[xi] @ V[xi]
      gemm_cpu<T>(M + xi * m_step, U + xi * u_step, V + xi * v_step, t.Co, T_all, t.Ci, false, false, T(1), T(0));
    untransform_products(y + n0 * t.Co * t.Ho * t.Wo, M, bias, t, nb);
  }
}

}  // namespace

// SAR_CPU_CONV=im2col turns Winograd off (to compare the two, or to rule it out); unset or
// "auto" lets winograd_fits decide. Read at every call, so a test or benchmark can switch it.
static bool winograd_allowed() {
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
  const int64_t B = images_per_chunk<T>(t, g.N), tiles = t.tiles(), u_step = xi_stride<T>(g.Cy * g.Cx);
  const int64_t u_size = kXi * u_step, v_size = kXi * xi_stride<T>(t.Ci * B * tiles);
  T* dU = scratch<T>(u_size + v_size + kXi * xi_stride<T>(t.Co * B * tiles));
  T* V = dU + u_size;
  T* Ydy = V + v_size;
  for (int64_t n0 = 0; n0 < g.N; n0 += B) {
    const int64_t nb = std::min(B, g.N - n0), T_all = nb * tiles;
    const int64_t v_step = xi_stride<T>(t.Ci * T_all), y_step = xi_stride<T>(t.Co * T_all);
    transform_patches(V, x + n0 * g.image_numel(), t, nb);
    transform_output_grads(Ydy, dy + n0 * g.grid_numel(), t, nb);
    // dU[xi] (+)= Ydy[xi] @ V[xi]^T: the first chunk overwrites, later ones accumulate
    for (int xi = 0; xi < kXi; ++xi)
      gemm_cpu<T>(dU + xi * u_step, Ydy + xi * y_step, V + xi * v_step, g.Cy, g.Cx, T_all, false, true, T(1),
                  n0 == 0 ? T(0) : T(1));
  }
  untransform_filter_grads(dw, dU, g.Cy, g.Cx);
}

#define SAR_INSTANTIATE(T)                                                                                      \
  template void conv2d_forward_winograd_cpu<T>(T*, const T*, const T*, const T*, const ConvGeometry&);          \
  template void conv2d_backward_data_winograd_cpu<T>(T*, const T*, const T*, const T*, const ConvGeometry&);    \
  template void conv2d_backward_filter_winograd_cpu<T>(T*, const T*, const T*, const ConvGeometry&);
SAR_INSTANTIATE(float)
SAR_INSTANTIATE(double)

}  // namespace sar
