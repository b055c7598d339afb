//! The process's resident memory, and handing freed heap back to the system.

/// Resident set size in bytes (`VmRSS` of `/proc/self/status`); `None` where there is no procfs.
pub(crate) fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Returns the heap freed by an unloaded model to the system. glibc keeps freed memory in its
/// arenas for reuse, so without this an unloaded model's pages stay resident (the complaint
/// about immich's service, whose only way to unload is restarting a worker).
pub(crate) fn release_free_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks glibc's own arenas; it takes no pointers and is thread-safe.
    #[allow(unsafe_code)]
    unsafe {
        libc::malloc_trim(0);
    }
}
