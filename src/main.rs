use std::process::ExitCode;

// jemalloc wherever it builds: its thread caches hand out blocks without reading them, where
// mimalloc's free lists read each block's link (a cache miss per rule call in regorus); a
// 20k-VM scan runs up to a quarter faster in less memory (docs/decisions.md, "Speed, ninth pass").
#[cfg(not(windows))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read before `main`: freed pages go back to the OS 100 ms after their
/// last use. Evaluation frees as much as it allocates: with 300 ms or more a 20k-VM scan's
/// peak reached over 1.5x its snapshot's size, with 0 ms it ran 12-22% slower.
/// `_RJEM_MALLOC_CONF` in the environment overrides it.
#[cfg(not(windows))]
#[export_name = "_rjem_malloc_conf"]
static MALLOC_CONF: Option<&std::ffi::c_char> =
    // SAFETY: a NUL-terminated static string, as jemalloc's `const char *malloc_conf`.
    Some(unsafe { &*c"dirty_decay_ms:100".as_ptr() });

// Windows keeps mimalloc: jemalloc does not build for MSVC.
#[cfg(windows)]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc.h (v3, `mi_option_e`).
#[cfg(windows)]
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    // mimalloc returns freed pages at once: with its default 10 ms delay a 20k-VM scan's peak
    // was 25% higher (735 MB against 587 MB when it was the allocator everywhere).
    #[cfg(windows)]
    // SAFETY: sets a plain integer option; valid at any time.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0)
    };
    kensa::main()
}
