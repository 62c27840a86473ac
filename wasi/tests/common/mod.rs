//! The WASI program suite's cases and the ways of running them, shared by the tests.
//!
//! A case is a program of `wasi/programs` with arguments, environment, standard input and
//! a directory tree to preopen. Running it gives an [`Outcome`]: standard output and
//! error, how it ended, and the tree afterwards (names, contents, symlink targets; no
//! times), which two engines must agree on.

#![allow(dead_code)]

pub mod run_stagec;
pub mod run_wasmtime;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The suite's directory.
pub fn programs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("programs")
}

/// The bytes of program `name` (`c/NAME.wasm` or `rust/NAME.wasm`).
pub fn program(name: &str) -> Vec<u8> {
    for lang in ["c", "rust"] {
        let path = programs_dir().join(lang).join(format!("{name}.wasm"));
        if let Ok(bytes) = std::fs::read(&path) {
            return bytes;
        }
    }
    panic!("no program {name} in {}", programs_dir().display());
}

fn input(name: &str) -> Vec<u8> {
    std::fs::read(programs_dir().join("inputs").join(name)).expect("suite input")
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// `_start` returned (0) or the program called `proc_exit(n)`.
    Exit(i32),
    /// A trap (the engines word their messages differently; only the fact is compared).
    Trap,
}

/// One entry of a directory tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// A directory.
    Dir,
    /// A regular file and its contents.
    File(Vec<u8>),
    /// A symbolic link and its target.
    Symlink(PathBuf),
}

/// Everything below a directory, by path relative to it.
pub type Tree = BTreeMap<String, Entry>;

/// What a run produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub status: Status,
    pub tree: Tree,
}

/// Reads the tree below `root`, not following symlinks.
pub fn snapshot(root: &Path) -> Tree {
    fn walk(root: &Path, dir: &Path, out: &mut Tree) {
        for entry in std::fs::read_dir(dir).expect("readable test directory") {
            let path = entry.expect("directory entry").path();
            let rel = path
                .strip_prefix(root)
                .expect("below root")
                .display()
                .to_string();
            let meta = std::fs::symlink_metadata(&path).expect("stat");
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path).expect("readlink");
                out.insert(rel, Entry::Symlink(target));
            } else if meta.is_dir() {
                out.insert(rel, Entry::Dir);
                walk(root, &path, out);
            } else {
                out.insert(rel, Entry::File(std::fs::read(&path).expect("read")));
            }
        }
    }
    let mut tree = Tree::new();
    walk(root, root, &mut tree);
    tree
}

/// A fresh, empty directory under the system's temporary directory, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("stagec-wasi-{}-{label}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temporary directory");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A directory tree to lay out before a run: files and host-made symlinks.
#[derive(Clone, Debug, Default)]
pub struct Layout {
    pub files: Vec<(&'static str, Vec<u8>)>,
    pub dirs: Vec<&'static str>,
    pub symlinks: Vec<(&'static str, &'static str)>,
}

impl Layout {
    /// Creates the layout below `root`.
    pub fn create(&self, root: &Path) {
        for dir in &self.dirs {
            std::fs::create_dir_all(root.join(dir)).expect("mkdir");
        }
        for (name, bytes) in &self.files {
            let path = root.join(name);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, bytes).expect("write");
        }
        for (name, target) in &self.symlinks {
            std::os::unix::fs::symlink(target, root.join(name)).expect("symlink");
        }
    }
}

/// One run of one program.
#[derive(Clone, Debug)]
pub struct Case {
    /// A unique label.
    pub label: String,
    /// The program (file stem in `c/` or `rust/`).
    pub program: &'static str,
    /// Arguments after the program name.
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub stdin: Vec<u8>,
    /// The tree of the run's directory. The preopened directory is `preopen` inside it,
    /// so a test can see whether anything above it changed.
    pub layout: Layout,
    /// The preopened directory (relative to the run's directory) and its guest name.
    pub preopen: Option<(&'static str, &'static str)>,
    /// Immutable i32 globals the program imports from module `env` (its parameters).
    pub globals: Vec<(&'static str, i32)>,
}

impl Case {
    fn new(label: &str, program: &'static str) -> Case {
        Case {
            label: label.to_string(),
            program,
            args: Vec::new(),
            env: Vec::new(),
            stdin: Vec::new(),
            layout: Layout::default(),
            preopen: None,
            globals: Vec::new(),
        }
    }

