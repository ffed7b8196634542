"""Fixtures for tests/test_coco_eval.cpp: pycocotools' COCOeval (iouType 'keypoints') on
prediction sets made here from the ground truth, so the C++ evaluator can be checked number
for number.

    pip install pycocotools   # into the default python3
    python3 tools/make_eval_fixtures.py [--data ../shared/data]

Writes tests/data/eval/<gt>_<case>.json (the predictions) and tests/data/eval/expected.json:
for each case the ground truth (relative to the shared data folder), the predictions file and
pycocotools' 10 stats. The ground truth itself is not copied: the test reads it from the
shared data folder. Everything is deterministic (numpy RandomState with fixed seeds).
"""
import argparse
import contextlib
import io
import json
import os

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

GTS = {
    "coco_mini": "coco_mini/annotations/person_keypoints_train2017.json",
    "mmpose_val": "mmpose_fixtures/coco/test_coco.json",
}
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "eval")


def people(gt):
    """The non-crowd annotations in file order: the people predictions are made from."""
    return [a for a in gt["annotations"] if not a.get("iscrowd", 0)]


def result(ann, keypoints, score):
    # Two decimals keep the files small; json writes each float so it reads back exactly.
    return {"image_id": ann["image_id"], "category_id": ann["category_id"],
            "keypoints": [round(float(v), 2) for v in keypoints], "score": round(float(score), 4)}


def jittered(gt, noise, seed):
    """Every person, each keypoint moved by Gaussian noise of `noise` px (unlabelled ones placed
    at random in the box), random scores."""
    rng = np.random.RandomState(seed)
    out = []
    for a in people(gt):
        k = np.array(a["keypoints"], dtype=np.float64).reshape(-1, 3)
        x, y, w, h = a["bbox"]
        unlabelled = k[:, 2] == 0
        k[unlabelled, 0] = x + rng.rand(unlabelled.sum()) * w
        k[unlabelled, 1] = y + rng.rand(unlabelled.sum()) * h
        k[:, :2] += rng.randn(len(k), 2) * noise
        k[:, 2] = 1
        out.append(result(a, k.ravel(), rng.rand()))
    return out


def make_cases(gt):
    rng = np.random.RandomState(7)
    perfect = [result(a, a["keypoints"], 1.0) for a in people(gt)]
    mid = jittered(gt, 4.0, 2)
    cases = {
        "perfect": perfect,
        "jitter_small": jittered(gt, 1.5, 1),
        "jitter_mid": mid,
        "jitter_large": jittered(gt, 12.0, 3),
        "missing": [r for i, r in enumerate(mid) if i % 3 != 1],
        "duplicates": mid + [dict(r, score=round(r["score"] * 0.9, 4)) for r in mid[::2]],
        # Scores on a 0.1 grid: many ties, so the stable order of equal scores decides.
        "score_ties": [dict(r, score=round(r["score"], 1)) for r in mid],
        "empty": [],
    }
    # False positives: random skeletons inside each image, 25 on the first image (past maxDets 20).
    sizes = {im["id"]: (im.get("width", 640), im.get("height", 480)) for im in gt["images"]}
    image_ids = sorted(sizes)
    extra = []
    for n, image_id in enumerate(image_ids):
        w, h = sizes[image_id]
        for _ in range(25 if n == 0 else 2):
            k = np.zeros((len(gt["categories"][0]["keypoints"]), 3))
            cx, cy, s = rng.rand() * w, rng.rand() * h, 20 + rng.rand() * 150
            k[:, 0] = cx + (rng.rand(len(k)) - 0.5) * s
            k[:, 1] = cy + (rng.rand(len(k)) - 0.5) * s
            k[:, 2] = 1
            extra.append(result({"image_id": image_id, "category_id": 1}, k.ravel(), rng.rand()))
    cases["false_positives"] = mid + extra
    return cases


def evaluate(gt_path, results):
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO(gt_path)
        if results:
            coco_dt = coco_gt.loadRes(results)
        else:  # loadRes fails on an empty list; an empty result set evaluates fine
            coco_dt = COCO()
            coco_dt.dataset = {"images": coco_gt.dataset["images"], "categories": coco_gt.dataset["categories"],
                               "annotations": []}
            coco_dt.createIndex()
        e = COCOeval(coco_gt, coco_dt, "keypoints")
        e.evaluate()
        e.accumulate()
        e.summarize()
    return [float(v) for v in e.stats]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                                       "shared", "data"))
    args = parser.parse_args()
    os.makedirs(OUT, exist_ok=True)
    expected = []
    for name, rel in GTS.items():
        gt_path = os.path.join(args.data, rel)
        with open(gt_path) as f:
            gt = json.load(f)
        for case, results in make_cases(gt).items():
            file_name = f"{name}_{case}.json"
            with open(os.path.join(OUT, file_name), "w") as f:
                json.dump(results, f, separators=(",", ":"))
            stats = evaluate(gt_path, [dict(r) for r in results])
            expected.append({"case": f"{name}_{case}", "gt": rel, "results": file_name, "stats": stats})
            print(f"{name}_{case}: {len(results)} results, stats {np.round(stats, 4).tolist()}")
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
