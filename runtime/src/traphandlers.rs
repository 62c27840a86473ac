//! Signal-based trap handling.
//!
//! Wasm code traps by faulting: a `ud2`/`brk` for explicit traps, a fault inside a linear
//! memory's guard region for out-of-bounds accesses, a stack-limit check in the prologue.
//! The signal handler looks the faulting PC up in the registry of loaded code
//! ([`register_code`]); when it belongs to wasm code running under [`catch_traps`] on this
//! thread, it records the trap and jumps back to `catch_traps` (C `siglongjmp`, see
//! `csrc/helpers.c`). Only wasm frames and the trampolines that entered them are skipped:
//! builtins and host functions never unwind; they store a pending trap and return a
//! status, and the compiled code then traps with [`TrapKind::Pending`].

use stagec_environ::TrapKind;
use stagec_environ::artifact::TrapSite;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::ptr;
use std::sync::{Arc, Once, RwLock};

unsafe extern "C" {
    fn stagec_catch(
        buf_slot: *mut *const u8,
        body: unsafe extern "C" fn(*mut u8),
        payload: *mut u8,
    ) -> i32;
    fn stagec_unwind(buf: *const u8) -> !;
}

/// Why a call into wasm stopped.
#[derive(Debug)]
pub enum TrapReason {
    /// A trap raised by wasm code (or by a builtin on its behalf).
    Wasm {
        /// What kind of trap.
        kind: TrapKind,
        /// Byte offset in the module of the trapping operator, when known.
        wasm_offset: Option<u32>,
    },
    /// An error returned by a host function.
    Host(Box<dyn std::error::Error + Send + Sync>),
}

/// The trap table of one loaded code region.
#[derive(Debug)]
pub struct CodeRegistration {
    start: usize,
    end: usize,
    traps: Vec<TrapSite>,
}

impl CodeRegistration {
    fn lookup(&self, pc: usize) -> Option<&TrapSite> {
        let offset = u32::try_from(pc - self.start).ok()?;
        let i = self
            .traps
            .binary_search_by_key(&offset, |t| t.code_offset)
            .ok()?;
        Some(&self.traps[i])
    }
}

/// Code regions by end address.
static REGISTRY: RwLock<BTreeMap<usize, Arc<CodeRegistration>>> = RwLock::new(BTreeMap::new());

/// A handle that keeps a code region registered; unregisters on drop.
#[derive(Debug)]
pub struct RegisteredCode(Arc<CodeRegistration>);

impl Drop for RegisteredCode {
    fn drop(&mut self) {
        let mut map = REGISTRY.write().unwrap_or_else(|e| e.into_inner());
        // Remove only our own entry: never one registered later at the same addresses.
        if map
            .get(&self.0.end)
            .is_some_and(|r| Arc::ptr_eq(r, &self.0))
        {
            map.remove(&self.0.end);
        }
    }
}

/// Registers the code at `[start, start+len)` with its trap sites (offsets relative to
/// `start`, sorted), so faults inside it become traps.
pub fn register_code(start: usize, len: usize, traps: Vec<TrapSite>) -> RegisteredCode {
    install_handlers();
    let reg = Arc::new(CodeRegistration {
        start,
        end: start + len,
        traps,
    });
    let mut map = REGISTRY.write().unwrap_or_else(|e| e.into_inner());
    map.insert(reg.end, reg.clone());
    RegisteredCode(reg)
}

fn lookup_code(pc: usize) -> Option<Arc<CodeRegistration>> {
    // A blocking read: another thread may be registering code right now. This thread
    // never holds the lock while wasm runs, so waiting cannot deadlock.
    let map = REGISTRY.read().unwrap_or_else(|e| e.into_inner());
    let (_, reg) = map.range(pc + 1..).next()?;
    (reg.start <= pc).then(|| reg.clone())
}

