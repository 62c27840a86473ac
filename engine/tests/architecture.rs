//! The architecture holds: the modules of `engine/src` depend in one direction (the order
//! written in `lib.rs`), and the compiler does not depend on the runtime.
//!
//! A module depends on another when its code names it by a `crate::` or `super::` path:
//! in a `use` (groups included: `use crate::{a::B, c::{D, E}}`) or anywhere in code
//! (`crate::x::y(..)`). A path through an item the root re-exports (`crate::Func`) is a
//! dependency on the module the re-export names; the root's own `mod` and `pub use`
//! lines are its dependencies only. Comments and string literals are not code.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path (`["wast", "run"]`); the crate root is `[]`.
type ModPath = Vec<String>;

fn show(module: &[String]) -> String {
    if module.is_empty() {
        "lib".to_string()
    } else {
        module.join("::")
    }
}

/// `text` with comments blanked and string and character literals emptied.
fn strip(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == 'r'
            && matches!(next, Some('"' | '#'))
            && !ident_char(chars.get(i.wrapping_sub(1)))
        {
            // A raw string: r"..." or r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= chars.len() {
                    break;
                }
                if chars[j] == '"' && (0..hashes).all(|k| chars.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' {
            // A character literal ('a', '\n', '\u{1F600}'), or a lifetime ('a).
            if next == Some('\\') {
                let mut j = i + 2;
                while j < chars.len() && chars[j] != '\'' {
                    j += 1;
                }
                i = j + 1;
                out.push_str("' '");
            } else if chars.get(i + 2) == Some(&'\'') {
                i += 3;
                out.push_str("' '");
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_char(c: Option<&char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || *c == '_')
}

/// Identifiers and punctuation (`::` as one token).
fn tokens(code: &str) -> Vec<String> {
    let chars: Vec<char> = code.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while ident_char(chars.get(i)) {
                i += 1;
            }
            tokens.push(chars[start..i].iter().collect());
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            tokens.push("::".into());
            i += 2;
        } else {
            tokens.push(c.to_string());
            i += 1;
        }
    }
    tokens
}

/// The paths of a path tree starting at `tokens[i]` (after its `crate`/`super` prefix and
/// `::`): `a::b`, `a::{b, c::{d}}`, `a::*`. Returns the paths and the index after them.
fn path_tree(tokens: &[String], mut i: usize) -> (Vec<Vec<String>>, usize) {
    let mut prefix = Vec::new();
    loop {
        match tokens.get(i).map(String::as_str) {
            Some("{") => {
                let mut paths = Vec::new();
                i += 1;
                while tokens.get(i).is_some_and(|t| t != "}") {
                    if tokens[i] == "," {
                        i += 1;
                        continue;
                    }
                    let (inner, next) = path_tree(tokens, i);
                    for p in inner {
                        paths.push([prefix.clone(), p].concat());
                    }
                    // Skip `as NAME` and anything else up to the next item.
                    i = next;
                    while tokens.get(i).is_some_and(|t| t != "," && t != "}") {
                        i += 1;
                    }
                }
                return (paths, i + 1);
            }
            Some(t) if t.chars().all(|c| c.is_alphanumeric() || c == '_') => {
                prefix.push(t.to_string());
                i += 1;
                if tokens.get(i).map(String::as_str) == Some("::") {
                    i += 1;
                } else {
                    return (vec![prefix], i);
                }
            }
            // `*`, `<` (generic arguments) or anything else ends the path.
            _ => return (vec![prefix], i),
        }
    }
}

/// The modules of a crate whose sources are `files` (paths relative to the source
/// directory: `lib.rs`, `a.rs`, `b/mod.rs`, `b/c.rs`).
struct Crate {
    modules: BTreeMap<ModPath, String>,
}

