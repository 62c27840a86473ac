//! `serde_json` with `serde` derive: `records()` generated records are serialized to a
//! JSON string, parsed back into typed records (and compared), and parsed again as an
//! untyped `serde_json::Value` tree that is walked; the checksum folds the text and
//! what the walk sees.

#[cfg(not(feature = "hand"))]
mod env {
    #[link(wasm_import_module = "env")]
    unsafe extern "C" {
        /// How many records.
        pub safe fn records() -> u32;
        /// The data generator's step.
        pub safe fn next(state: u64) -> u64;
        /// The checksum fold.
        pub safe fn mix(acc: u64, x: u32) -> u64;
    }
}

#[cfg(feature = "hand")]
mod env {
    pub fn records() -> u32 {
        2000
    }
    pub use wl_common::{mix, next};
}

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Record {
    id: u64,
    name: String,
    email: Option<String>,
    score: f64,
    active: bool,
    tags: Vec<String>,
    position: [i32; 3],
    history: Vec<Event>,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Event {
    kind: Kind,
    at: u32,
    note: String,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Created,
    Updated { field: String },
    Deleted,
}

const NAMES: [&str; 8] = [
    "Ada", "Grace", "Edsger", "Barbara", "Donald", "Frances", "Niklaus", "Ken \"K\" T.",
];
const TAGS: [&str; 8] = [
    "alpha", "beta", "gamma", "delta", "ünïcödé", "tab\there", "line\nbreak", "plain",
];

fn record(id: u64, state: &mut u64) -> Record {
    let mut draw = || {
        *state = env::next(*state);
        *state
    };
    let r = draw();
    let tags = (0..(r & 3)).map(|i| TAGS[((r >> (8 + 3 * i)) & 7) as usize].to_string());
    let history = (0..((r >> 2) & 3))
        .map(|_| {
            let e = draw();
            Event {
                kind: match e % 3 {
                    0 => Kind::Created,
                    1 => Kind::Updated {
                        field: TAGS[((e >> 3) & 7) as usize].to_string(),
                    },
                    _ => Kind::Deleted,
                },
                at: (e >> 8) as u32,
                note: format!("event {} of {id}", e >> 48),
            }
        })
        .collect();
    Record {
        id,
        name: format!("{} {}", NAMES[((r >> 20) & 7) as usize], r >> 40),
        email: ((r >> 23) & 1 == 0).then(|| format!("user{}@example.com", (r >> 24) & 0xffff)),
        score: ((r >> 30) % 1_000_000) as f64 / 1000.0 - 250.0,
        active: (r >> 50) & 1 == 1,
        tags: tags.collect(),
        position: [
            (r >> 51) as i32 % 1000 - 500,
            (r >> 3) as i16 as i32,
            (r >> 33) as i32,
        ],
        history,
    }
}

fn walk(value: &Value, acc: u64) -> u64 {
    match value {
        Value::Null => env::mix(acc, 1),
        Value::Bool(b) => env::mix(acc, 2 + *b as u32),
        Value::Number(n) => match n.as_i64() {
            Some(i) => env::mix(env::mix(acc, i as u32), (i >> 32) as u32),
            None => {
                let bits = n.as_f64().expect("a finite number").to_bits();
                env::mix(env::mix(acc, bits as u32), (bits >> 32) as u32)
            }
        },
        Value::String(s) => env::mix(acc, s.len() as u32 ^ (s.chars().count() as u32) << 16),
        Value::Array(items) => items
            .iter()
            .fold(env::mix(acc, items.len() as u32), |a, v| walk(v, a)),
        Value::Object(fields) => fields.iter().fold(acc, |a, (k, v)| {
            walk(v, env::mix(a, k.len() as u32))
        }),
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn run() -> i64 {
    let mut state = wl_common::SEED;
    let records: Vec<Record> = (0..env::records() as u64)
        .map(|id| record(id, &mut state))
        .collect();
    let text = serde_json::to_string(&records).expect("records serialize");
    let parsed: Vec<Record> = serde_json::from_str(&text).expect("the text parses as records");
    assert!(parsed == records, "the typed round trip restores the records");
    let tree: Value = serde_json::from_str(&text).expect("the text parses as a tree");
    let mut acc = env::mix(wl_common::SEED, text.len() as u32);
    acc = walk(&tree, acc);
    let pretty = serde_json::to_string_pretty(&tree).expect("the tree serializes");
    env::mix(acc, pretty.len() as u32) as i64
}
