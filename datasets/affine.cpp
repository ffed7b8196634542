// affine.cpp: warp matrices and the bilinear crop warp (datasets/affine.h), after mmpose 1.3.1's
// get_warp_matrix (structures/bbox/transforms.py) and OpenCV's warpAffine, which TopdownAffine
// calls with INTER_LINEAR and the default BORDER_CONSTANT 0.
#include "datasets/affine.h"

#include <algorithm>
#include <climits>
#include <cmath>

#include "core/cpu/kernels_cpu.h"
#include "core/error.h"

namespace sar {

Affine get_warp_matrix(const std::array<double, 2>& center, const std::array<double, 2>& scale, double rotation_deg,
                       int out_w, int out_h) {
  const char* op = "get_warp_matrix";
  SAR_CHECK(scale[0] > 0 && std::isfinite(scale[0]), op, ": the box width scale[0] must be positive and finite, got ",
            scale[0]);
  SAR_CHECK(std::isfinite(center[0]) && std::isfinite(center[1]) && std::isfinite(rotation_deg), op,
            ": the centre and rotation must be finite, got centre (", center[0], ", ", center[1], "), rotation ",
            rotation_deg);
  SAR_CHECK(out_w > 0 && out_h > 0, op, ": the crop must be at least 1x1, got ", out_w, "x", out_h);
  // mmpose solves for the map that sends three points (the centre, the centre plus the box's
  // rotated half-height vector R(r) (0, -w/2), and a third point 90 degrees round) to the crop's
  // centre, centre + (0, -out_w/2), ...: that map is s R(-r) about the centre, written out here.
  const double s = out_w / scale[0];
  const double r = rotation_deg * M_PI / 180.0;
  const double c = s * std::cos(r), sn = s * std::sin(r);
  return Affine{c, sn, 0.5 * out_w - c * center[0] - sn * center[1],
                -sn, c, 0.5 * out_h + sn * center[0] - c * center[1]};
}

Affine invert_affine(const Affine& m) {
  const double det = m[0] * m[4] - m[1] * m[3];
  SAR_CHECK(std::isfinite(det) && det != 0 && std::all_of(m.begin(), m.end(), [](double v) { return std::isfinite(v); }),
            "invert_affine: the matrix [", m[0], " ", m[1], " ", m[2], "; ", m[3], " ", m[4], " ", m[5],
            "] must be finite with a non-zero determinant, got determinant ", det, "; hint: a box of size 0");
  const double a = m[4] / det, b = -m[1] / det, d = -m[3] / det, e = m[0] / det;
  return Affine{a, b, -(a * m[2] + b * m[5]), d, e, -(d * m[2] + e * m[5])};
}

void apply_affine(const Affine& m, float x, float y, float* ox, float* oy) {
  *ox = float(m[0] * x + m[1] * y + m[2]);
  *oy = float(m[3] * x + m[4] * y + m[5]);
}

std::vector<float> warp_affine_bilinear(const Image& image, const Affine& to_crop, int out_h, int out_w) {
  const char* op = "warp_affine_bilinear";
  const int H = image.height, W = image.width;
  SAR_CHECK(H > 0 && W > 0, op, ": the image is empty (", H, "x", W, ")");
  SAR_CHECK(int64_t(H) * W * 3 < INT_MAX, op, ": the image (", H, "x", W, ") is too large for int pixel offsets");
  SAR_CHECK(image.rgb.size() == size_t(H) * W * 3, op, ": image.rgb must hold height * width * 3 = ",
            size_t(H) * W * 3, " bytes, got ", image.rgb.size());
  SAR_CHECK(out_h > 0 && out_w > 0, op, ": the crop must be at least 1x1, got ", out_w, "x", out_h);
  const Affine inv = invert_affine(to_crop);  // crop pixel -> image position
  const int64_t plane = int64_t(out_h) * out_w;
  std::vector<float> out(3 * plane);  // [3, out_h, out_w]
  const uint8_t* rgb = image.rgb.data();
  const float step_x = float(inv[0]), step_y = float(inv[3]);  // image motion per output column
#pragma omp parallel if (3 * plane >= kParallelMin)
  {
    // One row's taps, per thread: the 4 neighbours (y0,x0), (y0,x1), (y1,x0), (y1,x1) of each
    // output pixel, as bilinear weights and byte offsets into image.rgb.
    std::vector<float> weight(4 * size_t(out_w));  // [4, out_w]
    std::vector<int> offset(4 * size_t(out_w));    // [4, out_w]
    float *w00 = weight.data(), *w01 = w00 + out_w, *w10 = w01 + out_w, *w11 = w10 + out_w;
    int *o00 = offset.data(), *o01 = o00 + out_w, *o10 = o01 + out_w, *o11 = o10 + out_w;
#pragma omp for
    for (int v = 0; v < out_h; ++v) {
      // The row start in double (it carries the translation, the large term), then float steps.
      const float x_row = float(inv[1] * v + inv[2]), y_row = float(inv[4] * v + inv[5]);
      // pass 1, the geometry (vectorized: no gathers, no branches)
#pragma omp simd
      for (int u = 0; u < out_w; ++u) {
        // Positions beyond [-2, W + 1] have both taps outside the image, as the clamped ones do;
        // clamping keeps the int conversion defined, and x + 2 >= 0 makes truncation a floor.
        const float x = std::min(std::max(x_row + step_x * u, -2.f), W + 1.f);
        const float y = std::min(std::max(y_row + step_y * u, -2.f), H + 1.f);
        const int x0 = int(x + 2.f) - 2, y0 = int(y + 2.f) - 2;
        const float fx = x - float(x0), fy = y - float(y0), gx = 1.f - fx, gy = 1.f - fy;
        // A tap outside the image weighs 0 (BORDER_CONSTANT 0) and reads a clamped, valid
        // address. The masks are integers (unsigned(i) < unsigned(n) is 0 <= i < n): GCC turns a
        // select on floats (or a float times a bool) into a branch it will not if-convert under
        // -ftrapping-math, and the loop would not vectorize.
        const int in_x0 = unsigned(x0) < unsigned(W), in_x1 = unsigned(x0 + 1) < unsigned(W);
        const int in_y0 = unsigned(y0) < unsigned(H), in_y1 = unsigned(y0 + 1) < unsigned(H);
        w00[u] = gy * gx * float(in_y0 & in_x0);
        w01[u] = gy * fx * float(in_y0 & in_x1);
        w10[u] = fy * gx * float(in_y1 & in_x0);
        w11[u] = fy * fx * float(in_y1 & in_x1);
        const int c0 = 3 * std::min(std::max(x0, 0), W - 1), c1 = 3 * std::min(std::max(x0 + 1, 0), W - 1);
        const int r0 = 3 * W * std::min(std::max(y0, 0), H - 1), r1 = 3 * W * std::min(std::max(y0 + 1, 0), H - 1);
        o00[u] = r0 + c0;
        o01[u] = r0 + c1;
        o10[u] = r1 + c0;
        o11[u] = r1 + c1;
      }
      // pass 2, gather and blend the three channels into the planes of row v
      float* out_r = out.data() + int64_t(v) * out_w;
      float* out_g = out_r + plane;
      float* out_b = out_g + plane;
      for (int u = 0; u < out_w; ++u) {
        const uint8_t *p00 = rgb + o00[u], *p01 = rgb + o01[u], *p10 = rgb + o10[u], *p11 = rgb + o11[u];
        out_r[u] = w00[u] * p00[0] + w01[u] * p01[0] + w10[u] * p10[0] + w11[u] * p11[0];
        out_g[u] = w00[u] * p00[1] + w01[u] * p01[1] + w10[u] * p10[1] + w11[u] * p11[1];
        out_b[u] = w00[u] * p00[2] + w01[u] * p01[2] + w10[u] * p10[2] + w11[u] * p11[2];
      }
    }
  }
  return out;
}

}  // namespace sar