impl Crate {
    fn new(files: &BTreeMap<PathBuf, String>) -> Crate {
        let mut modules = BTreeMap::new();
        for (path, text) in files {
            let mut parts: Vec<String> = path
                .with_extension("")
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
                parts.pop();
            }
            modules.insert(parts, strip(text));
        }
        Crate { modules }
    }

    /// The root's re-exports: item name → the module its `pub use` names (`None` for an
    /// item of another crate).
    fn reexports(&self) -> BTreeMap<String, Option<ModPath>> {
        let mut map = BTreeMap::new();
        let tokens = tokens(&self.modules[&Vec::new()]);
        for i in 0..tokens.len() {
            if tokens[i] == "pub" && tokens.get(i + 1).map(String::as_str) == Some("use") {
                let start = if tokens.get(i + 2).map(String::as_str) == Some("crate") {
                    i + 4
                } else {
                    i + 2
                };
                for path in path_tree(&tokens, start).0 {
                    let module = self.longest_module(&[], &path);
                    if let Some(name) = path.last() {
                        map.insert(name.clone(), (!module.is_empty()).then_some(module));
                    }
                }
            }
        }
        map
    }

    /// The longest module path `base` + a prefix of `path` that is a module.
    fn longest_module(&self, base: &[String], path: &[String]) -> ModPath {
        let mut module = base.to_vec();
        for segment in path {
            let mut next = module.clone();
            next.push(segment.clone());
            if !self.modules.contains_key(&next) {
                break;
            }
            module = next;
        }
        module
    }

    /// Every module's dependencies.
    fn dependencies(&self) -> BTreeMap<ModPath, BTreeSet<ModPath>> {
        let reexports = self.reexports();
        let mut graph = BTreeMap::new();
        for (module, code) in &self.modules {
            let deps: &mut BTreeSet<ModPath> = graph.entry(module.clone()).or_default();
            if module.is_empty() {
                // The root: its `mod` declarations and re-exports.
                for m in self.modules.keys().filter(|m| m.len() == 1) {
                    deps.insert(m.clone());
                }
                continue;
            }
            let tokens = tokens(code);
            // Inline modules (`mod tests { .. }`): their depth in braces.
            let mut inline: Vec<usize> = Vec::new();
            let mut depth = 0;
            let mut i = 0;
            while i < tokens.len() {
                let t = tokens[i].as_str();
                match t {
                    "{" => depth += 1,
                    "}" => {
                        depth -= 1;
                        if inline.last() == Some(&depth) {
                            inline.pop();
                        }
                    }
                    "mod" if tokens.get(i + 2).map(String::as_str) == Some("{") => {
                        inline.push(depth);
                    }
                    _ => {}
                }
                let prefix_of_path = (t == "crate" || t == "super")
                    && tokens.get(i + 1).map(String::as_str) == Some("::")
                    && !(i > 0 && tokens[i - 1] == "$");
                if !prefix_of_path {
                    i += 1;
                    continue;
                }
                // Where the path starts: the root, or a parent of the current module.
                let mut base: ModPath = if t == "crate" {
                    Vec::new()
                } else {
                    module.clone()
                };
                let mut levels = inline.len();
                let mut j = i;
                while tokens.get(j).map(String::as_str) == Some("super")
                    && tokens.get(j + 1).map(String::as_str) == Some("::")
                {
                    if levels > 0 {
                        levels -= 1;
                    } else {
                        base.pop();
                    }
                    j += 2;
                }
                if t == "crate" {
                    j = i + 2;
                }
                let (paths, next) = path_tree(&tokens, j);
                for path in paths {
                    let mut target = self.longest_module(&base, &path);
                    if target.is_empty()
                        && let Some(defining) = path.first().and_then(|n| reexports.get(n))
                    {
                        match defining {
                            Some(defining) => target = defining.clone(),
                            // Another crate's item, re-exported: no module of this one.
                            None => continue,
                        }
                    }
                    if target != *module {
                        deps.insert(target);
                    }
                }
                i = next.max(i + 1);
            }
        }
        graph
    }
}

/// A cycle of `graph`, if it has one: its modules, the first repeated at the end.
fn find_cycle(graph: &BTreeMap<ModPath, BTreeSet<ModPath>>) -> Option<Vec<ModPath>> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Visiting,
        Done,
    }
    fn visit(
        node: &ModPath,
        graph: &BTreeMap<ModPath, BTreeSet<ModPath>>,
        state: &mut BTreeMap<ModPath, State>,
        stack: &mut Vec<ModPath>,
    ) -> Option<Vec<ModPath>> {
        match state.get(node) {
            Some(State::Done) => return None,
            Some(State::Visiting) => {
                let start = stack.iter().position(|n| n == node).expect("on the stack");
                let mut cycle = stack[start..].to_vec();
                cycle.push(node.clone());
                return Some(cycle);
            }
            None => {}
        }
        state.insert(node.clone(), State::Visiting);
        stack.push(node.clone());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, state, stack) {
                return Some(cycle);
            }
        }
        stack.pop();
        state.insert(node.clone(), State::Done);
        None
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, graph, &mut state, &mut Vec::new()) {
            return Some(cycle);
        }
    }
    None
}

fn show_cycle(cycle: &[ModPath]) -> String {
    cycle
        .iter()
        .map(|m| show(m))
        .collect::<Vec<_>>()
        .join(" -> ")
}

