//! fsops: a backup tool on Rust's std::fs. Walks a directory tree (sorted), printing
//! each entry with its kind, size and an FNV-1a hash of its contents; copies every
//! regular file into `backup/` (mirroring the tree), removes the scratch directory `tmp/`
//! with everything in it, and prints the tree again.
//!
//! usage: fsops DIR

use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325, |h, b| (h ^ *b as u64).wrapping_mul(0x100000001b3))
}

fn walk(root: &Path, dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let meta = fs::symlink_metadata(&path)?;
        let rel = path.strip_prefix(root).unwrap_or(&path).display().to_string();
        let indent = "  ".repeat(depth);
        if meta.is_dir() {
            println!("{indent}{rel}/");
            walk(root, &path, depth + 1, out)?;
        } else if meta.file_type().is_symlink() {
            println!("{indent}{rel} -> {}", fs::read_link(&path)?.display());
        } else {
            let bytes = fs::read(&path)?;
            println!("{indent}{rel} {} bytes fnv {:016x}", meta.len(), fnv(&bytes));
            out.push(path);
        }
    }
    Ok(())
}

fn run(root: &Path) -> std::io::Result<()> {
    println!("tree of {}:", root.display());
    let mut files = Vec::new();
    walk(root, root, 1, &mut files)?;
    let backup = root.join("backup");
    fs::create_dir_all(&backup)?;
    let mut copied = 0u64;
    for file in &files {
        let rel = file.strip_prefix(root).expect("walked below root");
        if rel.starts_with("backup") || rel.starts_with("tmp") {
            continue;
        }
        let target = backup.join(rel);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)?;
        }
        copied += fs::copy(file, &target)?;
    }
    println!("copied {} files, {copied} bytes", files.len());
    // A manifest, written with seeks: the count is patched in at the front at the end.
    let mut manifest = fs::File::create(backup.join("MANIFEST"))?;
    manifest.write_all(b"files: ????\n")?;
    for file in &files {
        writeln!(manifest, "{}", file.strip_prefix(root).expect("below root").display())?;
    }
    manifest.seek(SeekFrom::Start(7))?;
    write!(manifest, "{:04}", files.len())?;
    let end = manifest.seek(SeekFrom::End(0))?;
    manifest.set_len(end)?;
    drop(manifest);
    let mut head = String::new();
    fs::File::open(backup.join("MANIFEST"))?.take(12).read_to_string(&mut head)?;
    print!("manifest starts: {head}");
    match fs::remove_dir_all(root.join("tmp")) {
        Ok(()) => println!("removed tmp/"),
        Err(e) => println!("no tmp/ to remove: {e}"),
    }
    println!("tree after:");
    walk(root, root, 1, &mut Vec::new())?;
    Ok(())
}

fn main() -> ExitCode {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: fsops DIR");
        return ExitCode::from(2);
    };
    match run(Path::new(&dir)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fsops: {e}");
            ExitCode::from(1)
        }
    }
}
