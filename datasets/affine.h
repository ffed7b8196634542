// affine.h: the 2x3 affine maps of the top-down pipeline and the bilinear warp that cuts a
// person's crop out of an image (SAR_SPEC §4, TopdownAffine).
//
//   get_warp_matrix       box (centre, size, rotation) -> crop, mmpose's non-UDP get_warp_matrix
//   invert_affine         crop -> image, for sampling and for back-projecting predictions
//   apply_affine          one point through a matrix
//   warp_affine_bilinear  the crop's pixels: cv2.warpAffine(INTER_LINEAR, BORDER_CONSTANT 0)
//
// Coordinates use the pixel-index convention of datasets/sample.h (pixel (i, j)'s centre is
// (x = j, y = i)), which is also OpenCV's: output pixel (u, v) takes the image's value at
// to_crop^-1 (u, v), with no half-pixel shifts.
#pragma once

#include <array>
#include <vector>

#include "datasets/sample.h"

namespace sar {

// The matrix mapping image pixels to crop pixels (out_w x out_h) such that the box centre goes
// to (out_w / 2, out_h / 2), the box is rotated by rotation_deg about its centre (mmpose's sign:
// positive turns the box clockwise on screen, y down, so its content turns counter-clockwise in
// the crop), and the box width scale[0] becomes out_w:
//   s = out_w / scale[0];  x' = s ( cos r (x - cx) + sin r (y - cy)) + out_w / 2
//                          y' = s (-sin r (x - cx) + cos r (y - cy)) + out_h / 2
// As in mmpose, the map is a similarity (one scale s for both axes) and scale[1] does not enter:
// the box must already have the crop's aspect ratio (TopdownAffine's fix, see topdown.h), so
// that its height scale[1] also becomes out_h. Throws sar::Error when scale[0] is not positive
// and finite or the output is empty.
Affine get_warp_matrix(const std::array<double, 2>& center, const std::array<double, 2>& scale, double rotation_deg,
                       int out_w, int out_h);

// The inverse map. Throws sar::Error when the matrix is singular or not finite.
Affine invert_affine(const Affine& m);

// (ox, oy) = m (x, y, 1), computed in double.
void apply_affine(const Affine& m, float x, float y, float* ox, float* oy);

// The crop [3, out_h, out_w] of an RGB image, as float grey levels 0..255 (not rounded to
// uint8, unlike OpenCV). Each output pixel samples the image at to_crop^-1 (u, v) with bilinear
// interpolation; taps outside the image read 0 (BORDER_CONSTANT), so the crop fades to black
// over the last pixel at the image's edge and is 0 beyond it. OpenCV quantizes the sample
// position to 1/32 pixel; here it is exact in float, a difference below 1 grey level on smooth
// images (tests/test_topdown.cpp checks against an exact numpy reference).
// Parallel plan: OpenMP over output rows (serial inside an enclosing OpenMP region, OpenMP's
// default); per row, a branch-free pass computes each pixel's 4 tap weights and offsets (it
// vectorizes), then a second pass gathers and blends the 3 channels.
// Throws sar::Error when the image is empty or its pixel buffer is not height * width * 3, when
// out_h or out_w < 1, or when to_crop is not invertible.
std::vector<float> warp_affine_bilinear(const Image& image, const Affine& to_crop, int out_h, int out_w);

}  // namespace sar
