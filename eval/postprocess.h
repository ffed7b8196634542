// postprocess.h: the two steps between top-down predictions and COCO results (SAR_SPEC.md §3,
// mmpose's CocoMetric with score_mode 'bbox_keypoint' and nms_mode 'oks_nms'):
//
//   rescore   instance score = box score x mean of the keypoint scores above 0.2 (0 when none is)
//   oks_nms   per image, greedy non-maximum suppression by object keypoint similarity: take the
//             best remaining instance, drop every other whose OKS with it exceeds the threshold
//             (0.9). OKS of instances i, j: mean over keypoints of exp(-d^2 / (2 s (2 sigma)^2)),
//             s = (area_i + area_j) / 2 + eps, as mmpose's oks_iou (no visibility threshold).
#pragma once

#include <vector>

#include "eval/coco_eval.h"

namespace sar {

double rescore(double box_score, const std::vector<double>& keypoint_scores, double threshold = 0.2);

// The OKS of two instances' keypoints (3K: x, y, score) with areas a and b.
double instance_oks(const std::vector<double>& a, const std::vector<double>& b, double area_a, double area_b,
                    const std::vector<double>& sigmas);

// Indices of the instances kept, best first (ties: the earlier instance). All of one image;
// areas[i] is instance i's box area (the padded crop box's w * h in mmpose). On exactly equal
// scores (say two people both rescored to 0) mmpose's order is numpy's: argsort()[::-1], the
// later instance first where argsort is stable (an insertion sort below 17 elements), any order
// where its SIMD or introsort path runs; ours is fixed so that results do not depend on the machine.
std::vector<size_t> oks_nms(const std::vector<CocoKeypointResult>& instances, const std::vector<double>& areas,
                            const std::vector<double>& sigmas, double threshold = 0.9);

}  // namespace sar