/// Per-activation state of [`catch_traps`], linked through the thread-local `CURRENT`.
struct CallState {
    jmp_buf: *const u8,
    prev: *const CallState,
    trap: Option<TrapReason>,
}

thread_local! {
    static CURRENT: Cell<*mut CallState> = const { Cell::new(ptr::null_mut()) };
    static PENDING: Cell<Option<TrapReason>> = const { Cell::new(None) };
    static ALT_STACK: Cell<bool> = const { Cell::new(false) };
}

/// Records a trap for the wasm code that called a builtin or host function; the caller
/// then returns a non-zero status and the compiled code traps with [`TrapKind::Pending`].
pub fn set_pending_trap(reason: TrapReason) {
    PENDING.with(|p| p.set(Some(reason)));
}

/// Runs `f`, which calls into wasm, and turns any trap raised inside it into `Err`.
///
/// Nested calls (wasm → host → wasm) each get their own activation.
pub fn catch_traps<F: FnMut()>(mut f: F) -> Result<(), TrapReason> {
    install_handlers();
    ensure_alt_stack();
    let mut state = CallState {
        jmp_buf: ptr::null(),
        prev: CURRENT.with(|c| c.get()),
        trap: None,
    };
    unsafe extern "C" fn body<F: FnMut()>(payload: *mut u8) {
        // SAFETY: `payload` is the `&mut F` passed to `stagec_catch` below, live for the
        // whole call.
        let f = unsafe { &mut *(payload as *mut F) };
        f();
    }
    CURRENT.with(|c| c.set(&mut state));
    // SAFETY: `stagec_catch` stores its jump buffer in `state.jmp_buf` before calling
    // `body`. A jump back skips only frames of wasm code and of `body`, which own nothing
    // that needs dropping: `f` is borrowed, not moved into `body`.
    let ok = unsafe { stagec_catch(&mut state.jmp_buf, body::<F>, &mut f as *mut F as *mut u8) };
    CURRENT.with(|c| c.set(state.prev as *mut CallState));
    if ok != 0 {
        return Ok(());
    }
    let trap = state.trap.take().unwrap_or(TrapReason::Wasm {
        kind: TrapKind::Unreachable,
        wasm_offset: None,
    });
    match trap {
        TrapReason::Wasm {
            kind: TrapKind::Pending,
            wasm_offset,
        } => Err(PENDING.with(|p| p.take()).unwrap_or(TrapReason::Wasm {
            kind: TrapKind::Pending,
            wasm_offset,
        })),
        other => Err(other),
    }
}

/// Returns the current stack pointer, approximately.
#[inline(never)]
pub fn approximate_stack_pointer() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

// SAFETY: `sigaction` is plain data for which all-zero bytes are a valid value.
static mut PREV_HANDLERS: [libc::sigaction; 4] = unsafe { std::mem::zeroed() };
const SIGNALS: [libc::c_int; 4] = [libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE];

fn install_handlers() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for (i, &sig) in SIGNALS.iter().enumerate() {
            // SAFETY: plain sigaction installation; PREV_HANDLERS is written only here,
            // once, before any handler can run.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = trap_handler as *const () as usize;
                action.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER | libc::SA_ONSTACK;
                libc::sigemptyset(&mut action.sa_mask);
                let prev = &raw mut PREV_HANDLERS[i];
                if libc::sigaction(sig, &action, prev) != 0 {
                    panic!("stagec: cannot install the handler for signal {sig}");
                }
            }
        }
    });
}

