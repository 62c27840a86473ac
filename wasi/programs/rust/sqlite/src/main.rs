//! sqlite: a speed-test style workload (after SQLite's speedtest1) on the SQLite
//! amalgamation bundled by libsqlite3-sys, through rusqlite, with its database file in a
//! preopened directory. Each step prints a checksum of what it read, never a time, so the
//! output is the same on every engine; the database file left behind is too.
//!
//! usage: sqlite DATABASE [SIZE]     (SIZE rows per table, default 2000)

use rusqlite::{Connection, params};
use std::process::ExitCode;

/// speedtest1's deterministic generator (a linear congruential step).
struct Rng(u32);

impl Rng {
    fn next(&mut self) -> u32 {
        self.0 = self.0.wrapping_mul(1103515245).wrapping_add(12345);
        self.0 >> 1
    }
}

/// The English name of `n` (speedtest1_numbername), for text columns.
fn number_name(mut n: u32) -> String {
    const ONES: [&str; 20] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
        "eighteen", "nineteen",
    ];
    const TENS: [&str; 10] = [
        "", "ten", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    ];
    let mut out = Vec::new();
    for (unit, name) in [(1_000_000_000, "billion"), (1_000_000, "million"), (1000, "thousand")] {
        if n >= unit {
            out.push(number_name(n / unit));
            out.push(name.to_string());
            n %= unit;
        }
    }
    if n >= 100 {
        out.push(format!("{} hundred", ONES[(n / 100) as usize]));
        n %= 100;
    }
    if n >= 20 {
        out.push(TENS[(n / 10) as usize].to_string());
        n %= 10;
    }
    if n > 0 || out.is_empty() {
        out.push(ONES[n as usize].to_string());
    }
    out.join(" ")
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let Some(path) = args.get(1) else {
        eprintln!("usage: sqlite DATABASE [SIZE]");
        return ExitCode::from(2);
    };
    let size: u32 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(2000);
    match run(path, size) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sqlite: {e}");
            ExitCode::from(1)
        }
    }
}

fn step(number: u32, what: &str, checksum: impl std::fmt::Display) {
    println!("{number:>4} - {what:<58} {checksum}");
}

