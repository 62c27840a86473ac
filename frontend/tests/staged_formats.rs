//! The staged formats: `.swat` parsing, `.swasm` encoding, parsing and streaming, and the
//! structure rules of [`StagedModule::validate`].

use stagec_frontend::*;
use std::cell::Cell;
use std::io::Read;
use std::rc::Rc;

const LAYOUT: &str = r#"
(staged
  (stage $layout pre
    (module
      (import "cfg" "hdr" (global $hdr i32))
      (global (export "off_x") i32 (global.get $hdr))
      (global (export "size") i32 (i32.const 16))))
  (stage $rt single
    (module
      (import "layout" "size" (global $size i32))
      (memory (export "heap") 1)
      (global $next (mut i32) (i32.const 0))
      (func (export "alloc") (result i32)
        (global.get $next)
        (global.set $next (i32.add (global.get $next) (global.get $size))))))
  (stage $main multi
    (module
      (import "layout" "off_x" (global $off_x i32))
      (import "rt" "alloc" (func $alloc (result i32)))
      (import "rt" "heap" (memory 1))
      (import "env" "log" (func $log (param i32)))
      (func (export "run") (result i32)
        (local $p i32)
        (local.set $p (call $alloc))
        (i32.store (i32.add (local.get $p) (global.get $off_x)) (i32.const 7))
        (call $log (local.get $p))
        (local.get $p)))))
"#;

fn swat(text: &str) -> StagedModule {
    parse_swat(text).unwrap_or_else(|e| panic!("parse_swat: {e}"))
}

/// A core module's bytes from WAT.
fn module(wat: &str) -> Vec<u8> {
    let m = swat(wat);
    assert_eq!(m.stages.len(), 1);
    m.stages.into_iter().next().unwrap().module
}

fn stage(name: &str, kind: StageKind, wat: &str) -> Stage {
    Stage {
        name: name.to_string(),
        kind,
        module: module(wat),
        offset: 0,
    }
}

fn staged(stages: Vec<Stage>) -> StagedModule {
    StagedModule {
        stages,
        custom_sections: Vec::new(),
    }
}

/// (name, kind, module) of every stage: what a round trip must keep.
fn contents(m: &StagedModule) -> Vec<(String, StageKind, Vec<u8>)> {
    m.stages
        .iter()
        .map(|s| (s.name.clone(), s.kind, s.module.clone()))
        .collect()
}

fn validate_err(m: &StagedModule) -> String {
    match m.validate() {
        Ok(()) => panic!("validate accepted {:?}", contents(m)),
        Err(e) => e.to_string(),
    }
}

fn swasm_err(bytes: &[u8]) -> FrontendError {
    match parse_swasm(bytes) {
        Ok(m) => panic!("parse_swasm accepted {bytes:x?}: {:?}", contents(&m)),
        Err(e) => e,
    }
}

#[test]
fn swat_parses_stages_in_order() {
    let m = swat(LAYOUT);
    let names: Vec<(&str, StageKind)> =
        m.stages.iter().map(|s| (s.name.as_str(), s.kind)).collect();
    assert_eq!(
        names,
        [
            ("layout", StageKind::Pre),
            ("rt", StageKind::Single),
            ("main", StageKind::Multi)
        ]
    );
    assert!(m.stages.iter().all(|s| s.offset == 0));
    assert!(m.custom_sections.is_empty());
    m.validate().unwrap();
    assert_eq!(m.references(0).unwrap(), []);
    assert_eq!(m.references(1).unwrap(), [(0, 0)]);
    // `env.log` is not a stage reference.
    assert_eq!(m.references(2).unwrap(), [(0, 0), (1, 1), (2, 1)]);
    let e = m.references(3).unwrap_err();
    assert!(
        matches!(
            e,
            FrontendError::Staged {
                kind: StagedErrorKind::NoSuchStage { index: 3, .. },
                offset: 0
            }
        ),
        "{e:?}"
    );
    assert!(e.message().starts_with("no stage 3"), "{e}");
}

