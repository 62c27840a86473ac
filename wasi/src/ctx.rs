//! The WASI context of one program run, and its builder.

use crate::WasiError;
use crate::functions::FUNCTIONS;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use wasi_common::pipe::{ReadPipe, WritePipe};
use wasi_common::sync::{ambient_authority, clocks_ctx, random_ctx, sched_ctx, stdio};
use wasi_common::{RngCore, WasiClocks, WasiFile};

/// Where a program's standard input comes from.
#[derive(Debug, Default)]
enum Input {
    /// Nothing: reads see end of file.
    #[default]
    Empty,
    /// The host process's standard input.
    Inherit,
    /// These bytes.
    Bytes(Vec<u8>),
}

/// Where a program's standard output or error goes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Output {
    /// Nowhere: writes succeed and are dropped.
    #[default]
    Discard,
    /// The host process's stream.
    Inherit,
    /// An in-memory pipe the host reads after the run.
    Capture,
}

/// Builds a [`WasiCtx`]: what the program sees of the world. By default a program has
/// only its name as argument, an empty environment, an empty standard input, standard
/// output and error that discard what is written, no directories, the host's clocks and
/// a random generator seeded from the host.
pub struct WasiCtxBuilder {
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Input,
    stdout: Output,
    stderr: Output,
    preopens: Vec<(PathBuf, String)>,
    clocks: Option<WasiClocks>,
    random: Option<Box<dyn RngCore + Send + Sync>>,
}

impl std::fmt::Debug for WasiCtxBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasiCtxBuilder")
            .field("args", &self.args)
            .field("env", &self.env)
            .field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .field("preopens", &self.preopens)
            .finish_non_exhaustive()
    }
}

impl WasiCtxBuilder {
    /// A builder for a program called `program` (its `argv[0]`).
    pub fn new(program: impl Into<String>) -> WasiCtxBuilder {
        WasiCtxBuilder {
            args: vec![program.into()],
            env: Vec::new(),
            stdin: Input::Empty,
            stdout: Output::Discard,
            stderr: Output::Discard,
            preopens: Vec::new(),
            clocks: None,
            random: None,
        }
    }

    /// Appends an argument (after the program name and earlier arguments).
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Appends arguments.
    pub fn args<S: Into<String>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets environment variable `name` to `value` (a later value for the same name
    /// replaces an earlier one).
    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let name = name.into();
        self.env.retain(|(n, _)| *n != name);
        self.env.push((name, value.into()));
        self
    }

    /// Adds every variable of the host process's environment (variables already set
    /// keep their values).
    pub fn inherit_env(mut self) -> Self {
        for (name, value) in std::env::vars() {
            if !self.env.iter().any(|(n, _)| *n == name) {
                self.env.push((name, value));
            }
        }
        self
    }

    /// The program reads the host process's standard input.
    pub fn inherit_stdin(mut self) -> Self {
        self.stdin = Input::Inherit;
        self
    }

    /// The program reads `bytes` from standard input, then end of file.
    pub fn stdin_bytes(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Input::Bytes(bytes.into());
        self
    }

    /// The program writes to the host process's standard output.
    pub fn inherit_stdout(mut self) -> Self {
        self.stdout = Output::Inherit;
        self
    }

    /// The program's standard output is kept in memory: read it with
    /// [`WasiCtx::captured_stdout`].
    pub fn capture_stdout(mut self) -> Self {
        self.stdout = Output::Capture;
        self
    }

    /// The program writes to the host process's standard error.
    pub fn inherit_stderr(mut self) -> Self {
        self.stderr = Output::Inherit;
        self
    }

    /// The program's standard error is kept in memory: read it with
    /// [`WasiCtx::captured_stderr`].
    pub fn capture_stderr(mut self) -> Self {
        self.stderr = Output::Capture;
        self
    }

    /// Inherits standard input, output and error.
    pub fn inherit_stdio(self) -> Self {
        self.inherit_stdin().inherit_stdout().inherit_stderr()
    }

    /// Gives the program the host directory `host` under the name `guest` (e.g. `.` or
    /// `/data`). Nothing outside it is reachable through it. The directory is opened by
    /// [`WasiCtxBuilder::build`], which fails if it cannot be.
    pub fn preopened_dir(mut self, host: impl AsRef<Path>, guest: impl Into<String>) -> Self {
        self.preopens
            .push((host.as_ref().to_path_buf(), guest.into()));
        self
    }

    /// The clocks the program reads (default: the host's); see [`crate::clocks`].
    pub fn clocks(mut self, clocks: WasiClocks) -> Self {
        self.clocks = Some(clocks);
        self
    }

    /// The source of `random_get` (default: a generator seeded from the host; a fixed
    /// sequence: [`crate::Deterministic`]).
    pub fn random(mut self, random: Box<dyn RngCore + Send + Sync>) -> Self {
        self.random = Some(random);
        self
    }

