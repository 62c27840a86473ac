//! The 46 functions of `wasi_snapshot_preview1` as stagec host functions.
//!
//! Each one is wiggle's generated entry point of wasi-common's implementation, called with
//! the caller's exported `memory` as a `GuestMemory` and run to completion in wiggle's
//! dummy executor (the `sync` implementation never suspends). The table below gives each
//! function's core wasm signature; the compiler checks it against wiggle's: a parameter
//! of the wrong type or count does not build.
//!
//! Where wasi-common's behaviour differs from what programs see on wasmtime-wasi (the
//! reference the differential suite runs against) and from POSIX, a wrapper adjusts it:
//! see [`lowest_free_fd`] and the module `own`.

use crate::WasiError;
use crate::ctx::{Shared, WasiCtx};
use stagec::{Caller, Extern, Func, FuncType, Linker, Store, Val, ValType};
use std::sync::Arc;
use wasi_common::I32Exit;
use wasi_common::snapshots::preview_1::wasi_snapshot_preview1 as preview1;
use wiggle::anyhow;
use wiggle::{GuestMemory, GuestPtr};

/// The import module name of WASI preview 1.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// A parameter of a host function, as the engine passes it (of the declared type).
trait Param: Sized {
    const TYPE: ValType;
    fn take<'a>(args: &mut impl Iterator<Item = &'a Val>) -> Self;
}

impl Param for i32 {
    const TYPE: ValType = ValType::I32;
    fn take<'a>(args: &mut impl Iterator<Item = &'a Val>) -> i32 {
        match args.next() {
            Some(Val::I32(v)) => *v,
            other => unreachable!("the engine passes declared types, got {other:?}"),
        }
    }
}

impl Param for i64 {
    const TYPE: ValType = ValType::I64;
    fn take<'a>(args: &mut impl Iterator<Item = &'a Val>) -> i64 {
        match args.next() {
            Some(Val::I64(v)) => *v,
            other => unreachable!("the engine passes declared types, got {other:?}"),
        }
    }
}

/// A function's result: the errno of most, nothing for `proc_exit` (which never returns).
trait Outcome {
    const RESULTS: &'static [ValType];
    fn store(self, results: &mut [Val]);
}

impl Outcome for i32 {
    const RESULTS: &'static [ValType] = &[ValType::I32];
    fn store(self, results: &mut [Val]) {
        results[0] = Val::I32(self);
    }
}

impl Outcome for () {
    const RESULTS: &'static [ValType] = &[];
    fn store(self, _: &mut [Val]) {}
}