#[test]
fn swat_single_module_forms() {
    for text in [
        r#"(module (func (export "f") (result i32) (i32.const 1)))"#,
        r#"(func (export "f") (result i32) (i32.const 1))"#,
        r#"(module $m (func (export "f") (result i32) (i32.const 1)))"#,
    ] {
        let m = swat(text);
        assert_eq!(m.stages.len(), 1, "{text}");
        assert_eq!(m.stages[0].name, "main");
        assert_eq!(m.stages[0].kind, StageKind::Multi);
        m.validate().unwrap();
        let parsed = parse(m.stages[0].module.as_slice()).unwrap();
        assert!(parsed.info.export("f").is_some());
    }
    // An empty staged module is well-formed.
    assert_eq!(swat("(staged)"), StagedModule::default());
}

#[test]
fn stage_kind_codes_and_names() {
    for (kind, code, name) in [
        (StageKind::Pre, 0, "pre"),
        (StageKind::Single, 1, "single"),
        (StageKind::Multi, 2, "multi"),
    ] {
        assert_eq!(kind.code(), code);
        assert_eq!(StageKind::from_code(code), Some(kind));
        assert_eq!(kind.to_string(), name);
    }
    assert_eq!(StageKind::from_code(3), None);
}

#[test]
fn swat_syntax_errors_have_line_and_column() {
    let cases = [
        (
            "(staged\n  (stage pre (module)))",
            "2:10: expected a stage name",
        ),
        (
            "(staged\n  (stage $a early (module)))",
            "2:13: expected a stage kind",
        ),
        (
            "(staged (stage $a pre))",
            "1:22: expected the stage's `(module ...)`",
        ),
        (
            "(staged (stage $a pre (module)) oops)",
            "1:33: expected `(`",
        ),
        (
            "(staged (stage $a multi (module\n (func (i32.const 1 2 oops)))))",
            "2:21: expected an instruction",
        ),
        (
            "(staged (stage $a multi (module (func (call $nope)))))",
            "1:45: unknown func: failed to find name `$nope`",
        ),
        ("(component)", "1:2: components are not supported"),
        ("(staged", "1:8: expected `)`"),
        ("", "expected at least one module field"),
    ];
    for (text, expected) in cases {
        let e = parse_swat(text).expect_err(text);
        let message = e.message();
        assert!(
            message.starts_with(expected) || message.contains(expected),
            "{text:?}: got `{message}`, expected `{expected}`"
        );
        assert!(matches!(e, FrontendError::Text { .. }), "{e:?}");
        assert!(
            e.offset() <= text.len() as u64,
            "{text:?}: offset {}",
            e.offset()
        );
    }
}

#[test]
fn round_trip_keeps_stages_and_custom_sections() {
    let mut layout = swat(LAYOUT);
    layout.custom_sections = vec![
        ("producers".into(), b"stagec test".to_vec()),
        (String::new(), Vec::new()),
        ("\u{e9}t\u{e9}".into(), vec![0, 1, 2, 0xff]),
    ];
    let big = "x".repeat(300);
    let cases = [
        layout,
        swat(r#"(module (func (export "f")))"#),
        StagedModule::default(),
        staged(vec![
            stage("a", StageKind::Pre, "(module)"),
            stage("b", StageKind::Pre, "(module)"),
            stage(&big, StageKind::Single, "(module (memory 1))"),
        ]),
        // Not valid (order), but the container does not care.
        staged(vec![
            stage("m", StageKind::Multi, "(module)"),
            stage("p", StageKind::Pre, "(module)"),
        ]),
    ];
    for original in cases {
        let bytes = encode_swasm(&original);
        assert!(is_swasm(&bytes));
        let parsed = parse_swasm(&bytes).unwrap_or_else(|e| panic!("parse_swasm: {e}"));
        assert_eq!(contents(&parsed), contents(&original));
        assert_eq!(parsed.custom_sections, original.custom_sections);
        for s in &parsed.stages {
            assert_eq!(bytes[s.offset as usize], 0x01, "stage `{}` offset", s.name);
        }
        // Re-encoding what was read gives the same bytes.
        assert_eq!(encode_swasm(&parsed), bytes);
    }
}

#[test]
fn is_swasm_checks_the_whole_header() {
    assert!(is_swasm(b"\0asm\x01\x00\x53\x47"));
    assert!(!is_swasm(b"\0asm\x01\x00\x00\x00"));
    assert!(!is_swasm(b"\0asm\x01\x00\x53"));
    assert!(!is_swasm(b""));
}

/// A reader that counts the bytes taken from it.
struct Counting<'a> {
    data: &'a [u8],
    consumed: Rc<Cell<usize>>,
}

