#!/usr/bin/env python3
"""insightface's own face code run on images, its inputs and outputs written for the Rust
tests to compare with (photon-faces/tests/it/reference.rs).

For each IMAGE (RGB, already upright): SCRFD.detect at 640x640 with det_thresh 0.7 (immich's
default), capturing the tensor the detector is given and its raw outputs; then for each face
face_align.norm_crop and ArcFaceONNX.get_feat. Written to OUT_DIR/<stem>.*:
  .json        {"faces": [{"bbox": [x1,y1,x2,y2], "score", "landmarks": [[x,y] x5],
                "embedding": [...]}], "outputs": [[rows, width] per detector output]}
  .input.f32   the detector's input tensor [1, 3, 640, 640], little-endian float32
  .outputs.f32 the detector's raw outputs, one after another, little-endian float32
  .crops.rgb   the aligned 112x112 crops, RGB bytes, one after another

Usage: faces_reference.py MODEL_DIR OUT_DIR IMAGE...   (MODEL_DIR in insightface's pack layout:
       det_10g.onnx, w600k_r50.onnx; needs the `faces` environment: scripts/python/faces.txt)
"""
import json
import os
import sys

import numpy as np
from PIL import Image
from insightface.model_zoo.arcface_onnx import ArcFaceONNX
from insightface.model_zoo.scrfd import SCRFD
from insightface.utils import face_align


class Recording:
    """An onnxruntime session that keeps the last input and outputs it saw."""

    def __init__(self, session):
        self.session, self.input, self.outputs = session, None, None

    def __getattr__(self, name):
        return getattr(self.session, name)

    def run(self, names, feeds):
        self.input = next(iter(feeds.values()))
        self.outputs = self.session.run(names, feeds)
        return self.outputs


def main():
    model_dir, out_dir, images = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.makedirs(out_dir, exist_ok=True)
    detector = SCRFD(model_file=os.path.join(model_dir, "det_10g.onnx"))
    detector.prepare(-1, input_size=(640, 640), det_thresh=0.7)
    detector.session = Recording(detector.session)
    recogniser = ArcFaceONNX(model_file=os.path.join(model_dir, "w600k_r50.onnx"))
    recogniser.prepare(-1)
    for path in images:
        stem = os.path.join(out_dir, os.path.splitext(os.path.basename(path))[0])
        bgr = np.asarray(Image.open(path).convert("RGB"))[:, :, ::-1].copy()
        boxes, landmarks = detector.detect(bgr, input_size=(640, 640))
        faces, crops = [], []
        for box, marks in zip(boxes, landmarks):
            crop = face_align.norm_crop(bgr, landmark=marks, image_size=112)
            embedding = recogniser.get_feat(crop)[0]
            crops.append(crop[:, :, ::-1].tobytes())
            faces.append({
                "bbox": [float(v) for v in box[:4]],
                "score": float(box[4]),
                "landmarks": [[float(x), float(y)] for x, y in marks],
                "embedding": [float(v) for v in embedding],
            })
        record = {
            "faces": faces,
            "outputs": [list(o.shape) for o in detector.session.outputs],
        }
        with open(stem + ".json", "w") as f:
            json.dump(record, f)
        detector.session.input.astype("<f4").tofile(stem + ".input.f32")
        with open(stem + ".outputs.f32", "wb") as f:
            for output in detector.session.outputs:
                f.write(output.astype("<f4").tobytes())
        with open(stem + ".crops.rgb", "wb") as f:
            f.write(b"".join(crops))


if __name__ == "__main__":
    main()
