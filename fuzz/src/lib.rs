//! Shared pieces of the fuzz targets.
//!
//! The targets are built without a sanitizer (`cargo fuzz build -s none -a`: faster, and the
//! decoders are safe Rust; `-a` turns on debug assertions and overflow checks, so an arithmetic
//! overflow or a failed `get_unchecked` precondition is a crash). libFuzzer's `-malloc_limit_mb`
//! needs a sanitizer's malloc hooks, so this allocator enforces the same rule itself: one
//! allocation larger than [`MAX_ALLOC`] aborts the run as a crash, whatever the input was.

use std::alloc::{GlobalAlloc, Layout, System};

/// Largest single allocation a decoder may make for one fuzz input (inputs are at most a few
/// KiB; the largest legitimate buffer is an inflated body, capped at 64 MiB by the decoder).
pub const MAX_ALLOC: usize = 80 * 1024 * 1024;

pub struct GuardedAlloc;

fn too_big(size: usize) -> ! {
    // No allocation here: write straight to stderr and abort, which libFuzzer reports as a crash.
    let msg = b"rocklet-fuzz: single allocation above MAX_ALLOC (unbounded allocation)\n";
    unsafe {
        libc_write(2, msg.as_ptr(), msg.len());
    }
    let _ = size;
    std::process::abort();
}

extern "C" {
    #[link_name = "write"]
    fn libc_write(fd: i32, buf: *const u8, n: usize) -> isize;
}

unsafe impl GlobalAlloc for GuardedAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() > MAX_ALLOC {
            too_big(layout.size());
        }
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() > MAX_ALLOC {
            too_big(layout.size());
        }
        System.alloc_zeroed(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > MAX_ALLOC {
            too_big(new_size);
        }
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: GuardedAlloc = GuardedAlloc;

/// Split the input into a selector byte and the rest.
pub fn split_selector(data: &[u8]) -> Option<(u8, &[u8])> {
    data.split_first().map(|(s, rest)| (*s, rest))
}
