//! markdown: renders a CommonMark file (with tables, footnotes, strikethrough, task lists
//! and smart punctuation) to HTML with pulldown-cmark.
//!
//! usage: markdown INPUT.md [OUTPUT.html]
//!
//! With OUTPUT, writes the HTML there and prints statistics; without, prints the HTML.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, html};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if !(2..=3).contains(&args.len()) {
        eprintln!("usage: {} INPUT.md [OUTPUT.html]", args[0]);
        return ExitCode::from(2);
    }
    let source = match std::fs::read_to_string(&args[1]) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{}: cannot read {}: {e}", args[0], args[1]);
            return ExitCode::from(1);
        }
    };
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_HEADING_ATTRIBUTES;
    let (mut headings, mut links, mut code_blocks) = ([0usize; 6], 0usize, 0usize);
    for event in Parser::new_ext(&source, options) {
        if let Event::Start(tag) = event {
            match tag {
                Tag::Heading { level, .. } => headings[level_index(level)] += 1,
                Tag::Link { .. } => links += 1,
                Tag::CodeBlock(_) => code_blocks += 1,
                _ => {}
            }
        }
    }
    let mut out = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut out, Parser::new_ext(&source, options));
    if args.len() == 2 {
        print!("{out}");
        return ExitCode::SUCCESS;
    }
    if let Err(e) = std::fs::write(&args[2], &out) {
        eprintln!("{}: cannot write {}: {e}", args[0], args[2]);
        return ExitCode::from(1);
    }
    println!("{}: {} bytes of markdown, {} bytes of HTML", args[1], source.len(), out.len());
    println!("headings by level: {headings:?}, links: {links}, code blocks: {code_blocks}");
    ExitCode::SUCCESS
}

fn level_index(level: HeadingLevel) -> usize {
    match level {
        HeadingLevel::H1 => 0,
        HeadingLevel::H2 => 1,
        HeadingLevel::H3 => 2,
        HeadingLevel::H4 => 3,
        HeadingLevel::H5 => 4,
        HeadingLevel::H6 => 5,
    }
}