/// The sources of `engine/src`.
fn engine_sources() -> BTreeMap<PathBuf, String> {
    fn walk(dir: &Path, root: &Path, files: &mut BTreeMap<PathBuf, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, files);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(root).unwrap().to_path_buf();
                files.insert(relative, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = BTreeMap::new();
    walk(&root, &root, &mut files);
    files
}

fn sources(files: &[(&str, &str)]) -> BTreeMap<PathBuf, String> {
    files
        .iter()
        .map(|(p, t)| (PathBuf::from(p), t.to_string()))
        .collect()
}

fn names(set: &BTreeSet<ModPath>) -> Vec<String> {
    set.iter().map(|m| show(m)).collect()
}

#[test]
fn the_parser_finds_every_kind_of_reference() {
    let krate = Crate::new(&sources(&[
        (
            "lib.rs",
            "mod a; mod b; mod c; mod d; pub use a::{A, Helper as H};\npub use d::D;\n\
             pub use other_crate::Thing;",
        ),
        (
            "a.rs",
            r#"use crate::{b::B, c::{self, C}};
               // use crate::d::X; (a comment)
               const S: &str = "crate::d::X";
               fn f<'a>(x: &'a str) -> char { let _ = '"'; 'x' }
               #[cfg(test)]
               mod tests { use super::*; }"#,
        ),
        ("b.rs", "pub fn g() { let _ = crate::D::new(); }"),
        ("c.rs", "pub(crate) struct C(crate::Thing);"),
        ("d/mod.rs", "mod e; pub struct D;"),
        ("d/e.rs", "fn h() { super::super::c::C; super::D; }"),
    ]));
    let graph = krate.dependencies();
    assert_eq!(names(&graph[&vec!["a".to_string()]]), ["b", "c"]);
    assert!(
        graph[&vec!["c".to_string()]].is_empty(),
        "another crate's item"
    );
    assert_eq!(
        names(&graph[&vec!["b".to_string()]]),
        ["d"],
        "through the re-export"
    );
    assert_eq!(names(&graph[&vec!["d".into(), "e".into()]]), ["c", "d"]);
    assert_eq!(names(&graph[&Vec::new()]), ["a", "b", "c", "d"]);
    assert!(find_cycle(&graph).is_none());
}

#[test]
fn the_checker_finds_a_cycle() {
    let krate = Crate::new(&sources(&[
        ("lib.rs", "mod a; mod b; mod c; pub use a::A;"),
        ("a.rs", "use crate::b::B; pub struct A;"),
        ("b.rs", "pub struct B(crate::c::C);"),
        (
            "c.rs",
            "pub struct C; impl C { fn f() -> crate::A { todo!() } }",
        ),
    ]));
    let cycle = find_cycle(&krate.dependencies()).expect("a -> b -> c -> a");
    assert_eq!(show_cycle(&cycle), "a -> b -> c -> a");
}

#[test]
fn engine_modules_depend_in_one_direction() {
    let krate = Crate::new(&engine_sources());
    let graph = krate.dependencies();
    assert!(
        graph.len() >= 20,
        "the engine's modules were not found: {:?}",
        graph.keys().map(|m| show(m)).collect::<Vec<_>>()
    );
    // Something is found at all: the store depends on the engine.
    assert!(graph[&vec!["store".to_string()]].contains(&vec!["engine".to_string()]));
    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "engine/src has an import cycle: {} (see the dependency order in lib.rs)",
            show_cycle(&cycle)
        );
    }
}

/// Whether the manifest `toml` declares a (build or normal, any target) dependency on
/// package `package`.
fn depends_on(toml: &str, package: &str) -> bool {
    let mut in_dependencies = false;
    for line in toml.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if let Some(header) = line.strip_prefix('[') {
            let section = header.trim_end_matches(']').trim();
            let table = section.rsplit_once('.').map_or(section, |(_, last)| last);
            if section.ends_with(&format!("dependencies.{package}")) {
                return true;
            }
            in_dependencies = table == "dependencies" || table == "build-dependencies";
            continue;
        }
        if !in_dependencies {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim().trim_matches('"');
        let renamed = value.contains(&format!("package = \"{package}\""));
        if key == package || key.starts_with(&format!("{package}.")) || renamed {
            return true;
        }
    }
    false
}

#[test]
fn the_manifest_check_sees_every_form_of_dependency() {
    let forms = [
        "[dependencies]\nstagec-runtime.workspace = true",
        "[dependencies]\nstagec-runtime = { path = \"../runtime\" }",
        "[build-dependencies]\nrt = { package = \"stagec-runtime\", path = \"x\" }",
        "[target.'cfg(unix)'.dependencies]\nstagec-runtime = \"1\"",
        "[dependencies.stagec-runtime]\npath = \"../runtime\"",
    ];
    for toml in forms {
        assert!(depends_on(toml, "stagec-runtime"), "{toml}");
    }
    let not = "[dependencies]\nstagec-environ.workspace = true # not stagec-runtime\n\
               [dev-dependencies]\nstagec-runtime.workspace = true";
    assert!(!depends_on(not, "stagec-runtime"));
}

#[test]
fn codegen_does_not_depend_on_the_runtime() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../codegen/Cargo.toml");
    let toml = std::fs::read_to_string(&manifest).unwrap();
    assert!(
        toml.contains("[dependencies]"),
        "{} has no dependencies section",
        manifest.display()
    );
    assert!(
        !depends_on(&toml, "stagec-runtime"),
        "stagec-codegen depends on stagec-runtime ({}): what they share belongs in \
         stagec-environ (DESIGN.md §4)",
        manifest.display()
    );
}
