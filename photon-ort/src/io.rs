//! How a batch crosses into ONNX Runtime and its outputs come back: float16 graphs (inputs and
//! outputs converted at the edge, so an fp16 export runs like any other) and, on a GPU, the input
//! staged in pinned host memory, which the CUDA provider copies to the device without a bounce.

use crate::backend;
use half::f16;
use ort::memory::{AllocationDevice, Allocator, AllocatorType, MemoryInfo, MemoryType};
use ort::session::{Session, SessionOutputs};
use ort::value::TensorElementType;
use ort::value::{DynValue, Tensor};
use photon_backend_common::Device;
use photon_core::{EmbedError, ImageBatch};
use std::borrow::Cow;

/// The element types of one graph's image input and float outputs, and where the input lives.
#[derive(Debug, Clone)]
pub(crate) struct GraphIo {
    input_f16: bool,
    f16_outputs: Vec<String>,
    /// The CUDA ordinal whose pinned memory stages the input.
    pinned: Option<u32>,
}

impl GraphIo {
    /// Reads `session`'s declared types; `input` is the image input's name. On a GPU it stages
    /// one value in pinned memory, so a device without it fails here rather than every batch.
    pub(crate) fn of(session: &Session, input: &str, device: Device) -> Result<Self, EmbedError> {
        let is_f16 =
            |dtype: &ort::value::ValueType| dtype.tensor_type() == Some(TensorElementType::Float16);
        let input_f16 = session
            .inputs()
            .iter()
            .any(|i| i.name() == input && is_f16(i.dtype()));
        let f16_outputs = session
            .outputs()
            .iter()
            .filter(|o| is_f16(o.dtype()))
            .map(|o| o.name().to_owned())
            .collect();
        let pinned = match device {
            Device::Cuda(n) => Some(n),
            _ => None,
        };
        if let Some(ordinal) = pinned {
            pinned_input(session, ordinal, [1, 1, 1, 1], &[0.0])?;
        }
        Ok(Self {
            input_f16,
            f16_outputs,
            pinned,
        })
    }

    /// The batch as the graph's input tensor.
    pub(crate) fn input(
        &self,
        session: &Session,
        batch: ImageBatch,
    ) -> Result<DynValue, EmbedError> {
        let shape = batch.shape().map(|d| d as i64);
        if self.input_f16 {
            let data: Vec<f16> = batch.data.iter().map(|&v| f16::from_f32(v)).collect();
            return Ok(Tensor::from_array((shape, data))
                .map_err(backend)?
                .into_dyn());
        }
        match self.pinned {
            Some(ordinal) => pinned_input(session, ordinal, shape, &batch.data),
            None => Ok(Tensor::from_array((shape, batch.data))
                .map_err(backend)?
                .into_dyn()),
        }
    }

    /// The output `name` as f32 values.
    pub(crate) fn output<'a>(
        &self,
        outputs: &'a SessionOutputs<'_>,
        name: &str,
    ) -> Result<Cow<'a, [f32]>, EmbedError> {
        if self.f16_outputs.iter().any(|o| o == name) {
            let (_, data) = outputs[name].try_extract_tensor::<f16>().map_err(backend)?;
            return Ok(Cow::Owned(data.iter().map(|v| v.to_f32()).collect()));
        }
        let (_, data) = outputs[name].try_extract_tensor::<f32>().map_err(backend)?;
        Ok(Cow::Borrowed(data))
    }
}

/// The input copied into CUDA-pinned host memory of device `ordinal`.
fn pinned_input(
    session: &Session,
    ordinal: u32,
    shape: [i64; 4],
    data: &[f32],
) -> Result<DynValue, EmbedError> {
    let info = MemoryInfo::new(
        AllocationDevice::CUDA_PINNED,
        ordinal as i32,
        AllocatorType::Device,
        MemoryType::CPUInput,
    )
    .map_err(backend)?;
    let allocator = Allocator::new(session, info).map_err(backend)?;
    let mut tensor = Tensor::<f32>::new(&allocator, shape).map_err(backend)?;
    // The fallible form: a memory ONNX Runtime reports as not host-accessible is an error for
    // this batch, not a panic.
    let (_, staged) = tensor.try_extract_tensor_mut::<f32>().map_err(backend)?;
    staged.copy_from_slice(data);
    Ok(tensor.into_dyn())
}
