//! photon-describe against a server on loopback that records what it receives and answers as a
//! script says: the providers' wire formats, the faults, the limits.

mod faults;
mod limits;
mod server;
mod wire;
