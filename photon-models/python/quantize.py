#!/usr/bin/env python3
"""Quantizes one ONNX graph to int8 with onnxruntime's own tooling, for `photon models quantize`.

Usage: quantize.py dynamic SRC OUT
       quantize.py static SRC OUT CALIBRATION_DIR INPUT_NAME

dynamic: int8 weights, activations quantized on the fly (MatMul/Gemm-heavy transformer towers).
static:  QDQ with per-channel int8 weights and uint8 activations whose ranges come from the
         calibration tensors (CALIBRATION_DIR/shape.json and NNN.f32, little-endian float32
         images already preprocessed by Photon), for convolutional models.
Prints the tool versions as JSON.
"""
import json
import os
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime
from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType, quantize_dynamic,
                                      quantize_static)
from onnxruntime.quantization.shape_inference import quant_pre_process


class Tensors(CalibrationDataReader):
    def __init__(self, folder, input_name):
        shape = json.load(open(os.path.join(folder, "shape.json")))
        files = sorted(f for f in os.listdir(folder) if f.endswith(".f32"))
        self.batches = iter(
            {input_name: np.fromfile(os.path.join(folder, f), dtype="<f4").reshape([1] + shape)} for f in files)

    def get_next(self):
        return next(self.batches, None)


def main(mode, src, out, calibration=None, input_name=None):
    with tempfile.TemporaryDirectory() as work:
        # Shape inference and graph optimisation first, as onnxruntime advises before quantizing.
        prepared = os.path.join(work, "prepared.onnx")
        quant_pre_process(src, prepared, skip_symbolic_shape=True)
        if mode == "dynamic":
            quantize_dynamic(prepared, out, weight_type=QuantType.QInt8)
        else:
            quantize_static(prepared, out, Tensors(calibration, input_name), quant_format=QuantFormat.QDQ,
                            per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    print(json.dumps({"onnxruntime": onnxruntime.__version__, "onnx": onnx.__version__}))


if __name__ == "__main__":
    main(*sys.argv[1:])
