//! The C allocator's settings for a long-running process, on glibc. Its defaults suit short
//! programs: an arena per thread that allocates (up to eight per core), a threshold for
//! mapping large blocks that rises with each large block freed (so a 10 MB page read once
//! lives on in the heap), and free memory kept rather than handed back. Over hours of feeds
//! and pages the daemon's heap then held about twice what it used. [`tune`] caps the arenas
//! and fixes the threshold; [`give_back`] returns free pages to the system now and then.
//! Elsewhere both do nothing.

/// Arenas the allocator may create: threads share them past this.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const ARENAS: i32 = 2;

/// Blocks at least this large are mapped on their own and unmapped when freed: pages and
/// feeds in flight, never the many small allocations of the story window.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: i32 = 256 * 1024;

/// Sets the allocator up for a daemon; call before the runtime starts its threads.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[expect(unsafe_code, reason = "mallopt is glibc's documented way to set these; it only reads its integers")]
pub fn tune() {
    // SAFETY: mallopt takes two integers and changes allocator parameters; it is safe to call
    // at any time, and is called before the runtime's threads exist.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, ARENAS);
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    }
}

/// Hands the heap's free pages back to the system.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[expect(unsafe_code, reason = "malloc_trim is glibc's documented way to release free memory")]
pub fn give_back() {
    // SAFETY: malloc_trim takes the padding to keep and walks the arenas under their locks.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn tune() {}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn give_back() {}