fn run(path: &str, size: u32) -> rusqlite::Result<()> {
    let mut db = Connection::open(path)?;
    db.execute_batch("PRAGMA temp_store = MEMORY; PRAGMA cache_size = 200;")?;
    println!("SQLite {} on {path}, size {size}", rusqlite::version());
    let mut rng = Rng(0x5eed);

    let tx = db.transaction()?;
    tx.execute_batch("CREATE TABLE z1(a INTEGER, b INTEGER, c TEXT);")?;
    {
        let mut insert = tx.prepare("INSERT INTO z1 VALUES (?1, ?2, ?3)")?;
        for i in 1..=size {
            let x = rng.next() % (size * 4);
            insert.execute(params![x, i, number_name(x)])?;
        }
    }
    tx.commit()?;
    step(100, "INSERTs into a table with no index", size);

    let tx = db.transaction()?;
    tx.execute_batch("CREATE TABLE z2(a INTEGER PRIMARY KEY, b INTEGER, c TEXT);")?;
    {
        let mut insert = tx.prepare("INSERT INTO z2 VALUES (?1, ?2, ?3)")?;
        for i in 1..=size {
            let x = rng.next() % (size * 4);
            insert.execute(params![i, x, number_name(x)])?;
        }
    }
    tx.commit()?;
    step(110, "ordered INSERTs with an integer primary key", size);

    let tx = db.transaction()?;
    tx.execute_batch("CREATE TABLE z3(a INTEGER, b INTEGER, c TEXT); CREATE INDEX z3b ON z3(b);")?;
    {
        let mut insert = tx.prepare("INSERT INTO z3 VALUES (?1, ?2, ?3)")?;
        for i in 1..=size {
            let x = rng.next() % (size * 4);
            insert.execute(params![i, x, number_name(i)])?;
        }
    }
    tx.commit()?;
    step(120, "unordered INSERTs with an index", size);

    let mut sum = 0i64;
    {
        let mut q = db.prepare("SELECT count(*), avg(b), sum(length(c)) FROM z1 WHERE b BETWEEN ?1 AND ?2")?;
        for i in 0..50 {
            let lo = (rng.next() % size) as i64;
            let (n, _avg, len): (i64, Option<f64>, Option<i64>) =
                q.query_row(params![lo, lo + (size / 10) as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            sum += n * (i + 1) + len.unwrap_or(0);
        }
    }
    step(130, "50 SELECTs, numeric BETWEEN, unindexed", sum);

    let mut sum = 0i64;
    {
        let mut q = db.prepare("SELECT count(*), sum(length(c)) FROM z2 WHERE c LIKE ?1")?;
        for word in ["%eleven%", "%hundred%", "%thousand%", "%one%", "%ninety%", "%seven%"] {
            let (n, len): (i64, Option<i64>) = q.query_row([word], |r| Ok((r.get(0)?, r.get(1)?)))?;
            sum = sum * 31 + n + len.unwrap_or(0);
        }
    }
    step(140, "SELECTs, LIKE, unindexed", sum);

    db.execute_batch("CREATE INDEX z1a ON z1(a); CREATE INDEX z1c ON z1(c); CREATE INDEX z2c ON z2(c);")?;
    step(150, "CREATE INDEX five times", 3);

    let mut sum = 0i64;
    {
        let mut q = db.prepare("SELECT sum(a), count(*) FROM z1 WHERE a BETWEEN ?1 AND ?2")?;
        for _ in 0..200 {
            let lo = (rng.next() % (size * 4)) as i64;
            let (s, n): (Option<i64>, i64) = q.query_row(params![lo, lo + 100], |r| Ok((r.get(0)?, r.get(1)?)))?;
            sum = sum.wrapping_add(s.unwrap_or(0) ^ n);
        }
    }
    step(160, "200 SELECTs, numeric BETWEEN, indexed", sum);

    let mut sum = 0i64;
    {
        let mut q = db.prepare("SELECT c FROM z3 WHERE b = ?1")?;
        for _ in 0..size {
            let b = (rng.next() % (size * 4)) as i64;
            let mut rows = q.query([b])?;
            while let Some(row) = rows.next()? {
                let c: String = row.get(0)?;
                sum += c.len() as i64;
            }
        }
    }
    step(170, "indexed point SELECTs", sum);

    let tx = db.transaction()?;
    let changed = tx.execute("UPDATE z2 SET b = b * 2 + 1 WHERE a % 3 = 0", [])?;
    let renamed = tx.execute("UPDATE z3 SET c = upper(c) WHERE b BETWEEN ?1 AND ?2", params![size, size * 2])?;
    tx.commit()?;
    step(180, "UPDATEs, by rowid arithmetic and indexed range", changed * 10_000 + renamed);

    let tx = db.transaction()?;
    let deleted = tx.execute("DELETE FROM z1 WHERE a % 7 = 3", [])?;
    let deleted3 = tx.execute("DELETE FROM z3 WHERE b < ?1", [size / 2])?;
    tx.commit()?;
    step(190, "DELETEs", deleted * 10_000 + deleted3);

    let mut sum = 0i64;
    {
        let mut q = db.prepare("SELECT a, c FROM z1 ORDER BY c DESC, a LIMIT 25 OFFSET ?1")?;
        for off in [0, 10, 100] {
            let mut rows = q.query([off])?;
            while let Some(row) = rows.next()? {
                let a: i64 = row.get(0)?;
                let c: String = row.get(1)?;
                sum = sum.wrapping_mul(7).wrapping_add(a + c.len() as i64);
            }
        }
    }
    step(200, "ORDER BY with LIMIT and OFFSET", sum);

    let groups: Vec<(i64, i64, f64)> = {
        let mut q = db.prepare(
            "SELECT z2.b % 10 AS k, count(*), round(avg(length(z2.c)), 3) FROM z2 JOIN z3 ON z2.a = z3.a GROUP BY k ORDER BY k",
        )?;
        q.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?
    };
    let digest: i64 = groups.iter().map(|(k, n, avg)| k * 1000 + n + (*avg * 1000.0) as i64).sum();
    step(210, "JOIN with GROUP BY", digest);

    db.execute_batch("ALTER TABLE z2 ADD COLUMN d INTEGER DEFAULT 7; UPDATE z2 SET d = a * b % 1000;")?;
    let d: i64 = db.query_row("SELECT sum(d) FROM z2", [], |r| r.get(0))?;
    step(220, "ALTER TABLE ADD COLUMN, UPDATE", d);

    let fib: i64 = db.query_row(
        "WITH RECURSIVE f(n, a, b) AS (SELECT 1, 0, 1 UNION ALL SELECT n + 1, b, (a + b) % 1000000007 FROM f WHERE n < ?1) SELECT b FROM f WHERE n = ?1",
        [size as i64],
        |r| r.get(0),
    )?;
    step(230, "recursive common table expression", fib);

    let integrity: String = db.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    step(240, "PRAGMA integrity_check", &integrity);
    db.execute_batch("DROP TABLE z1; VACUUM;")?;
    let pages: i64 = db.query_row("PRAGMA page_count", [], |r| r.get(0))?;
    step(250, "DROP TABLE, VACUUM", pages);
    let rows: i64 = db.query_row("SELECT (SELECT count(*) FROM z2) + (SELECT count(*) FROM z3)", [], |r| r.get(0))?;
    println!("rows left: {rows}");
    Ok(())
}
