// conv.cpp: CPU twins of cuda/conv.cu: 2-D convolution as im2col + OpenBLAS GEMM.
//
// The column matrix of B images lists, for every output pixel, the input values its filter
// window covers (zero where the window hangs over the padding):
//   col[(c*kH + i)*kW + j, b*P + oh*Wo + ow] = x[b, c, oh*s_h - p_h + i*d_h, ow*s_w - p_w + j*d_w]
// a [Cx*kH*kW, B*P] matrix with P = Ho*Wo. Then all three products are GEMMs:
//   forward          Y[Cy, B*P]         = w[Cy, Cx*kH*kW] @ col
//   backward data    dcol[Cx*kH*kW, B*P] = w^T @ dY,   dx = col2im(dcol) (overlapping windows add up)
//   backward filter  dw[Cy, Cx*kH*kW]    += dY @ col^T
// where Y and dY are y and dy of those B images with the image and channel axes swapped,
// [B, Cy, P] -> [Cy, B*P]. A pointwise conv (1x1, stride 1, no padding) of one image needs no
// column matrix: col is x itself.
//
// Batching: a GEMM takes a chunk of images at once (the batch folded into its N) only as far
// as that helps. OpenBLAS runs near its peak once N reaches a few hundred columns. Late ResNet
// layers have P = 48 per image (8x6 at a 256x192 input), where one image per GEMM ran at
// 70-80% of the folded speed on ResNet-50 shapes, so they fold ceil(kGemmWidth / P) images.
// Where P >= kGemmWidth one image per GEMM is as fast, and folding would only add the
// [B,Cy,P] <-> [Cy,B,P] copies and memory (a width of 4096 made layer1 10-20% slower). The
// column buffer stays under kMaxColBytes, except for the one image a GEMM always takes.
// OpenBLAS threads each GEMM over the cores; im2col, col2im and the copies are OpenMP loops
// whose iterations write disjoint outputs.
#include <algorithm>
#include <vector>

#include "core/cpu/kernels_cpu.h"
#include "core/cpu/scratch.h"

namespace sar {

namespace {

constexpr int64_t kGemmWidth = 512;                  // GEMM columns (B*P) worth folding images for
constexpr int64_t kMaxColBytes = int64_t(64) << 20;  // bound on the column buffer of a chunk

// How the batch is cut into GEMMs, and the scratch buffers of one chunk.
template <typename T>
struct Chunks {
  int64_t B;    // images per GEMM (the last chunk may have fewer)
  bool direct;  // a pointwise conv, one image per GEMM: x itself is the column matrix
  T* col;       // [Cx*kH*kW, B*P] column matrix (or its gradient); unused when direct
  T* swapped;   // [Cy, B*P]: y or dy of the chunk with its first two axes swapped; used when B > 1
};

// B: enough images for kGemmWidth GEMM columns, within kMaxColBytes, at least one.
template <typename T>
Chunks<T> chunks(const ConvGeometry& g) {
  const int64_t P = g.Ho * g.Wo;
  const int64_t by_width = (kGemmWidth + P - 1) / P;
  const int64_t by_memory = kMaxColBytes / int64_t(sizeof(T) * g.window() * P);
  const int64_t B = std::max<int64_t>(1, std::min({g.N, by_width, by_memory}));
  const bool direct = g.pointwise() && B == 1;
  const int64_t col_size = direct ? 0 : g.window() * B * P, swapped_size = B > 1 ? g.Cy * B * P : 0;
  T* col = scratch<T>(col_size + swapped_size);
  return {B, direct, col, col + col_size};
}

// The output positions o in [lo, hi) of [0, out) whose input position o*stride + offset
// lies inside [0, in): outside it the filter tap reads padding.
struct Span {
  int64_t lo, hi;
};
Span inside(int64_t offset, int64_t stride, int64_t in, int64_t out) {
  const int64_t lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;      // ceil(-offset / stride)
  const int64_t hi = in - offset <= 0 ? 0 : (in - offset + stride - 1) / stride;  // ceil((in - offset) / stride)
  const int64_t end = std::min(hi, out);
  return {std::min(lo, end), end};
}

// Where the filter taps of row i and column j read: input offsets i*d_h - p_h and j*d_w - p_w,
// and the output rows and columns whose reads land inside the image. They depend on the tap
// alone, not on the channel or the image, so each call computes them once: at the small maps
// of late layers (2x2 at a 64x64 input) a column-matrix row is a few values, and recomputing
// them per row cost as much as the copying.
struct Taps {
  std::vector<int64_t> row_off, col_off;  // [kH], [kW]
  std::vector<Span> rows, cols;           // [kH], [kW]
};
Taps taps_of(const ConvGeometry& g) {
  Taps t;
  for (int64_t i = 0; i < g.kH; ++i) {
    t.row_off.push_back(i * g.dilation_h - g.pad_h);
    t.rows.push_back(inside(t.row_off.back(), g.stride_h, g.H, g.Ho));
  }
  for (int64_t j = 0; j < g.kW; ++j) {
    t.col_off.push_back(j * g.dilation_w - g.pad_w);
    t.cols.push_back(inside(t.col_off.back(), g.stride_w, g.W, g.Wo));
  }
  return t;
}

// col: [Cx*kH*kW, B*P] <- x: [B, Cx, H, W] (the chunk's first image).
template <typename T>
void im2col(T* col, const T* x, const ConvGeometry& g, int64_t B) {
  const int64_t P = g.Ho * g.Wo, rows = g.window(), taps = g.kH * g.kW;
  const Taps t = taps_of(g);
#pragma omp parallel for collapse(2) if (rows * B * P >= kParallelMin)
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t b = 0; b < B; ++b) {
      const int64_t c = r / taps, i = r % taps / g.kW, j = r % g.kW;  // row r is filter tap (c, i, j)
      const int64_t row_off = t.row_off[i], col_off = t.col_off[j];
      const Span rs = t.rows[i], cs = t.cols[j];
      const T* plane = x + (b * g.Cx + c) * g.H * g.W;
      T* dst = col + r * B * P + b * P;
      for (int64_t oh = 0; oh < g.Ho; ++oh, dst += g.Wo) {
        if (oh < rs.lo || oh >= rs.hi) {
          std::fill(dst, dst + g.Wo, T(0));
          continue;
        }
        const T* src = plane + (oh * g.stride_h + row_off) * g.W;
        std::fill(dst, dst + cs.lo, T(0));
        if (g.stride_w == 1) std::copy(src + cs.lo + col_off, src + cs.hi + col_off, dst + cs.lo);
        else for (int64_t ow = cs.lo; ow < cs.hi; ++ow) dst[ow] = src[ow * g.stride_w + col_off];
        std::fill(dst + cs.hi, dst + g.Wo, T(0));
      }
    }
  }
}

