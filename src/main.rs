use std::process::ExitCode;

// jemalloc wherever it builds: its thread caches hand out blocks without reading them, where
// mimalloc's free lists read each block's link (a cache miss per rule call in regorus); a
// 20k-VM scan runs up to a fifth faster in less memory (docs/decisions.md, "Speed, ninth pass").
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read before `main`: freed pages go back to the OS 100 ms after their
/// last use, without the "muzzy" stage. Evaluation frees as much as it allocates: with the
/// default 10 s a 20k-VM scan peaked over 1.5x its snapshot's size, with 0 ms it ran 12-22%
/// slower. `_RJEM_MALLOC_CONF` in the environment overrides it.
#[cfg(not(target_env = "msvc"))]
#[export_name = "_rjem_malloc_conf"]
static MALLOC_CONF: Option<&std::ffi::c_char> =
    // SAFETY: a NUL-terminated static string, as jemalloc's `const char *malloc_conf`.
    Some(unsafe { &*c"dirty_decay_ms:100,muzzy_decay_ms:0".as_ptr() });

#[cfg(target_env = "msvc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    kensa::main()
}