    /// Opens the preopened directories and builds the context.
    pub fn build(self) -> Result<WasiCtx, WasiError> {
        let mut ctx = wasi_common::WasiCtx::new(
            self.random.unwrap_or_else(random_ctx),
            self.clocks.unwrap_or_else(clocks_ctx),
            sched_ctx(),
            wasi_common::Table::new(),
        );
        for arg in &self.args {
            let invalid = || WasiError::InvalidString {
                what: "argument",
                value: arg.clone(),
            };
            // wasi-common passes a NUL on, and C would see the argument cut short.
            if arg.contains('\0') {
                return Err(invalid());
            }
            ctx.push_arg(arg).map_err(|_| invalid())?;
        }
        for (name, value) in &self.env {
            let invalid = || WasiError::InvalidString {
                what: "environment variable",
                value: format!("{name}={value}"),
            };
            if name.is_empty() || name.contains('=') || name.contains('\0') || value.contains('\0')
            {
                return Err(invalid());
            }
            ctx.push_env(name, value).map_err(|_| invalid())?;
        }
        match self.stdin {
            Input::Empty => {}
            Input::Inherit => ctx.set_stdin(Box::new(stdio::stdin())),
            Input::Bytes(bytes) => ctx.set_stdin(Box::new(ReadPipe::from(bytes))),
        }
        let stdout = set_output(&ctx, self.stdout, 1);
        let stderr = set_output(&ctx, self.stderr, 2);
        for (host, guest) in self.preopens {
            let dir = cap_std::fs::Dir::open_ambient_dir(&host, ambient_authority());
            let dir = match dir {
                Ok(dir) => dir,
                Err(source) => return Err(WasiError::Preopen { host, source }),
            };
            let dir = Box::new(wasi_common::sync::dir::Dir::from_cap_std(dir));
            if let Err(e) = ctx.push_preopened_dir(dir, &guest) {
                let source = std::io::Error::other(e.to_string());
                return Err(WasiError::Preopen { host, source });
            }
        }
        Ok(WasiCtx {
            shared: Arc::new(Shared {
                ctx: Mutex::new(ctx),
                calls: std::array::from_fn(|_| AtomicU64::new(0)),
                stdout,
                stderr,
            }),
        })
    }
}

/// Points descriptor `fd` (1 or 2) where `output` says; the buffer when captured.
fn set_output(ctx: &wasi_common::WasiCtx, output: Output, fd: u32) -> Option<Arc<RwLock<Vec<u8>>>> {
    let (file, buffer): (Box<dyn WasiFile>, _) = match output {
        Output::Discard => return None,
        Output::Inherit if fd == 1 => (Box::new(stdio::stdout()), None),
        Output::Inherit => (Box::new(stdio::stderr()), None),
        Output::Capture => {
            let buffer = Arc::new(RwLock::new(Vec::new()));
            (
                Box::new(WritePipe::from_shared(buffer.clone())),
                Some(buffer),
            )
        }
    };
    if fd == 1 {
        ctx.set_stdout(file);
    } else {
        ctx.set_stderr(file);
    }
    buffer
}

/// The WASI state of one program: its descriptors, arguments, environment, clocks and
/// randomness, shared by the host functions that [`WasiCtx::add_to_linker`] defines.
/// Cloning gives another handle to the same state.
#[derive(Clone)]
pub struct WasiCtx {
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for WasiCtx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasiCtx").finish_non_exhaustive()
    }
}

/// What the host functions share.
pub(crate) struct Shared {
    ctx: Mutex<wasi_common::WasiCtx>,
    /// Calls of each function of [`FUNCTIONS`], by index.
    calls: [AtomicU64; FUNCTIONS.len()],
    stdout: Option<Arc<RwLock<Vec<u8>>>>,
    stderr: Option<Arc<RwLock<Vec<u8>>>>,
}

impl Shared {
    /// The wasi-common context, for one call. A host function that panicked while holding
    /// it left nothing half-done that matters more than the panic itself, which the
    /// engine already reports as a trap.
    pub(crate) fn lock(&self) -> MutexGuard<'_, wasi_common::WasiCtx> {
        self.ctx.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn count_call(&self, index: usize) {
        self.calls[index].fetch_add(1, Ordering::Relaxed);
    }
}

impl WasiCtx {
    /// What the program has written to standard output so far, if it is captured
    /// ([`WasiCtxBuilder::capture_stdout`]).
    pub fn captured_stdout(&self) -> Option<Vec<u8>> {
        read_buffer(self.shared.stdout.as_ref())
    }

    /// What the program has written to standard error so far, if it is captured.
    pub fn captured_stderr(&self) -> Option<Vec<u8>> {
        read_buffer(self.shared.stderr.as_ref())
    }

    /// How many times the program called each preview 1 function, for every function in
    /// [`FUNCTIONS`] order (zeros included).
    pub fn call_counts(&self) -> Vec<(&'static str, u64)> {
        FUNCTIONS
            .iter()
            .zip(&self.shared.calls)
            .map(|(name, n)| (*name, n.load(Ordering::Relaxed)))
            .collect()
    }
}

fn read_buffer(buffer: Option<&Arc<RwLock<Vec<u8>>>>) -> Option<Vec<u8>> {
    buffer.map(|b| b.read().unwrap_or_else(|e| e.into_inner()).clone())
}
