"""Compare two image archives pixel by pixel: python scripts/compare_outputs.py REF OURS

REF and OURS are each a .zip or a folder of `<image_id>.png`. Every PNG is decoded
(cv2.imdecode, IMREAD_UNCHANGED) and the arrays compared: PNG bytes may differ, pixels
may not (docs/spec.md section 5, "pixel-identical"). Prints `N identical of M` (M = images in
REF), then every differing image (with its max abs diff), missing one (in REF only) and
extra one (in OURS only). Exit 0 only if all M are identical and nothing is missing or
extra; 1 otherwise; 2 on a usage error.
"""

import os
import sys
import zipfile

import cv2
import numpy as np


def load(path):
    """{name: PNG bytes} from a zip or a flat folder."""
    if os.path.isdir(path):
        out = {}
        for name in sorted(os.listdir(path)):
            if name.endswith(".png"):
                with open(os.path.join(path, name), "rb") as f:
                    out[name] = f.read()
        return out
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            names = [n for n in z.namelist() if n.endswith(".png")]
            if len(set(names)) != len(names):
                # several inputs with the same image_id: the last entry wins here
                print(f"warning: {path}: {len(names) - len(set(names))} duplicate names",
                      file=sys.stderr)
            return {n: z.read(n) for n in names}
    raise ValueError(f"not a folder or a zip: {path}")


def decode(data):
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    return img  # None if undecodable


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().split("\n")[0], file=sys.stderr)
        return 2
    try:
        ref, ours = load(argv[1]), load(argv[2])
    except (ValueError, OSError) as e:
        print(e, file=sys.stderr)
        return 2
    missing = sorted(set(ref) - set(ours))
    extra = sorted(set(ours) - set(ref))
    identical, differing = 0, []
    for name in sorted(set(ref) & set(ours)):
        a, b = decode(ref[name]), decode(ours[name])
        if a is None or b is None:
            differing.append((name, "undecodable " + ("REF" if a is None else "OURS")))
        elif a.shape != b.shape or a.dtype != b.dtype:
            differing.append((name, f"shape/type {a.shape} {a.dtype} vs {b.shape} {b.dtype}"))
        elif np.array_equal(a, b):
            identical += 1
        else:
            d = np.abs(a.astype(np.int32) - b.astype(np.int32))
            differing.append((name, f"max abs diff {d.max()}, {np.count_nonzero(d)} pixels"))

    print(f"{identical} identical of {len(ref)}")
    for name, why in differing:
        print(f"differs: {name}: {why}")
    for name in missing:
        print(f"missing: {name}")
    for name in extra:
        print(f"extra: {name}")
    ok = identical == len(ref) and not missing and not extra and not differing
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