// x: [B, Cx, H, W] = bias[c] (or 0) + every entry of col: [Cx*kH*kW, B*P] added back where
// im2col took it from. Overwrites x. One thread per image plane, so no two threads add
// into the same value.
template <typename T>
void col2im(T* x, const T* col, const T* bias, const ConvGeometry& g, int64_t B) {
  const int64_t P = g.Ho * g.Wo;
  const Taps t = taps_of(g);
#pragma omp parallel for collapse(2) if (g.window() * B * P >= kParallelMin)
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t c = 0; c < g.Cx; ++c) {
      T* plane = x + (b * g.Cx + c) * g.H * g.W;
      std::fill(plane, plane + g.H * g.W, bias ? bias[c] : T(0));
      for (int64_t i = 0; i < g.kH; ++i) {
        for (int64_t j = 0; j < g.kW; ++j) {
          const int64_t row_off = t.row_off[i], col_off = t.col_off[j];
          const Span rs = t.rows[i], cs = t.cols[j];
          const T* src = col + ((c * g.kH + i) * g.kW + j) * B * P + b * P;
          for (int64_t oh = rs.lo; oh < rs.hi; ++oh) {
            T* dst = plane + (oh * g.stride_h + row_off) * g.W;
            const T* s = src + oh * g.Wo;
            if (g.stride_w == 1) for (int64_t ow = cs.lo; ow < cs.hi; ++ow) dst[ow + col_off] += s[ow];
            else for (int64_t ow = cs.lo; ow < cs.hi; ++ow) dst[ow * g.stride_w + col_off] += s[ow];
          }
        }
      }
    }
  }
}

// out: [B, A, P] = in: [A, B, P] with the first two axes swapped, plus bias[a] when given.
// With A == 1 or B == 1 the layouts coincide, so out == in is allowed: it only adds the bias.
template <typename T>
void swap_axes(T* out, const T* in, const T* bias, int64_t A, int64_t B, int64_t P) {
#pragma omp parallel for collapse(2) if (A * B * P >= kParallelMin)
  for (int64_t a = 0; a < A; ++a) {
    for (int64_t b = 0; b < B; ++b) {
      const T* src = in + (a * B + b) * P;
      T* dst = out + (b * A + a) * P;
      const T add = bias ? bias[a] : T(0);
      for (int64_t p = 0; p < P; ++p) dst[p] = src[p] + add;
    }
  }
}

}  // namespace

