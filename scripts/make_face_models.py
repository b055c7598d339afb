#!/usr/bin/env python3
"""Generate small face models with the exact signatures of insightface's SCRFD and ArcFace
exports, random weights, for the face tests (Photon ships no face weights: insightface's packs
are licensed for non-commercial research only).

det_10g.onnx: input `input.1` [1, 3, H, W] (H, W dynamic, multiples of 32); nine outputs named as
buffalo_l's det_10g (`448` `471` `494` scores [cells x 2, 1]; `451` `474` `497` box distances
[cells x 2, 4]; `454` `477` `500` landmark distances [cells x 2, 10]) for strides 8, 16 and 32,
two anchors per cell, rows in (row, column, anchor) order, as SCRFD's export lays them out.
Scores are sigmoids, distances non-negative (boxes) or signed (landmarks), in units of the stride.

w600k_r50.onnx: input `input.1` [N, 3, 112, 112], output `683` [N, 512] (not normalised), as
buffalo_l's recognition model.

Usage: make_face_models.py OUT_DIR      (needs numpy, onnx; writes OUT_DIR/det_10g.onnx and
                                         OUT_DIR/w600k_r50.onnx, insightface's pack layout)
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.RandomState(20261206)


class Graph:
    def __init__(self):
        self.nodes, self.inits, self.count = [], [], 0

    def name(self, base):
        self.count += 1
        return f"{base}_{self.count}"

    def const(self, base, array):
        n = self.name(base)
        self.inits.append(numpy_helper.from_array(np.asarray(array, dtype=np.float32), n))
        return n

    def op(self, kind, inputs, out=None, **attrs):
        out = out or self.name(kind.lower())
        self.nodes.append(helper.make_node(kind, inputs, [out], **attrs))
        return out

    def conv(self, x, cin, cout, kernel, stride, scale, bias=0.0):
        w = self.const("w", rng.randn(cout, cin, kernel, kernel) * scale)
        b = self.const("b", bias + 0.1 * rng.randn(cout))
        pad = kernel // 2
        return self.op("Conv", [x, w, b], kernel_shape=[kernel, kernel], strides=[stride, stride], pads=[pad] * 4)

    def rows(self, x, width, out):
        """[1, A*width, H, W] -> [H*W*A, width], rows in (row, column, anchor) order."""
        t = self.op("Transpose", [x], perm=[0, 2, 3, 1])
        shape = self.name("shape")
        self.inits.append(numpy_helper.from_array(np.array([-1, width], dtype=np.int64), shape))
        return self.op("Reshape", [t, shape], out=out)


def scrfd():
    g = Graph()
    x, channels = "input.1", 3
    features = []
    for level in range(5):  # strides 2, 4, 8, 16, 32
        x = g.op("Relu", [g.conv(x, channels, 8, 3, 2, 0.35)])
        channels = 8
        if level >= 2:
            features.append(x)
    names = {"scores": ["448", "471", "494"], "boxes": ["451", "474", "497"], "marks": ["454", "477", "500"]}
    outputs = {key: [] for key in names}
    for i, f in enumerate(features):
        score = g.op("Sigmoid", [g.conv(f, 8, 2, 1, 1, 0.15, bias=-1.0)])
        outputs["scores"].append(g.rows(score, 1, names["scores"][i]))
        boxes = g.op("Add", [g.op("Abs", [g.conv(f, 8, 8, 1, 1, 0.4)]), g.const("min", 0.8)])
        outputs["boxes"].append(g.rows(boxes, 4, names["boxes"][i]))
        marks = g.conv(f, 8, 20, 1, 1, 0.4)
        outputs["marks"].append(g.rows(marks, 10, names["marks"][i]))
    widths = {"scores": 1, "boxes": 4, "marks": 10}
    graph_outputs = [
        helper.make_tensor_value_info(n, TensorProto.FLOAT, [f"rows_{n}", widths[key]])
        for key in ("scores", "boxes", "marks")
        for n in names[key]
    ]
    graph = helper.make_graph(
        g.nodes, "scrfd_shaped",
        [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [1, 3, "height", "width"])],
        graph_outputs, g.inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)], ir_version=7)


def arcface():
    g = Graph()
    x = g.op("Relu", [g.conv("input.1", 3, 8, 3, 2, 0.3)])  # 56
    x = g.op("Relu", [g.conv(x, 8, 8, 3, 2, 0.3)])  # 28
    x = g.op("Relu", [g.conv(x, 8, 4, 3, 4, 0.3)])  # 7
    flat = g.op("Flatten", [x], axis=1)
    w = g.const("fc", rng.randn(4 * 7 * 7, 512) * 0.1)
    b = g.const("fcb", 0.01 * rng.randn(512))
    g.op("Gemm", [flat, w, b], out="683")
    graph = helper.make_graph(
        g.nodes, "arcface_shaped",
        [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, ["None", 3, 112, 112])],
        [helper.make_tensor_value_info("683", TensorProto.FLOAT, ["None", 512])], g.inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)], ir_version=7)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for model, file in ((scrfd(), "det_10g.onnx"), (arcface(), "w600k_r50.onnx")):
        onnx.checker.check_model(model)
        onnx.save(model, os.path.join(out, file))


if __name__ == "__main__":
    main()
