//! [`Device`]: where a model runs.

use std::str::FromStr;

/// Where a model runs: the CPU, or an NVIDIA GPU through ONNX Runtime's CUDA execution provider.
/// A device that cannot be used is an error when the model loads, never a quiet fall-back to
/// the CPU.
///
/// ```
/// use photon_backend_common::Device;
/// assert_eq!("cpu".parse::<Device>(), Ok(Device::Cpu));
/// assert_eq!("cuda".parse::<Device>(), Ok(Device::Cuda(0)));
/// assert_eq!("cuda:1".parse::<Device>(), Ok(Device::Cuda(1)));
/// assert!("gpu".parse::<Device>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Device {
    /// The CPU.
    #[default]
    Cpu,
    /// The CUDA device with this ordinal.
    Cuda(u32),
}

impl FromStr for Device {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "cpu" => Ok(Device::Cpu),
            "cuda" => Ok(Device::Cuda(0)),
            _ => text
                .strip_prefix("cuda:")
                .and_then(|n| n.parse().ok())
                .map(Device::Cuda)
                .ok_or_else(|| format!("unknown device {text:?}: cpu, cuda or cuda:N")),
        }
    }
}

impl std::fmt::Display for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Device::Cpu => f.write_str("cpu"),
            Device::Cuda(n) => write!(f, "cuda:{n}"),
        }
    }
}