/// Gives this thread an alternate signal stack so a fault on stack overflow can be handled.
fn ensure_alt_stack() {
    if ALT_STACK.with(|a| a.get()) {
        return;
    }
    const SIZE: usize = 64 * 1024;
    // SAFETY: querying the current alternate stack has no preconditions.
    let mut old: libc::stack_t = unsafe { std::mem::zeroed() };
    // SAFETY: as above; `old` is a valid out pointer.
    unsafe { libc::sigaltstack(ptr::null(), &mut old) };
    if old.ss_flags & libc::SS_DISABLE == 0 && old.ss_size >= SIZE {
        ALT_STACK.with(|a| a.set(true));
        return;
    }
    // The stack is leaked on purpose: it must outlive every signal on this thread.
    let stack = Box::leak(vec![0u8; SIZE].into_boxed_slice());
    let new = libc::stack_t {
        ss_sp: stack.as_mut_ptr().cast(),
        ss_flags: 0,
        ss_size: SIZE,
    };
    // SAFETY: `stack` is a valid, leaked buffer of SIZE bytes.
    unsafe { libc::sigaltstack(&new, ptr::null_mut()) };
    ALT_STACK.with(|a| a.set(true));
}

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
unsafe fn context_pc_sp(ctx: *mut libc::c_void) -> (usize, usize) {
    // SAFETY: the kernel passes a valid ucontext_t to SA_SIGINFO handlers.
    unsafe {
        let uc = &*(ctx as *const libc::ucontext_t);
        (
            uc.uc_mcontext.gregs[libc::REG_RIP as usize] as usize,
            uc.uc_mcontext.gregs[libc::REG_RSP as usize] as usize,
        )
    }
}

#[cfg(all(target_os = "linux", target_arch = "aarch64"))]
unsafe fn context_pc_sp(ctx: *mut libc::c_void) -> (usize, usize) {
    // SAFETY: the kernel passes a valid ucontext_t to SA_SIGINFO handlers.
    unsafe {
        let uc = &*(ctx as *const libc::ucontext_t);
        (uc.uc_mcontext.pc as usize, uc.uc_mcontext.sp as usize)
    }
}

unsafe extern "C" fn trap_handler(
    signum: libc::c_int,
    info: *mut libc::siginfo_t,
    ctx: *mut libc::c_void,
) {
    let state = CURRENT.with(|c| c.get());
    if !state.is_null() {
        // SAFETY: `ctx` comes from the kernel.
        let (pc, sp) = unsafe { context_pc_sp(ctx) };
        if let Some(reg) = lookup_code(pc) {
            let trap = match reg.lookup(pc) {
                Some(site) => Some((site.kind, Some(site.wasm_offset))),
                // A fault in wasm code that is not a trap site: the only expected cause
                // is touching the guard page below the stack.
                None if signum == libc::SIGSEGV || signum == libc::SIGBUS => {
                    // SAFETY: `info` comes from the kernel for a SA_SIGINFO handler.
                    let addr = unsafe { (*info).si_addr() } as usize;
                    (addr.abs_diff(sp) < 1 << 20).then_some((TrapKind::StackOverflow, None))
                }
                None => None,
            };
            if let Some((kind, wasm_offset)) = trap {
                // SAFETY: `state` is the live CallState of the innermost catch_traps on
                // this thread, whose jump buffer is set before wasm runs.
                unsafe {
                    (*state).trap = Some(TrapReason::Wasm { kind, wasm_offset });
                    stagec_unwind((*state).jmp_buf);
                }
            }
        }
    }
    // Not ours: hand the signal to whoever had it before, or restore the default action
    // and return so that the fault is re-raised.
    let index = SIGNALS.iter().position(|&s| s == signum).unwrap_or(0);
    // SAFETY: PREV_HANDLERS was filled before this handler was installed.
    unsafe {
        let prev = PREV_HANDLERS[index];
        let handler = prev.sa_sigaction;
        if handler == libc::SIG_DFL || handler == libc::SIG_IGN {
            libc::signal(signum, libc::SIG_DFL);
        } else if prev.sa_flags & libc::SA_SIGINFO != 0 {
            let f: unsafe extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                std::mem::transmute(handler);
            f(signum, info, ctx);
        } else {
            let f: unsafe extern "C" fn(libc::c_int) = std::mem::transmute(handler);
            f(signum);
        }
    }
}