template <typename T>
void conv2d_forward_cpu(T* y, const T* x, const T* w, const T* bias, const ConvGeometry& g) {
  if (winograd_fits(g)) return conv2d_forward_winograd_cpu(y, x, w, bias, g);
  if (winograd_s2_fits(g)) return conv2d_forward_winograd_s2_cpu(y, x, w, bias, g);
  const int64_t P = g.Ho * g.Wo;
  const Chunks<T> ch = chunks<T>(g);
  for (int64_t n0 = 0; n0 < g.N; n0 += ch.B) {
    const int64_t nb = std::min(ch.B, g.N - n0);
    const T* x0 = x + n0 * g.image_numel();
    T* y0 = y + n0 * g.grid_numel();
    if (!ch.direct) im2col(ch.col, x0, g, nb);
    // pass 1: Y = w @ col, straight into y when the chunk is one image
    T* Y = nb > 1 ? ch.swapped : y0;
    gemm_cpu<T>(Y, w, ch.direct ? x0 : ch.col, g.Cy, nb * P, g.window(), false, false, T(1), T(0));
    // pass 2: [Cy, nb, P] -> [nb, Cy, P], adding the bias on the way
    if (nb > 1 || bias) swap_axes(y0, Y, bias, g.Cy, nb, P);
  }
}

template <typename T>
void conv2d_backward_data_cpu(T* dx, const T* dy, const T* w, const T* bias, const ConvGeometry& g) {
  if (winograd_fits(g)) return conv2d_backward_data_winograd_cpu(dx, dy, w, bias, g);
  if (winograd_s2_fits(g)) return conv2d_backward_data_winograd_s2_cpu(dx, dy, w, bias, g);
  const int64_t P = g.Ho * g.Wo;
  const Chunks<T> ch = chunks<T>(g);
  for (int64_t n0 = 0; n0 < g.N; n0 += ch.B) {
    const int64_t nb = std::min(ch.B, g.N - n0);
    const T* dy0 = dy + n0 * g.grid_numel();
    T* dx0 = dx + n0 * g.image_numel();
    // pass 1: dy [nb, Cy, P] -> dY [Cy, nb*P]
    if (nb > 1) swap_axes<T>(ch.swapped, dy0, nullptr, nb, g.Cy, P);
    const T* dY = nb > 1 ? ch.swapped : dy0;
    // pass 2: dcol = w^T @ dY, then every column entry back onto the pixel it came from
    if (ch.direct) {
      gemm_cpu<T>(dx0, w, dY, g.Cx, P, g.Cy, true, false, T(1), T(0));
      if (bias) swap_axes(dx0, dx0, bias, g.Cx, 1, P);  // in place: adds the bias
    } else {
      gemm_cpu<T>(ch.col, w, dY, g.window(), nb * P, g.Cy, true, false, T(1), T(0));
      col2im(dx0, ch.col, bias, g, nb);
    }
  }
}

template <typename T>
void conv2d_backward_filter_cpu(T* dw, const T* dy, const T* x, const ConvGeometry& g) {
  if (winograd_fits(g)) return conv2d_backward_filter_winograd_cpu(dw, dy, x, g);
  if (winograd_s2_fits(g)) return conv2d_backward_filter_winograd_s2_cpu(dw, dy, x, g);
  const int64_t P = g.Ho * g.Wo;
  const Chunks<T> ch = chunks<T>(g);
  for (int64_t n0 = 0; n0 < g.N; n0 += ch.B) {
    const int64_t nb = std::min(ch.B, g.N - n0);
    const T* x0 = x + n0 * g.image_numel();
    const T* dy0 = dy + n0 * g.grid_numel();
    if (!ch.direct) im2col(ch.col, x0, g, nb);
    if (nb > 1) swap_axes<T>(ch.swapped, dy0, nullptr, nb, g.Cy, P);
    // dw (+)= dY @ col^T: the first chunk overwrites, later ones accumulate
    gemm_cpu<T>(dw, nb > 1 ? ch.swapped : dy0, ch.direct ? x0 : ch.col, g.Cy, g.window(), nb * P, false, true,
                T(1), n0 == 0 ? T(0) : T(1));
  }
}

template <typename T>
void conv2d_backward_bias_cpu(T* dbias, const T* dy, int64_t N, int64_t C, int64_t P) {
#pragma omp parallel for if (N * C * P >= kParallelMin)
  for (int64_t c = 0; c < C; ++c) {
    double total = 0;  // in double: a float sum over N*P terms would lose digits
    for (int64_t n = 0; n < N; ++n) {
      const T* row = dy + (n * C + c) * P;
      for (int64_t p = 0; p < P; ++p) total += row[p];
    }
    dbias[c] = T(total);
  }
}

#define SAR_INSTANTIATE(T)                                                                          \
  template void conv2d_forward_cpu<T>(T*, const T*, const T*, const T*, const ConvGeometry&);       \
  template void conv2d_backward_data_cpu<T>(T*, const T*, const T*, const T*, const ConvGeometry&); \
  template void conv2d_backward_filter_cpu<T>(T*, const T*, const T*, const ConvGeometry&);         \
  template void conv2d_backward_bias_cpu<T>(T*, const T*, int64_t, int64_t, int64_t);
SAR_INSTANTIATE(float)
SAR_INSTANTIATE(double)

}  // namespace sar
