#!/usr/bin/env python3
"""Generate testdata/models/tiny-siglip-fp16: tiny-siglip's vision tower converted to float16
throughout, inputs and outputs included (onnxruntime's own float16 converter, keep_io_types off),
as fp16 exports for GPUs come. Photon must accept it and embed as the float32 tower does, to
float16's precision.

Usage: make_fp16_fixture.py TESTDATA_MODELS_DIR   (needs onnx, onnxruntime)
"""
import os
import shutil
import sys

import onnx
from onnxruntime.transformers.float16 import convert_float_to_float16


def main(models):
    source = os.path.join(models, "tiny-siglip")
    out = os.path.join(models, "tiny-siglip-fp16")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(os.path.join(out, "onnx"))
    for name in ("config.json", "preprocessor_config.json"):
        shutil.copy(os.path.join(source, name), os.path.join(out, name))
    model = onnx.load(os.path.join(source, "onnx/vision_model.onnx"))
    half = convert_float_to_float16(model, keep_io_types=False)
    onnx.checker.check_model(half)
    onnx.save(half, os.path.join(out, "onnx/vision_model.onnx"))


if __name__ == "__main__":
    main(sys.argv[1])
