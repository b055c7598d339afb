//! Processes a test starts and must not leave behind, and the loopback ports they listen on.

use std::net::TcpListener;
use std::ops::{Deref, DerefMut};
use std::process::Child;

/// A port on 127.0.0.1 that was free a moment ago, for a server a test starts.
pub fn loopback_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("a loopback port")
        .local_addr()
        .unwrap()
        .port()
}

/// A child process killed and reaped when dropped, however the test ends (a failed assertion
/// included), so no server outlives its test.
pub struct KilledOnDrop(pub Child);

impl Deref for KilledOnDrop {
    type Target = Child;

    fn deref(&self) -> &Child {
        &self.0
    }
}

impl DerefMut for KilledOnDrop {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for KilledOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