/// Runs one WASI call: `call` gets the context and the caller's memory.
fn with_memory<T>(
    shared: &Shared,
    caller: &mut Caller<'_>,
    function: &'static str,
    call: impl FnOnce(&mut wasi_common::WasiCtx, &mut GuestMemory<'_>) -> anyhow::Result<T>,
) -> stagec::Result<T> {
    let memory = caller
        .get_export("memory")
        .and_then(Extern::into_memory)
        .ok_or_else(|| WasiError::MissingMemory { function }.into_host())?;
    let mut guest = GuestMemory::Unshared(caller.data_mut(&memory));
    let mut ctx = shared.lock();
    call(&mut ctx, &mut guest).map_err(|e| trap(function, e))
}

/// A WASI call that did not return an errno: an exit, or a trap.
fn trap(function: &'static str, e: anyhow::Error) -> stagec::Error {
    if let Some(I32Exit(code)) = e.downcast_ref::<I32Exit>() {
        return stagec::Error::Exit(*code);
    }
    WasiError::Trap {
        function,
        source: e.into(),
    }
    .into_host()
}

/// After a successful `path_open`: moves the new descriptor to the lowest free number,
/// as POSIX `open` and wasmtime-wasi do. wasi-common numbers descriptors upwards and never
/// reuses a closed number, so a program that closes and reopens files would otherwise see
/// other numbers than on wasmtime (and than under POSIX, which some programs rely on).
fn lowest_free_fd(
    ctx: &mut wasi_common::WasiCtx,
    memory: &mut GuestMemory<'_>,
    opened: i32,
) -> anyhow::Result<()> {
    let ptr = GuestPtr::<u32>::new(opened as u32);
    let fd = memory.read(ptr)?;
    let table = ctx.table();
    if let Some(lower) = (3..fd).find(|k| !table.contains_key(*k))
        && table.renumber(fd, lower).is_ok()
    {
        memory.write(ptr, lower)?;
    }
    Ok(())
}

/// The implementation of a function: wasi-common's, or stagec's own.
macro_rules! implementation {
    ($name:ident) => {
        preview1::$name
    };
    ($name:ident = $own:path) => {
        $own
    };
}

/// The functions stagec implements itself, in front of wasi-common's.
mod own {
    use super::{anyhow, preview1};
    use wasi_common::snapshots::preview_1::types::{Errno, Fd, Filetype};
    use wasi_common::snapshots::preview_1::wasi_snapshot_preview1::WasiSnapshotPreview1;
    use wiggle::GuestMemory;

    /// `proc_raise`: preview 1 has no way to deliver a signal. wasi-common traps ("proc_raise
    /// unsupported"); a program that raises a signal it cannot catch should be told so
    /// instead, as wasmtime-wasi does: `ENOTSUP`.
    pub async fn proc_raise(
        _ctx: &mut wasi_common::WasiCtx,
        _memory: &mut GuestMemory<'_>,
        _signal: i32,
    ) -> anyhow::Result<i32> {
        Ok(Errno::Notsup as i32)
    }

    /// The file type of an open descriptor, `None` if `fd` is not open.
    async fn filetype(
        ctx: &mut wasi_common::WasiCtx,
        memory: &mut GuestMemory<'_>,
        fd: i32,
    ) -> Option<Filetype> {
        let stat = ctx.fd_fdstat_get(memory, Fd::from(fd as u32)).await;
        stat.ok().map(|s| s.fs_filetype)
    }

    /// `ENOTSOCK` if `fd` is open but not a socket. wasi-common answers `EBADF` for a socket
    /// call on any descriptor that is not a socket; POSIX and wasmtime-wasi say `ENOTSOCK`.
    async fn not_a_socket(
        ctx: &mut wasi_common::WasiCtx,
        memory: &mut GuestMemory<'_>,
        fd: i32,
    ) -> Option<i32> {
        match filetype(ctx, memory, fd).await? {
            Filetype::SocketStream | Filetype::SocketDgram => None,
            _ => Some(Errno::Notsock as i32),
        }
    }

    /// `fd_fdstat_set_rights`: wasi-common does not enforce rights, and answers success
    /// without changing anything, so a program that drops rights believes it did. Rights
    /// are gone from later WASI; like wasmtime-wasi, stagec answers `ENOTSUP` for an open
    /// descriptor (and `EBADF` otherwise).
    pub async fn fd_fdstat_set_rights(
        ctx: &mut wasi_common::WasiCtx,
        memory: &mut GuestMemory<'_>,
        fd: i32,
        _base: i64,
        _inheriting: i64,
    ) -> anyhow::Result<i32> {
        Ok(match filetype(ctx, memory, fd).await {
            Some(_) => Errno::Notsup as i32,
            None => Errno::Badf as i32,
        })
    }

    pub async fn sock_accept(
        ctx: &mut wasi_common::WasiCtx,
        memory: &mut GuestMemory<'_>,
        fd: i32,
        flags: i32,
        accepted: i32,
    ) -> anyhow::Result<i32> {
        match not_a_socket(ctx, memory, fd).await {
            Some(errno) => Ok(errno),
            None => preview1::sock_accept(ctx, memory, fd, flags, accepted).await,
        }
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "wiggle's sock_recv, parameter for parameter"
    )]
    pub async fn sock_recv(
        ctx: &mut wasi_common::WasiCtx,
        memory: &mut GuestMemory<'_>,
        fd: i32,
        ri_data: i32,
        ri_data_len: i32,
        ri_flags: i32,
        ro_datalen: i32,
        ro_flags: i32,
    ) -> anyhow::Result<i32> {
        match not_a_socket(ctx, memory, fd).await {
            Some(errno) => Ok(errno),
            None => {
                preview1::sock_recv(
                    ctx,
                    memory,
                    fd,
                    ri_data,
                    ri_data_len,
                    ri_flags,
                    ro_datalen,
                    ro_flags,
                )
                .await
            }
        }
    }

    pub async fn sock_send(
        ctx: &mut wasi_common::WasiCtx,
        memory: &mut GuestMemory<'_>,
        fd: i32,
        si_data: i32,
        si_data_len: i32,
        si_flags: i32,
        so_datalen: i32,
    ) -> anyhow::Result<i32> {
        match not_a_socket(ctx, memory, fd).await {
            Some(errno) => Ok(errno),
            None => {
                preview1::sock_send(ctx, memory, fd, si_data, si_data_len, si_flags, so_datalen)
                    .await
            }
        }
    }

    pub async fn sock_shutdown(
        ctx: &mut wasi_common::WasiCtx,
        memory: &mut GuestMemory<'_>,
        fd: i32,
        how: i32,
    ) -> anyhow::Result<i32> {
        match not_a_socket(ctx, memory, fd).await {
            Some(errno) => Ok(errno),
            None => preview1::sock_shutdown(ctx, memory, fd, how).await,
        }
    }
}