    fn global(mut self, name: &'static str, value: i32) -> Case {
        self.globals.push((name, value));
        self
    }

    fn args(mut self, args: &[&str]) -> Case {
        self.args = args.iter().map(|s| s.to_string()).collect();
        self
    }

    fn env(mut self, name: &str, value: &str) -> Case {
        self.env.push((name.to_string(), value.to_string()));
        self
    }

    fn preopen(mut self, host: &'static str, guest: &'static str, layout: Layout) -> Case {
        self.preopen = Some((host, guest));
        self.layout = layout;
        self
    }

    /// The program's `argv[0]`.
    pub fn argv0(&self) -> String {
        format!("{}.wasm", self.program)
    }
}

/// Every case of the suite.
pub fn cases() -> Vec<Case> {
    let data = |files: Vec<(&'static str, Vec<u8>)>| Layout {
        files,
        ..Layout::default()
    };
    let guide = || ("data/guide.md", input("guide.md"));
    let orders = || ("data/orders.json", input("orders.json"));
    let mut cases = vec![
        Case::new("hello", "hello"),
        Case::new("args_env", "args_env")
            .args(&["one", "two words", "ünïcödé", "", "--flag=x"])
            .env("GREETING", "hello, wasi")
            .env("EMPTY", "")
            .env("LANG", "C.UTF-8"),
        Case::new("args_env_bare", "args_env"),
        Case {
            stdin: input("poem.txt"),
            ..Case::new("stdin", "stdin")
        },
        Case::new("stdin_empty", "stdin"),
        Case::new("clocks", "clocks"),
        Case::new("random", "random"),
        Case::new("buffering", "buffering"),
        Case::new("misc", "misc")
            .args(&["/data"])
            .preopen("data", "/data", data(vec![])),
        Case::new("fileio", "fileio").args(&["/data"]).preopen(
            "data",
            "/data",
            data(vec![(
                "data/input.txt",
                b"first line of input\nsecond\n".to_vec(),
            )]),
        ),
        Case::new("fileio_dot", "fileio").args(&["."]).preopen(
            "data",
            ".",
            data(vec![("data/input.txt", b"dot-relative input\n".to_vec())]),
        ),
        Case::new("sandbox", "sandbox").args(&["/box"]).preopen(
            "box",
            "/box",
            Layout {
                files: vec![
                    ("secret.txt", b"TOP SECRET\n".to_vec()),
                    ("box/inside.txt", b"inside the box\n".to_vec()),
                ],
                dirs: vec!["box/sub"],
                symlinks: vec![("box/out.lnk", "../secret.txt")],
            },
        ),
        Case::new("markdown", "markdown")
            .args(&["/data/guide.md", "/data/guide.html"])
            .preopen("data", "/data", data(vec![guide()])),
        Case::new("markdown_stdout", "markdown")
            .args(&["/data/guide.md"])
            .preopen("data", "/data", data(vec![guide()])),
        Case::new("markdown_missing", "markdown")
            .args(&["/data/nothing.md", "/data/out.html"])
            .preopen("data", "/data", data(vec![])),
        Case::new("gzip", "gzip")
            .args(&["-9", "/data/orders.json", "/data/orders.json.gz"])
            .preopen("data", "/data", data(vec![orders()])),
        Case::new("gunzip", "gzip")
            .args(&["-d", "/data/guide.md.gz", "/data/guide.md"])
            .preopen(
                "data",
                "/data",
                data(vec![("data/guide.md.gz", gzip_fixture())]),
            ),
        Case::new("jsonq", "jsonq")
            .args(&["/data/orders.json", "/data/report.json"])
            .preopen("data", "/data", data(vec![orders()])),
        Case::new("jsonq_region", "jsonq")
            .args(&["/data/orders.json", "/data/by-region.json"])
            .env("JSONQ_GROUP", "region")
            .preopen("data", "/data", data(vec![orders()])),
        Case::new("jsonq_broken", "jsonq")
            .args(&["/data/broken.json", "/data/report.json"])
            .preopen(
                "data",
                "/data",
                data(vec![("data/broken.json", input("broken.json"))]),
            ),
        Case::new("sqlite", "sqlite")
            .args(&["/data/speed.db", "1500"])
            .preopen("data", "/data", data(vec![])),
        Case::new("fsops", "fsops").args(&["."]).preopen(
            "data",
            ".",
            Layout {
                files: vec![
                    guide(),
                    ("data/docs/a.txt", b"alpha\n".to_vec()),
                    ("data/docs/deep/b.txt", b"beta\n".to_vec()),
                    ("data/tmp/scratch.bin", vec![0xab; 5000]),
                    ("data/tmp/more/x", b"x".to_vec()),
                ],
                dirs: vec!["data/empty"],
                symlinks: vec![("data/docs/link", "a.txt")],
            },
        ),
    ];
    for limit in [2, 1000, 200_000] {
        cases.push(Case::new(&format!("primes_{limit}"), "primes").global("LIMIT", limit));
    }
    cases.push(Case::new("primes_bad_limit", "primes").global("LIMIT", 1));
    for (how, code) in [
        ("return", "0"),
        ("return", "3"),
        ("exit", "7"),
        ("_exit", "9"),
        ("abort", "0"),
    ] {
        cases.push(Case::new(&format!("exit_{how}_{code}"), "exit").args(&[how, code]));
    }
    for kind in ["oob", "div", "unreachable"] {
        cases.push(Case::new(&format!("trap_{kind}"), "trap").args(&[kind]));
    }
    cases
}

/// `guide.md` gzip-compressed (by flate2 on the host, so the program's decoder is checked
/// against another encoder).
fn gzip_fixture() -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2_like::Encoder::new();
    encoder.write_all(&input("guide.md")).expect("in memory");
    encoder.finish()
}

