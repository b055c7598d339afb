//! photon-core's integration tests, one binary: the driver, the stages, EXIF and hostile files. (`bomb_memory` is a binary of its own: it measures its process's peak memory.)

mod describe;
mod driver;
mod exif_expected;
mod faces;
mod hostile;
mod orientation;
mod stages;