macro_rules! preview1_functions {
    ($(
        $name:ident($($arg:ident: $ty:ident),*) -> $ret:ty
            $(= $own:path)? $(=> $after:ident($result:ident))?;
    )*) => {
        /// The names of every `wasi_snapshot_preview1` function, in the order of the
        /// specification's witx.
        pub const FUNCTIONS: [&str; 46] = [$(stringify!($name)),*];

        /// The core wasm signature of preview 1 function `name`.
        pub fn signature(name: &str) -> Option<FuncType> {
            match name {
                $(stringify!($name) => Some(FuncType::new(
                    [$(<$ty as Param>::TYPE),*],
                    <$ret as Outcome>::RESULTS.iter().copied(),
                )),)*
                _ => None,
            }
        }

        fn define_all(linker: &mut Linker, store: &mut Store, shared: &Arc<Shared>)
            -> stagec::Result<()>
        {
            let mut index = 0;
            $(
                let shared_here = shared.clone();
                let here = index;
                let ty = FuncType::new(
                    [$(<$ty as Param>::TYPE),*],
                    <$ret as Outcome>::RESULTS.iter().copied(),
                );
                let func = Func::new(store, ty, move |caller, params, results| {
                    shared_here.count_call(here);
                    #[allow(unused_mut, unused_variables, reason = "sched_yield has no parameters")]
                    let mut args = params.iter();
                    $(let $arg = <$ty as Param>::take(&mut args);)*
                    let outcome: $ret = with_memory(
                        &shared_here,
                        caller,
                        stringify!($name),
                        |ctx, memory| {
                            let outcome = wiggle::run_in_dummy_executor(
                                implementation!($name $(= $own)?)(ctx, memory, $($arg),*),
                            )??;
                            $(if outcome == 0 {
                                $after(ctx, memory, $result)?;
                            })?
                            Ok(outcome)
                        },
                    )?;
                    outcome.store(results);
                    Ok(())
                })?;
                linker.define(MODULE, stringify!($name), func);
                index += 1;
            )*
            debug_assert_eq!(index, FUNCTIONS.len());
            Ok(())
        }
    };
}