/// A stored (uncompressed) gzip stream: enough for a decoder test without a compression
/// crate among the test's dependencies.
mod flate2_like {
    pub struct Encoder(Vec<u8>);

    impl Encoder {
        pub fn new() -> Encoder {
            Encoder(Vec::new())
        }

        pub fn finish(self) -> Vec<u8> {
            let data = self.0;
            let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
            // Deflate stored blocks of at most 65535 bytes.
            let mut chunks = data.chunks(65535).peekable();
            if chunks.peek().is_none() {
                out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
            }
            while let Some(chunk) = chunks.next() {
                let last = chunks.peek().is_none();
                out.push(last as u8);
                let len = chunk.len() as u16;
                out.extend_from_slice(&len.to_le_bytes());
                out.extend_from_slice(&(!len).to_le_bytes());
                out.extend_from_slice(chunk);
            }
            out.extend_from_slice(&crc32(&data).to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out
        }
    }

    impl std::io::Write for Encoder {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for byte in data {
            crc ^= *byte as u32;
            for _ in 0..8 {
                crc = (crc >> 1) ^ (0xedb88320 & (crc & 1).wrapping_neg());
            }
        }
        !crc
    }
}

/// Lays out `case`'s tree in a fresh directory; returns it and the host path to preopen.
pub fn prepare(case: &Case) -> (TempDir, Option<(PathBuf, &'static str)>) {
    let dir = TempDir::new(&case.label);
    case.layout.create(dir.path());
    let preopen = case.preopen.map(|(host, guest)| {
        let host = dir.path().join(host);
        std::fs::create_dir_all(&host).expect("mkdir preopen");
        (host, guest)
    });
    (dir, preopen)
}
