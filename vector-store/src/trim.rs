//! Handing freed heap back to the operating system after a large write.
//!
//! A batch of ten thousand 384-d items passes through the store as about 17 MB of input (f32
//! vectors and texts), normalised copies for the HNSW inserts and tantivy's segment buffers;
//! all of it is freed when the batch is done, but glibc's allocator keeps freed memory of its
//! per-thread arenas for reuse instead of returning it, so the process's resident set keeps
//! the batch's peak. `ann-bench` measured the difference at 20,000 items: 4,136 bytes of
//! resident memory per item after the build, 3,142 once freed memory was returned. Calling
//! `malloc_trim` after a large batch returns it; it costs a walk over the allocator's free
//! lists (milliseconds), which is why small writes skip it.

/// Items in a write from which the store returns freed memory afterwards.
pub(crate) const TRIM_AFTER_ITEMS: usize = 1_000;

/// Returns the heap memory the allocator holds free to the operating system (glibc's
/// `malloc_trim`); does nothing with other allocators and platforms.
pub(crate) fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn malloc_trim(pad: usize) -> i32;
        }
        // SAFETY: malloc_trim takes no pointer and only returns free pages to the system.
        unsafe {
            malloc_trim(0);
        }
    }
}
