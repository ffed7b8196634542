"""Fixtures for tests/test_coco_eval.cpp and tests/test_eval_variants.cpp: the Python
evaluations on prediction sets made here from the ground truth, so the C++ evaluators can be
checked number for number.
  COCO        pycocotools' COCOeval (iouType 'keypoints')
  CrowdPose   xtcocotools' COCOeval(iouType 'keypoints_crowd', CrowdPose's sigmas, use_area=False),
              as mmpose's CrowdPose metric runs it (xtcocotools ports crowdposetools' summary)
  WholeBody   xtcocotools' COCOeval per part (keypoints_body ... keypoints_wholebody, the official
              sigmas, use_area=True), as mmpose's CocoWholeBodyMetric and xtcocotools' demo run it

    pip install pycocotools wheel   # into the default python3
    # xtcocotools' wheels are built against numpy 1.x; with numpy 2 build it from source:
    pip install --no-build-isolation --no-binary xtcocotools xtcocotools
    python3 tools/make_eval_fixtures.py [--data ../shared/data]

Writes tests/data/eval/<gt>_<case>.json (the predictions), tests/data/eval/expected.json (COCO:
for each case the ground truth relative to the shared data folder, the predictions file and
pycocotools' 10 stats) and tests/data/eval/expected_variants.json (CrowdPose and WholeBody
cases: "results" in tests/data/eval, or "shared_results" in the shared data folder, or neither
where the test makes the results from the ground truth (every person, exact, score 1); "images"
where a case scores only some images of the ground truth: the test cuts the ground truth down to
them, as the script does before evaluating). The ground
truth itself is not copied: the tests read it from the shared data folder. Everything is
deterministic (numpy RandomState with fixed seeds).
"""
import argparse
import contextlib
import copy
import io
import json
import os
import tempfile

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


def jittered_keypoints(rng, keypoints, bbox, noise):
    """Keypoints moved by Gaussian noise of `noise` px (unlabelled ones placed at random in the
    box), each scored 1."""
    k = np.array(keypoints, dtype=np.float64).reshape(-1, 3)
    x, y, w, h = bbox
    unlabelled = k[:, 2] == 0
    k[unlabelled, 0] = x + rng.rand(unlabelled.sum()) * w
    k[unlabelled, 1] = y + rng.rand(unlabelled.sum()) * h
    k[:, :2] += rng.randn(len(k), 2) * noise
    k[:, 2] = 1
    return k.ravel()


def jittered(gt, noise, seed):
    """Every person jittered (jittered_keypoints), random scores."""
    rng = np.random.RandomState(seed)
    return [result(a, jittered_keypoints(rng, a["keypoints"], a["bbox"], noise), rng.rand()) for a in people(gt)]


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


# ---- CrowdPose ----

CROWDPOSE_SIGMAS = np.array([.79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87, .89, .89, .79, .79]) / 10.0


