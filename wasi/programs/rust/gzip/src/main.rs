//! gzip: compresses a file to gzip with flate2 (miniz_oxide backend), decompresses the
//! result again and checks it, like `gzip -k` followed by `gzip -t`.
//!
//! usage: gzip [-LEVEL] INPUT OUTPUT.gz      (LEVEL 0-9, default 6)
//!        gzip -d INPUT.gz OUTPUT

use flate2::read::GzDecoder;
use flate2::{Compression, GzBuilder};
use std::io::{Read, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gzip: {e}");
            ExitCode::from(1)
        }
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let (mode, input, output) = match args {
        [_, mode, input, output] if mode.starts_with('-') => (mode.as_str(), input, output),
        [_, input, output] => ("-6", input, output),
        _ => return Err("usage: gzip [-LEVEL|-d] INPUT OUTPUT".into()),
    };
    let data = std::fs::read(input).map_err(|e| format!("cannot read {input}: {e}"))?;
    if mode == "-d" {
        let plain = gunzip(&data)?;
        std::fs::write(output, &plain).map_err(|e| format!("cannot write {output}: {e}"))?;
        println!("{input}: {} -> {} bytes", data.len(), plain.len());
        return Ok(());
    }
    let level: u32 = mode[1..].parse().map_err(|_| format!("bad level {mode}"))?;
    let name = input.rsplit('/').next().unwrap_or(input);
    let mut encoder = GzBuilder::new()
        .filename(name)
        .mtime(0)
        .write(Vec::new(), Compression::new(level));
    encoder.write_all(&data).map_err(|e| e.to_string())?;
    let packed = encoder.finish().map_err(|e| e.to_string())?;
    let mut file =
        std::fs::File::create(output).map_err(|e| format!("cannot create {output}: {e}"))?;
    // Written in pieces, as a streaming compressor would.
    for chunk in packed.chunks(4096) {
        file.write_all(chunk).map_err(|e| e.to_string())?;
    }
    file.sync_all().map_err(|e| e.to_string())?;
    drop(file);
    let back = gunzip(&std::fs::read(output).map_err(|e| e.to_string())?)?;
    if back != data {
        return Err("round trip differs".into());
    }
    let ratio = packed.len() as f64 * 100.0 / data.len().max(1) as f64;
    println!("{input}: {} -> {} bytes ({ratio:.1}%), level {level}, verified", data.len(), packed.len());
    Ok(())
}

fn gunzip(data: &[u8]) -> Result<Vec<u8>, String> {
    let mut plain = Vec::new();
    GzDecoder::new(data)
        .read_to_end(&mut plain)
        .map_err(|e| format!("corrupt gzip data: {e}"))?;
    Ok(plain)
}