preview1_functions! {
    args_get(argv: i32, argv_buf: i32) -> i32;
    args_sizes_get(argc: i32, argv_buf_size: i32) -> i32;
    environ_get(environ: i32, environ_buf: i32) -> i32;
    environ_sizes_get(count: i32, buf_size: i32) -> i32;
    clock_res_get(id: i32, resolution: i32) -> i32;
    clock_time_get(id: i32, precision: i64, time: i32) -> i32;
    fd_advise(fd: i32, offset: i64, len: i64, advice: i32) -> i32;
    fd_allocate(fd: i32, offset: i64, len: i64) -> i32;
    fd_close(fd: i32) -> i32;
    fd_datasync(fd: i32) -> i32;
    fd_fdstat_get(fd: i32, stat: i32) -> i32;
    fd_fdstat_set_flags(fd: i32, flags: i32) -> i32;
    fd_fdstat_set_rights(fd: i32, base: i64, inheriting: i64) -> i32
        = own::fd_fdstat_set_rights;
    fd_filestat_get(fd: i32, stat: i32) -> i32;
    fd_filestat_set_size(fd: i32, size: i64) -> i32;
    fd_filestat_set_times(fd: i32, atim: i64, mtim: i64, flags: i32) -> i32;
    fd_pread(fd: i32, iovs: i32, iovs_len: i32, offset: i64, nread: i32) -> i32;
    fd_prestat_get(fd: i32, prestat: i32) -> i32;
    fd_prestat_dir_name(fd: i32, path: i32, path_len: i32) -> i32;
    fd_pwrite(fd: i32, iovs: i32, iovs_len: i32, offset: i64, nwritten: i32) -> i32;
    fd_read(fd: i32, iovs: i32, iovs_len: i32, nread: i32) -> i32;
    fd_readdir(fd: i32, buf: i32, buf_len: i32, cookie: i64, bufused: i32) -> i32;
    fd_renumber(fd: i32, to: i32) -> i32;
    fd_seek(fd: i32, offset: i64, whence: i32, newoffset: i32) -> i32;
    fd_sync(fd: i32) -> i32;
    fd_tell(fd: i32, offset: i32) -> i32;
    fd_write(fd: i32, iovs: i32, iovs_len: i32, nwritten: i32) -> i32;
    path_create_directory(fd: i32, path: i32, path_len: i32) -> i32;
    path_filestat_get(fd: i32, flags: i32, path: i32, path_len: i32, stat: i32) -> i32;
    path_filestat_set_times(
        fd: i32, flags: i32, path: i32, path_len: i32, atim: i64, mtim: i64, fst_flags: i32
    ) -> i32;
    path_link(
        old_fd: i32, old_flags: i32, old_path: i32, old_len: i32,
        new_fd: i32, new_path: i32, new_len: i32
    ) -> i32;
    path_open(
        fd: i32, dirflags: i32, path: i32, path_len: i32, oflags: i32,
        rights_base: i64, rights_inheriting: i64, fdflags: i32, opened: i32
    ) -> i32 => lowest_free_fd(opened);
    path_readlink(fd: i32, path: i32, path_len: i32, buf: i32, buf_len: i32, used: i32) -> i32;
    path_remove_directory(fd: i32, path: i32, path_len: i32) -> i32;
    path_rename(fd: i32, old: i32, old_len: i32, new_fd: i32, new: i32, new_len: i32) -> i32;
    path_symlink(old: i32, old_len: i32, fd: i32, new: i32, new_len: i32) -> i32;
    path_unlink_file(fd: i32, path: i32, path_len: i32) -> i32;
    poll_oneoff(subscriptions: i32, events: i32, count: i32, nevents: i32) -> i32;
    proc_exit(code: i32) -> ();
    proc_raise(signal: i32) -> i32 = own::proc_raise;
    sched_yield() -> i32;
    random_get(buf: i32, buf_len: i32) -> i32;
    sock_accept(fd: i32, flags: i32, accepted: i32) -> i32 = own::sock_accept;
    sock_recv(
        fd: i32, ri_data: i32, ri_data_len: i32, ri_flags: i32, ro_datalen: i32, ro_flags: i32
    ) -> i32 = own::sock_recv;
    sock_send(fd: i32, si_data: i32, si_data_len: i32, si_flags: i32, so_datalen: i32) -> i32
        = own::sock_send;
    sock_shutdown(fd: i32, how: i32) -> i32 = own::sock_shutdown;
}

impl WasiCtx {
    /// Defines every `wasi_snapshot_preview1` function in `linker` as a host function of
    /// `store` working on this context.
    pub fn add_to_linker(&self, linker: &mut Linker, store: &mut Store) -> stagec::Result<()> {
        define_all(linker, store, &self.shared)
    }
}