impl Read for Counting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.data.read(buf)?;
        self.consumed.set(self.consumed.get() + n);
        Ok(n)
    }
}

fn section(out: &mut Vec<u8>, id: u8, body: &[u8]) {
    out.push(id);
    let mut len = body.len() as u32;
    loop {
        let byte = (len & 0x7f) as u8;
        len >>= 7;
        if len == 0 {
            out.push(byte);
            break;
        }
        out.push(byte | 0x80);
    }
    out.extend_from_slice(body);
}

fn name_bytes(name: &str) -> Vec<u8> {
    let mut out = vec![name.len() as u8];
    out.extend_from_slice(name.as_bytes());
    out
}

fn stage_body(kind: u8, name: &str, module: &[u8]) -> Vec<u8> {
    let mut body = vec![kind];
    body.extend(name_bytes(name));
    body.extend_from_slice(module);
    body
}

#[test]
fn streaming_reader_stops_after_each_stage() {
    let m = swat(LAYOUT);
    // Custom sections between and after stages, by hand: `encode_swasm` puts them first.
    let mut bytes = b"\0asm\x01\x00\x53\x47".to_vec();
    let mut ends = Vec::new();
    for (i, s) in m.stages.iter().enumerate() {
        let mut custom = name_bytes(&format!("before-{i}"));
        custom.extend_from_slice(&[i as u8; 3]);
        section(&mut bytes, 0, &custom);
        section(
            &mut bytes,
            1,
            &stage_body(s.kind.code(), &s.name, &s.module),
        );
        ends.push(bytes.len());
    }
    section(&mut bytes, 0, &name_bytes("trailer"));

    let consumed = Rc::new(Cell::new(0));
    let mut reader = SwasmReader::new(Counting {
        data: &bytes,
        consumed: consumed.clone(),
    })
    .unwrap();
    assert_eq!(consumed.get(), 8, "the header alone");
    for (k, expected) in m.stages.iter().enumerate() {
        let got = reader.next_stage().unwrap().expect("a stage");
        assert_eq!(got.name, expected.name);
        assert_eq!(got.kind, expected.kind);
        assert_eq!(got.module, expected.module);
        assert_eq!(
            consumed.get(),
            ends[k],
            "after stage {k}: read {} bytes, its section ends at {}",
            consumed.get(),
            ends[k]
        );
        assert_eq!(reader.offset(), ends[k] as u64);
        assert_eq!(reader.custom_sections().len(), k + 1);
    }
    assert_eq!(reader.next_stage().unwrap(), None);
    assert_eq!(consumed.get(), bytes.len());
    let names: Vec<&str> = reader
        .custom_sections()
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(names, ["before-0", "before-1", "before-2", "trailer"]);
    assert_eq!(reader.next_stage().unwrap(), None, "end stays the end");

    // The whole-buffer parser agrees, offsets included.
    let parsed = parse_swasm(&bytes).unwrap();
    assert_eq!(contents(&parsed), contents(&m));
    for (k, s) in parsed.stages.iter().enumerate() {
        let start = if k == 0 { 0 } else { ends[k - 1] };
        assert!(s.offset > start as u64 && s.offset < ends[k] as u64);
        assert_eq!(bytes[s.offset as usize], 1);
    }
}

