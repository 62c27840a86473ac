//! The `regex` crate (default features: Unicode, lazy DFA, literal prefilters) on a
//! generated server log of `size()` bytes: four patterns are compiled (part of each run),
//! then every match of each is found, and capture groups are extracted for one; the
//! checksum folds match counts, offsets and captured numbers.

#[cfg(not(feature = "hand"))]
mod env {
    #[link(wasm_import_module = "env")]
    unsafe extern "C" {
        /// Log length in bytes.
        pub safe fn size() -> u32;
        /// The data generator's step.
        pub safe fn next(state: u64) -> u64;
        /// The checksum fold.
        pub safe fn mix(acc: u64, x: u32) -> u64;
    }
}

#[cfg(feature = "hand")]
mod env {
    pub fn size() -> u32 {
        256 * 1024
    }
    pub use wl_common::{mix, next};
}

use regex::Regex;
use std::fmt::Write;

const USERS: [&str; 8] = [
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
];
const DOMAINS: [&str; 4] = ["example.com", "mail.org", "corp.net", "uni.edu"];
const PATHS: [&str; 8] = [
    "/", "/index.html", "/api/v1/items", "/api/v1/users", "/login", "/static/app.js",
    "/images/logo.png", "/search",
];
const LEVELS: [&str; 4] = ["INFO", "INFO", "WARN", "ERROR"];

/// A server log of about `size` bytes.
fn log(size: usize) -> String {
    let mut out = String::with_capacity(size + 256);
    let mut state = wl_common::SEED;
    let mut line = 0u64;
    while out.len() < size {
        state = env::next(state);
        let r = state;
        line += 1;
        let _ = write!(
            out,
            "2024-{:02}-{:02}T{:02}:{:02}:{:02} {} 10.{}.{}.{} {} {} {} {}ms user={}@{}",
            1 + (r % 12),
            1 + ((r >> 4) % 28),
            (r >> 9) % 24,
            (r >> 14) % 60,
            (r >> 20) % 60,
            LEVELS[((r >> 26) & 3) as usize],
            (r >> 28) & 255,
            (r >> 36) & 255,
            (r >> 44) & 255,
            if (r >> 52) & 3 == 0 { "POST" } else { "GET" },
            PATHS[((r >> 54) & 7) as usize],
            [200, 200, 200, 304, 404, 500][((r >> 57) % 6) as usize],
            (r >> 32) % 2000,
            USERS[((r >> 60) & 7) as usize],
            DOMAINS[((r >> 40) & 3) as usize],
        );
        if line % 7 == 0 {
            out.push_str(" note=\"retry after timeout\"");
        }
        out.push('\n');
    }
    out
}

#[unsafe(no_mangle)]
pub extern "C" fn run() -> i64 {
    let text = log(env::size() as usize);
    let patterns = [
        r"\b[\w.]+@(?:example\.com|corp\.net)\b",
        r"(?m)^\S+ (?:WARN|ERROR) .* (?:404|500) ",
        r"\b10\.\d{1,3}\.\d{1,3}\.\d{1,3}\b",
        r"(?i)retry after TIMEOUT",
    ];
    let mut acc = wl_common::SEED;
    for pattern in patterns {
        let re = Regex::new(pattern).expect("the pattern compiles");
        let mut count = 0u32;
        for m in re.find_iter(&text) {
            count += 1;
            acc = env::mix(acc, m.start() as u32 ^ ((m.len() as u32) << 24));
        }
        acc = env::mix(acc, count);
    }
    let timing = Regex::new(r" (GET|POST) (\S+) (\d{3}) (\d+)ms").expect("the pattern compiles");
    for caps in timing.captures_iter(&text) {
        let status: u32 = caps[3].parse().expect("three digits");
        let millis: u32 = caps[4].parse().expect("digits");
        acc = env::mix(acc, status * 10_000 + millis + caps[2].len() as u32);
    }
    acc as i64
}