def unscored(results, every):
    """Every `every`-th result with all its keypoint scores 0: xtcocotools drops it."""
    out = [dict(r) for r in results]
    for r in out[::every]:
        k = list(r["keypoints"])
        k[2::3] = [0] * (len(k) // 3)
        r["keypoints"] = k
    return out


def xt_quiet():
    return contextlib.redirect_stdout(io.StringIO())


def evaluate_crowdpose(gt_path, results):
    from xtcocotools.coco import COCO as XCOCO
    from xtcocotools.cocoeval import COCOeval as XCOCOeval
    with xt_quiet():
        coco_gt = XCOCO(gt_path)
        coco_dt = coco_gt.loadRes(copy.deepcopy(results))
        e = XCOCOeval(coco_gt, coco_dt, "keypoints_crowd", CROWDPOSE_SIGMAS, use_area=False)
        e.evaluate()
        e.accumulate()
        e.summarize()
    return [float(v) for v in e.stats]


def excerpt(gt, image_ids):
    """The ground truth of only these images (the test cuts it down the same way)."""
    keep = set(image_ids)
    out = dict(gt)
    out["images"] = [im for im in gt["images"] if im["id"] in keep]
    out["annotations"] = [a for a in gt["annotations"] if a["image_id"] in keep]
    return out


def crowdpose_val_images(gt, per_class, seed):
    """`per_class` images of each crowd-index class (easy < 0.2 <= medium < 0.8 <= hard)."""
    rng = np.random.RandomState(seed)
    classes = [[], [], []]
    for im in gt["images"]:
        c = im["crowdIndex"]
        classes[0 if c < 0.2 else 1 if c < 0.8 else 2].append(im["id"])
    return sorted(int(i) for ids in classes for i in rng.choice(sorted(ids), per_class, replace=False))


def crowdpose_cases(data):
    cases = []
    rel = "mmpose_fixtures/crowdpose/test_crowdpose.json"
    with open(os.path.join(data, rel)) as f:
        gt = json.load(f)
    made = make_cases(gt)
    made["unscored"] = unscored(made["jitter_mid"], 2)
    for case, results in made.items():
        cases.append(("crowdpose", f"mmpose_crowdpose_{case}", rel, results, None))

    rel = "crowdpose_val_annotations/crowdpose_val.json"
    with open(os.path.join(data, rel)) as f:
        full = json.load(f)
    images = crowdpose_val_images(full, 12, 5)
    gt = excerpt(full, images)
    made = make_cases(gt)
    for case in ["jitter_small", "jitter_large", "duplicates", "score_ties", "empty", "perfect"]:
        del made[case]
    made["unscored"] = unscored(made["jitter_mid"], 4)
    for case, results in made.items():
        cases.append(("crowdpose", f"crowdpose_val_{case}", rel, results, images))
    # The whole validation set scored against itself: the results are made by the test.
    cases.append(("crowdpose", "crowdpose_val_all_perfect", rel, [result(a, a["keypoints"], 1.0) for a in people(full)],
                  "all"))
    return cases


# ---- COCO-WholeBody ----

WHOLEBODY_PARTS = [("body", "keypoints", "score"), ("foot", "foot_kpts", "foot_score"),
                   ("face", "face_kpts", "face_score"), ("lefthand", "lefthand_kpts", "lefthand_score"),
                   ("righthand", "righthand_kpts", "righthand_score")]
# The official per-part sigmas (jin-s13/COCO-WholeBody evaluation; mmpose's coco_wholebody.py).
WHOLEBODY_SIGMAS = {
    "body": [.026, .025, .025, .035, .035, .079, .079, .072, .072, .062, .062, .107, .107, .087, .087, .089, .089],
    "foot": [.068, .066, .066, .092, .094, .094],
    "face": [.042, .043, .044, .043, .040, .035, .031, .025, .020, .023, .029, .032, .037, .038, .043, .041, .045,
             .013, .012, .011, .011, .012, .012, .011, .011, .013, .015, .009, .007, .007, .007, .012, .009, .008,
             .016, .010, .017, .011, .009, .011, .009, .007, .013, .008, .011, .012, .010, .034, .008, .008, .009,
             .008, .008, .007, .010, .008, .009, .009, .009, .007, .007, .008, .011, .008, .008, .008, .010, .008],
    "lefthand": [.029, .022, .035, .037, .047, .026, .025, .024, .035, .018, .024, .022, .026, .017, .021, .021,
                 .032, .020, .019, .022, .031],
}
WHOLEBODY_SIGMAS["righthand"] = WHOLEBODY_SIGMAS["lefthand"]
WHOLEBODY_SIGMAS["wholebody"] = sum((WHOLEBODY_SIGMAS[p] for p, _, _ in WHOLEBODY_PARTS), [])


def evaluate_wholebody(gt_path, results):
    from xtcocotools.coco import COCO as XCOCO
    from xtcocotools.cocoeval import COCOeval as XCOCOeval
    stats = []
    for part in [p for p, _, _ in WHOLEBODY_PARTS] + ["wholebody"]:
        with xt_quiet():
            coco_gt = XCOCO(gt_path)
            coco_dt = coco_gt.loadRes(copy.deepcopy(results))
            e = XCOCOeval(coco_gt, coco_dt, "keypoints_" + part, np.array(WHOLEBODY_SIGMAS[part]), use_area=True)
            e.evaluate()
            e.accumulate()
            e.summarize()
        stats.append([float(v) for v in e.stats])
    return stats


def wholebody_jittered(gt, noise, seed):
    """Every person, each part jittered in the person's box; part scores random, left out on
    every third result (the evaluation then ranks by its "score")."""
    rng = np.random.RandomState(seed)
    out = []
    for n, a in enumerate(people(gt)):
        r = {"image_id": a["image_id"], "category_id": a["category_id"], "score": round(float(rng.rand()), 4)}
        for part, field, score_key in WHOLEBODY_PARTS:
            r[field] = [round(float(v), 2) for v in jittered_keypoints(rng, a[field], a["bbox"], noise)]
            if n % 3 and part != "body":
                r[score_key] = round(float(rng.rand()), 4)
        if n % 3:
            r["wholebody_score"] = round(float(rng.rand()), 4)
        out.append(r)
    return out


def wholebody_cases(data):
    cases = [("wholebody", "wholebody_example_pred", "coco_wholebody_eval/example_gt.json", None, None)]
    rel = "mmpose_fixtures/coco/test_coco_wholebody.json"
    with open(os.path.join(data, rel)) as f:
        gt = json.load(f)
    mid = wholebody_jittered(gt, 3.0, 11)
    rng = np.random.RandomState(12)
    extra = []
    for im in gt["images"]:
        for _ in range(3):
            r = {"image_id": im["id"], "category_id": 1, "score": round(float(rng.rand()), 4)}
            cx, cy, s = rng.rand() * im["width"], rng.rand() * im["height"], 20 + rng.rand() * 150
            for _, field, _ in WHOLEBODY_PARTS:
                n = len(gt["annotations"][0][field]) // 3
                k = np.stack([cx + (rng.rand(n) - 0.5) * s, cy + (rng.rand(n) - 0.5) * s, np.ones(n)], 1)
                r[field] = [round(float(v), 2) for v in k.ravel()]
            extra.append(r)
    # hands unscored on every other result: dropped from the hand parts only
    hands_unscored = copy.deepcopy(mid)
    for r in hands_unscored[::2]:
        for field in ["lefthand_kpts", "righthand_kpts"]:
            r[field][2::3] = [0] * (len(r[field]) // 3)
    made = {"jitter_small": wholebody_jittered(gt, 1.0, 10), "jitter_mid": mid,
            "missing": [r for i, r in enumerate(mid) if i % 3 != 1], "false_positives": mid + extra,
            "hands_unscored": hands_unscored, "empty": []}
    for case, results in made.items():
        cases.append(("wholebody", f"mmpose_wholebody_{case}", rel, results, None))
    return cases


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

    variants = []
    for metric, case, rel, results, images in crowdpose_cases(args.data) + wholebody_cases(args.data):
        gt_path = os.path.join(args.data, rel)
        entry = {"metric": metric, "case": case, "gt": rel}
        if results is None:  # the shared data's own predictions
            entry["shared_results"] = "coco_wholebody_eval/example_pred.json"
            with open(os.path.join(args.data, entry["shared_results"])) as f:
                results = json.load(f)
        elif images != "all":
            entry["results"] = case + ".json"
            with open(os.path.join(OUT, case + ".json"), "w") as f:
                json.dump(results, f, separators=(",", ":"))
        with tempfile.TemporaryDirectory() as tmp:
            if isinstance(images, list):
                entry["images"] = images
                with open(gt_path) as f:
                    cut = excerpt(json.load(f), images)
                gt_path = os.path.join(tmp, "gt.json")
                with open(gt_path, "w") as f:
                    json.dump(cut, f)
            stats = (evaluate_crowdpose if metric == "crowdpose" else evaluate_wholebody)(gt_path, results)
        entry["stats"] = stats
        variants.append(entry)
        print(f"{case}: {len(results)} results, stats {np.round(stats, 4).tolist()}")
    with open(os.path.join(OUT, "expected_variants.json"), "w") as f:
        json.dump(variants, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