#[test]
fn streaming_reader_returns_a_stage_before_the_rest_arrives() {
    // A stream whose second stage is cut off: the first stage is still delivered.
    let bytes = encode_swasm(&swat(LAYOUT));
    let cut = parse_swasm(&bytes).unwrap().stages[1].offset as usize + 5;
    let mut reader = SwasmReader::new(&bytes[..cut]).unwrap();
    assert_eq!(reader.next_stage().unwrap().unwrap().name, "layout");
    let e = reader.next_stage().unwrap_err();
    assert!(e.message().contains("unexpected end of input"), "{e}");
    assert!(
        matches!(
            e,
            FrontendError::Staged {
                kind: StagedErrorKind::SectionPastEnd { .. },
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.offset(), cut as u64);
}

#[test]
fn malformed_swasm_is_an_error_with_its_offset() {
    let header = b"\0asm\x01\x00\x53\x47".to_vec();
    let with = |sections: &[u8]| [header.as_slice(), sections].concat();
    let good = module("(module)");
    let mut empty_module = header.clone();
    section(&mut empty_module, 1, &stage_body(2, "main", &[]));
    let mut bad_kind = header.clone();
    section(&mut bad_kind, 1, &stage_body(3, "main", &good));
    let mut bad_utf8 = header.clone();
    section(&mut bad_utf8, 1, &[2, 2, 0xc3, 0x28, 0, b'a', b's', b'm']);
    let mut bad_custom_name = header.clone();
    section(&mut bad_custom_name, 0, &[1, 0xff]);
    let mut long_name = header.clone();
    section(&mut long_name, 1, &[2, 9, b'a']);
    let cases: Vec<(&str, Vec<u8>, &str, u64)> = vec![
        ("empty", vec![], "unexpected end of input in the header", 0),
        (
            "bad magic",
            b"\0wasm\x01\x00SG".to_vec(),
            "bad magic number",
            0,
        ),
        ("short bad magic", b"ab".to_vec(), "bad magic number", 0),
        (
            "truncated header",
            b"\0asm\x01\x00".to_vec(),
            "end of input in the header",
            6,
        ),
        (
            "core module",
            b"\0asm\x01\x00\x00\x00".to_vec(),
            "core module",
            4,
        ),
        (
            "component",
            b"\0asm\x0d\x00\x01\x00".to_vec(),
            "version 0d 00 01 00",
            4,
        ),
        (
            "unknown section",
            with(&[0x02, 0x00]),
            "unknown section id 0x02",
            8,
        ),
        (
            "truncated size",
            with(&[0x01]),
            "unexpected end of input in a section size",
            9,
        ),
        (
            "size past end",
            with(&[0x01, 0x10, 0x02]),
            "section of 16 bytes",
            11,
        ),
        (
            "size too long",
            with(&[0x01, 0x80, 0x80, 0x80, 0x80, 0x80]),
            "integer representation too long",
            13,
        ),
        (
            "size too large",
            with(&[0x01, 0xff, 0xff, 0xff, 0xff, 0x7f]),
            "integer too large",
            13,
        ),
        (
            "empty stage section",
            with(&[0x01, 0x00]),
            "expected a stage kind",
            10,
        ),
        ("bad kind", bad_kind, "unknown stage kind 0x03", 10),
        (
            "name past section",
            long_name,
            "stage name of 9 bytes runs past",
            11,
        ),
        (
            "non-UTF-8 name",
            bad_utf8,
            "stage name is not valid UTF-8",
            12,
        ),
        (
            "non-UTF-8 custom name",
            bad_custom_name,
            "custom section name is not valid UTF-8",
            11,
        ),
        (
            "empty module",
            empty_module,
            "stage `main` (multi) has an empty module",
            16,
        ),
    ];
    for (what, bytes, message, offset) in cases {
        let e = swasm_err(&bytes);
        assert!(
            e.message().contains(message),
            "{what}: `{e}` lacks `{message}`"
        );
        assert_eq!(e.offset(), offset, "{what}: `{e}`");
        assert!(matches!(e, FrontendError::Staged { .. }), "{what}: {e:?}");
        assert!(e.to_string().contains(&format!("(at offset {offset:#x})")));
        // The streaming reader reports the same error.
        let streamed = SwasmReader::new(bytes.as_slice()).and_then(|mut r| {
            while r.next_stage()?.is_some() {}
            Ok(())
        });
        assert_eq!(streamed.unwrap_err().to_string(), e.to_string(), "{what}");
    }
}

#[test]
fn structure_errors_name_stages_and_imports() {
    let empty = "(module)";
    let cases: Vec<(Vec<Stage>, &str)> = vec![
        (
            vec![stage("", StageKind::Multi, empty)],
            "stage 0 (multi) has an empty name",
        ),
        (
            vec![
                stage("a", StageKind::Pre, empty),
                stage("b", StageKind::Pre, empty),
                stage("a", StageKind::Single, empty),
            ],
            "stage name `a` is used twice (stages 0 and 2): stage names must be unique",
        ),
        (
            vec![
                stage("main", StageKind::Multi, empty),
                stage("rt", StageKind::Single, empty),
            ],
            "stage `rt` (single) comes after stage `main` (multi): a multi stage must be last",
        ),
        (
            vec![
                stage("a", StageKind::Multi, empty),
                stage("b", StageKind::Multi, empty),
            ],
            "stage `b` (multi) comes after stage `a` (multi): a multi stage must be last",
        ),
        (
            vec![
                stage("main", StageKind::Multi, empty),
                stage("p", StageKind::Pre, empty),
            ],
            "stage `p` (pre) comes after stage `main` (multi): a multi stage must be last",
        ),
        (
            vec![
                stage("rt", StageKind::Single, empty),
                stage("layout", StageKind::Pre, empty),
            ],
            "stage `layout` (pre) comes after single stage `rt`",
        ),
        (
            vec![
                stage(
                    "a",
                    StageKind::Pre,
                    r#"(module (import "b" "x" (global i32)))"#,
                ),
                stage(
                    "b",
                    StageKind::Single,
                    r#"(module (global (export "x") i32 (i32.const 1)))"#,
                ),
            ],
            "stage `a` imports `b`.`x`, but stage `b` comes later: stages may only reference \
             earlier stages",
        ),
        (
            vec![stage(
                "main",
                StageKind::Multi,
                r#"(module (import "env" "f" (func)) (import "main" "g" (func)))"#,
            )],
            "stage `main` imports `main`.`g`, but that is stage `main` itself: stages may only \
             reference earlier stages",
        ),
        (
            vec![Stage {
                name: "main".into(),
                kind: StageKind::Multi,
                module: b"\0asm\x02\0\0\0".to_vec(),
                offset: 0,
            }],
            "stage `main`: unknown binary version",
        ),
        (
            // Invalid in a function body: caught too.
            vec![
                stage("pre", StageKind::Pre, empty),
                stage(
                    "main",
                    StageKind::Multi,
                    "(module (func (result i32) (i64.const 1)))",
                ),
            ],
            "stage `main`: type mismatch",
        ),
        (
            // Invalid at module level.
            vec![stage(
                "rt",
                StageKind::Single,
                r#"(module (export "f" (func 0)) (func))"#,
            )],
            "",
        ),
        // Multi-memory is valid; a 32-bit address into a 64-bit memory is not.
        (
            vec![stage(
                "rt",
                StageKind::Single,
                "(module (memory 1) (memory 1))",
            )],
            "",
        ),
        (
            vec![stage(
                "rt",
                StageKind::Single,
                "(module (memory i64 1) (func (drop (i32.load (i32.const 0)))))",
            )],
            "stage `rt`: type mismatch",
        ),
    ];
    for (stages, expected) in cases {
        let m = staged(stages);
        if expected.is_empty() {
            m.validate().unwrap();
            continue;
        }
        let e = validate_err(&m);
        assert!(e.contains(expected), "got `{e}`, expected `{expected}`");
    }
}

#[test]
fn structure_errors_in_swasm_point_at_the_stage_section() {
    let m = staged(vec![
        stage("main", StageKind::Multi, "(module)"),
        stage("rt", StageKind::Single, "(module)"),
    ]);
    let read = parse_swasm(&encode_swasm(&m)).unwrap();
    let e = read.validate().unwrap_err();
    assert_eq!(e.offset(), read.stages[1].offset);
    // Errors inside a stage's module keep the module's own offsets.
    let m = staged(vec![stage(
        "main",
        StageKind::Multi,
        "(module (func (result i32) (i64.const 1)))",
    )]);
    let direct = m.validate().unwrap_err();
    let read = parse_swasm(&encode_swasm(&m)).unwrap();
    assert_eq!(read.validate().unwrap_err().to_string(), direct.to_string());
    assert!(direct.offset() < m.stages[0].module.len() as u64);
    // The stage's error is the source of the one naming the stage.
    let FrontendError::InStage { stage, source } = &direct else {
        panic!("{direct:?}")
    };
    assert_eq!(stage, "main");
    assert!(matches!(**source, FrontendError::Wasm(_)), "{source:?}");
    let inner = std::error::Error::source(&direct).expect("a source");
    assert_eq!(inner.to_string(), source.to_string());
    assert_eq!(direct.to_string(), format!("stage `main`: {source}"));
}

#[test]
fn valid_orders() {
    let empty = "(module)";
    for kinds in [
        &[][..],
        &[StageKind::Multi],
        &[StageKind::Pre],
        &[StageKind::Single, StageKind::Single],
        &[
            StageKind::Pre,
            StageKind::Pre,
            StageKind::Single,
            StageKind::Multi,
        ],
        &[StageKind::Pre, StageKind::Multi],
    ] {
        let stages = kinds
            .iter()
            .enumerate()
            .map(|(i, k)| stage(&format!("s{i}"), *k, empty))
            .collect();
        staged(stages).validate().unwrap();
    }
}

/// Every prefix, and every single-byte change at many positions, of a valid `.swasm` is
/// read without a panic, by both readers.
#[test]
fn corrupted_swasm_never_panics() {
    let mut m = swat(LAYOUT);
    m.custom_sections.push(("meta".into(), b"data".to_vec()));
    let bytes = encode_swasm(&m);
    let check = |input: &[u8]| {
        let whole = parse_swasm(input);
        let streamed = SwasmReader::new(input).and_then(|mut r| {
            let mut stages = Vec::new();
            while let Some(s) = r.next_stage()? {
                stages.push(s);
            }
            Ok(stages)
        });
        match (&whole, &streamed) {
            (Ok(w), Ok(s)) => {
                assert_eq!(&w.stages, s);
                // A container that reads may still hold garbage modules: no panic there.
                let _ = w.validate();
                for i in 0..w.stages.len() {
                    let _ = w.references(i);
                }
            }
            (Err(w), Err(s)) => assert_eq!(w.to_string(), s.to_string()),
            _ => panic!("the readers disagree on {input:x?}"),
        }
    };
    for len in 0..=bytes.len() {
        check(&bytes[..len]);
    }
    // Every value at the structural positions (the header; each section's id, size, kind
    // and name), a few values at a stride through the modules' bytes.
    let mut structural: Vec<usize> = (0..8).collect();
    for s in &parse_swasm(&bytes).unwrap().stages {
        let at = s.offset as usize;
        structural.extend(at..(at + 8).min(bytes.len()));
    }
    structural.push(8); // the custom section, first
    let mut corrupt = bytes.clone();
    for &at in &structural {
        for value in 0..=255 {
            corrupt[at] = value;
            check(&corrupt);
        }
        corrupt[at] = bytes[at];
    }
    for at in (0..bytes.len()).step_by(5) {
        for value in [0x00, 0x01, 0x7f, 0x80, 0xff, bytes[at] ^ 0x01] {
            corrupt[at] = value;
            check(&corrupt);
        }
        corrupt[at] = bytes[at];
    }
}
