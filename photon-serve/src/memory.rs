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

/// Makes every thread that has not allocated yet use glibc's one main arena: call it first
/// thing in `main`, before the Tokio runtime's threads start (a thread keeps the arena of its
/// first allocation). [`ServeOptions::model_ttl`](crate::ServeOptions::model_ttl) gives memory
/// back fully only in a process that did.
///
/// Why: with an arena per blocking thread (decodes) and per engine thread, an unloaded model's
/// freed pages are scattered over arenas that stay partly in use and cannot be trimmed.
/// Measured with EfficientNet-Lite0 (debug build): a load and unload left 40 MB more resident
/// than before the load, 58 MB after a second cycle; with one arena 35 MB both times (mostly
/// ONNX Runtime's library, which stays mapped).
pub fn use_one_malloc_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a glibc tunable; it takes no pointers.
    #[allow(unsafe_code)]
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}
