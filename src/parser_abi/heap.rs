//! The parser wasm's allocator and panic handler.
//!
//! Every parse starts from an empty heap ([`reset`]), and nothing outlives a call but its result,
//! which the glue reads before the next one: so allocating is a pointer bump, freeing is nothing,
//! and a call that traps leaves no state behind. A general-purpose allocator (dlmalloc) was 7 KB
//! of this module.

use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32;
use core::ptr::null_mut;
use core::sync::atomic::{AtomicUsize, Ordering::Relaxed};

const PAGE: usize = 64 * 1024;

/// Where the heap starts: the end of the memory the module was instantiated with (its data and
/// stack), recorded on first use. 0 until then.
static BASE: AtomicUsize = AtomicUsize::new(0);
/// The next free byte.
static NEXT: AtomicUsize = AtomicUsize::new(0);

/// Frees everything allocated so far.
pub(super) fn reset() {
    NEXT.store(BASE.load(Relaxed), Relaxed);
}

fn memory_end() -> usize {
    wasm32::memory_size(0).saturating_mul(PAGE)
}

/// Makes `[.., end)` addressable, growing the memory when needed.
fn ensure(end: usize) -> bool {
    let have = memory_end();
    end <= have || wasm32::memory_grow(0, (end - have).div_ceil(PAGE)) != usize::MAX
}

struct BumpHeap;

unsafe impl GlobalAlloc for BumpHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let mut next = NEXT.load(Relaxed);
        if next == 0 {
            next = memory_end();
            BASE.store(next, Relaxed);
        }
        let align = layout.align() - 1;
        let Some(start) = next.checked_add(align).map(|n| n & !align) else {
            return null_mut();
        };
        match start.checked_add(layout.size()) {
            Some(end) if ensure(end) => {
                NEXT.store(end, Relaxed);
                start as *mut u8
            }
            _ => null_mut(),
        }
    }

    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // The last block (a growing String or Vec, usually) grows in place.
        if ptr as usize + layout.size() == NEXT.load(Relaxed) {
            return match (ptr as usize).checked_add(new_size) {
                Some(end) if ensure(end) => {
                    NEXT.store(end, Relaxed);
                    ptr
                }
                _ => null_mut(),
            };
        }
        // SAFETY: the caller's contract for `realloc` is the one `alloc` and `copy` need.
        unsafe {
            let new = self.alloc(Layout::from_size_align_unchecked(new_size, layout.align()));
            if !new.is_null() {
                core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
            }
            new
        }
    }
}

#[global_allocator]
static HEAP: BumpHeap = BumpHeap;

/// A panic (there is none on any input the tests and fuzzers found) traps: the glue turns the
/// trap into an `internal` error, and the next call starts from a fresh heap.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    wasm32::unreachable()
}
