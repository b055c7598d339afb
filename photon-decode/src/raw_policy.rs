//! Which of a camera raw's renditions its pixels come from.

/// Which source of pixels a camera raw is decoded from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RawPolicy {
    /// The largest preview the camera embedded, when both its sides reach
    /// [`DecodeRequest::min_side`](photon_core::DecodeRequest::min_side) (what photo managers
    /// show, and 10-100x cheaper); the sensor data developed otherwise.
    #[default]
    PreviewFirst,
    /// Always develop the sensor data.
    Develop,
}
