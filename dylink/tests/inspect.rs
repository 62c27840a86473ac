//! `dylink.0` parsing (well-formed and malformed sections) and module inspection.

use stagec::{ExternKind, FuncType, GlobalType, ValType};
use stagec_dylink::{
    Dylink0Problem, DylinkInfo, ExportInfo, ImportInfo, InspectError, ItemType, MemInfo,
    ModuleDescription, flags,
};

fn leb(mut v: u32, out: &mut Vec<u8>) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn name(s: &str, out: &mut Vec<u8>) {
    leb(s.len() as u32, out);
    out.extend_from_slice(s.as_bytes());
}

fn subsection(id: u8, payload: &[u8], out: &mut Vec<u8>) {
    out.push(id);
    leb(payload.len() as u32, out);
    out.extend_from_slice(payload);
}

/// A module whose first section is a custom section `dylink.0` with `contents`, followed
/// by `rest` (raw sections).
fn module_with(contents: &[u8], rest: &[u8]) -> Vec<u8> {
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    let mut section = Vec::new();
    name("dylink.0", &mut section);
    section.extend_from_slice(contents);
    m.push(0);
    leb(section.len() as u32, &mut m);
    m.extend_from_slice(&section);
    m.extend_from_slice(rest);
    m
}

/// Module offset of the `dylink.0` contents in [`module_with`]'s output.
const CONTENTS: usize = 8 + 1 + 1 + 1 + 8;

fn every_subsection() -> Vec<u8> {
    let mut c = Vec::new();
    let mut p = Vec::new();
    for v in [1000, 4, 3, 0] {
        leb(v, &mut p);
    }
    subsection(1, &p, &mut c);
    let mut p = Vec::new();
    leb(2, &mut p);
    name("libb.so", &mut p);
    name("libc2.so", &mut p);
    subsection(2, &p, &mut c);
    let mut p = Vec::new();
    leb(1, &mut p);
    name("counter", &mut p);
    leb(flags::TLS, &mut p);
    subsection(3, &p, &mut c);
    let mut p = Vec::new();
    leb(1, &mut p);
    name("env", &mut p);
    name("maybe", &mut p);
    leb(flags::BINDING_WEAK | flags::UNDEFINED, &mut p);
    subsection(4, &p, &mut c);
    // An unknown subsection is skipped.
    subsection(42, b"whatever", &mut c);
    let mut p = Vec::new();
    leb(1, &mut p);
    name("$ORIGIN/lib", &mut p);
    subsection(5, &p, &mut c);
    c
}

#[test]
fn every_subsection_is_parsed() {
    let m = module_with(&every_subsection(), &[]);
    let info = DylinkInfo::of_module(&m)
        .unwrap()
        .expect("a dylink.0 section");
    assert_eq!(
        info,
        DylinkInfo {
            mem_info: MemInfo {
                memory_size: 1000,
                memory_alignment: 4,
                table_size: 3,
                table_alignment: 0,
            },
            needed: vec!["libb.so".into(), "libc2.so".into()],
            export_info: vec![ExportInfo {
                name: "counter".into(),
                flags: flags::TLS,
            }],
            import_info: vec![ImportInfo {
                module: "env".into(),
                field: "maybe".into(),
                flags: flags::BINDING_WEAK | flags::UNDEFINED,
            }],
            runtime_path: vec!["$ORIGIN/lib".into()],
        }
    );
    assert!(info.is_weak_import("env", "maybe"));
    assert!(!info.is_weak_import("env", "other"));
}

#[test]
fn a_module_without_the_section_has_none() {
    let m = wat::parse_str("(module (func (export \"f\")))").unwrap();
    assert_eq!(DylinkInfo::of_module(&m).unwrap(), None);
}

#[test]
fn truncated_section_names_the_offset() {
    // mem_info declares 4 bytes; the section ends after the first two integers.
    let mut c = Vec::new();
    c.push(1);
    leb(4, &mut c);
    leb(16, &mut c);
    leb(2, &mut c);
    let err = DylinkInfo::of_module(&module_with(&c, &[])).unwrap_err();
    assert_eq!(err.problem, Dylink0Problem::Truncated);
    // The subsection header, whose declared size runs past the section's end.
    assert_eq!(err.offset, CONTENTS);
    // A string cut short inside a subsection that claims the rest of the section.
    let mut c = Vec::new();
    let mut p = Vec::new();
    leb(1, &mut p);
    leb(10, &mut p);
    p.extend_from_slice(b"lib");
    subsection(2, &p, &mut c);
    let err = DylinkInfo::of_module(&module_with(&c, &[])).unwrap_err();
    assert_eq!(err.problem, Dylink0Problem::Truncated);
    assert_eq!(err.offset, CONTENTS + 2 + 2, "at the string's bytes");
    assert!(err.to_string().contains("offset 0x17"), "{err}");
}

#[test]
fn wrong_subsection_sizes_are_errors() {
    // Declared 6 bytes, contents take 4: the two bytes left are not skipped silently.
    let mut c = Vec::new();
    let p = [16, 2, 0, 0, 0, 0];
    subsection(1, &p, &mut c);
    let err = DylinkInfo::of_module(&module_with(&c, &[])).unwrap_err();
    assert_eq!(
        err.problem,
        Dylink0Problem::SubsectionSize {
            id: 1,
            declared: 6,
            used: 4
        }
    );
    assert_eq!(err.offset, CONTENTS);
    // Declared 2 bytes, contents need 4 (the next subsection's bytes are not read).
    let mut c = Vec::new();
    c.extend_from_slice(&[1, 2, 16, 2, 0, 0]);
    subsection(2, &[0], &mut c);
    let err = DylinkInfo::of_module(&module_with(&c, &[])).unwrap_err();
    assert_eq!(
        err.problem,
        Dylink0Problem::SubsectionOverrun { id: 1, declared: 2 }
    );
    assert_eq!(err.offset, CONTENTS);
}

#[test]
fn an_integer_longer_than_32_bits_is_an_error() {
    let c = [1, 5, 0xff, 0xff, 0xff, 0xff, 0x7f];
    let err = DylinkInfo::of_module(&module_with(&c, &[])).unwrap_err();
    assert_eq!(err.problem, Dylink0Problem::IntegerTooLarge);
    assert_eq!(err.offset, CONTENTS + 2);
}

#[test]
fn the_section_must_come_first() {
    // A type section (one type: () -> ()), then dylink.0.
    let types = [1u8, 4, 1, 0x60, 0, 0];
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    m.extend_from_slice(&types);
    let rest = module_with(&every_subsection(), &[]);
    m.extend_from_slice(&rest[8..]);
    let err = DylinkInfo::of_module(&m).unwrap_err();
    assert_eq!(err.problem, Dylink0Problem::NotFirst);
    assert_eq!(err.offset, CONTENTS + types.len());
    assert!(err.to_string().contains("first section"), "{err}");
    // Inspection reports the same error.
    let err = ModuleDescription::parse(&m).unwrap_err();
    assert!(matches!(err, InspectError::Dylink0(ref e) if e.problem == Dylink0Problem::NotFirst));
    assert!(std::error::Error::source(&err).is_some());
}

const INSPECTED: &str = r#"
(module
  (@custom "notes" "first")
  (type $t (func (param i32 i64) (result f32)))
  (import "env" "f" (func (type $t)))
  (import "env" "memory" (memory 1 4))
  (import "env" "table" (table 2 funcref))
  (import "GOT.mem" "x" (global (mut i32)))
  (global $g i32 (i32.const 1234))
  (global $m (mut i64) (i64.const 0))
  (func $h (result i32) i32.const 0)
  (export "h" (func $h))
  (export "g" (global $g))
  (export "m" (global $m))
  (export "mem" (memory 0))
  (@custom "notes" "second")
  (@custom "other" "")
)
"#;

#[test]
fn inspection_lists_imports_exports_and_custom_sections() {
    let bytes = wat::parse_str(INSPECTED).unwrap();
    let d = ModuleDescription::parse(&bytes).unwrap();
    let imports: Vec<_> = d
        .imports
        .iter()
        .map(|i| (i.module.as_str(), i.name.as_str(), i.ty.kind()))
        .collect();
    assert_eq!(
        imports,
        [
            ("env", "f", ExternKind::Func),
            ("env", "memory", ExternKind::Memory),
            ("env", "table", ExternKind::Table),
            ("GOT.mem", "x", ExternKind::Global),
        ]
    );
    assert_eq!(
        d.imports[0].ty,
        ItemType::Func(FuncType::new([ValType::I32, ValType::I64], [ValType::F32]))
    );
    assert!(
        matches!(d.imports[1].ty, ItemType::Memory(m) if m.limits.min == 1 && m.limits.max == Some(4))
    );
    assert!(
        matches!(d.imports[2].ty, ItemType::Table(t) if t.limits.min == 2 && t.element == ValType::FuncRef)
    );
    let mut_i32 = GlobalType {
        ty: ValType::I32,
        mutable: true,
    };
    assert_eq!(d.imports[3].ty, ItemType::Global(mut_i32));

    let exports: Vec<_> = d
        .exports
        .iter()
        .map(|e| (e.name.as_str(), e.ty.kind(), e.index))
        .collect();
    assert_eq!(
        exports,
        [
            ("h", ExternKind::Func, 1),
            ("g", ExternKind::Global, 1),
            ("m", ExternKind::Global, 2),
            ("mem", ExternKind::Memory, 0),
        ]
    );
    assert_eq!(
        d.export("h").unwrap().ty,
        ItemType::Func(FuncType::new([], [ValType::I32]))
    );
    assert_eq!(d.export("g").unwrap().const_value, Some(1234));
    assert_eq!(
        d.export("m").unwrap().const_value,
        None,
        "mutable, and not i32"
    );

    let notes: Vec<_> = d
        .custom_sections_named("notes")
        .map(|c| c.data.as_slice())
        .collect();
    assert_eq!(notes, [b"first".as_slice(), b"second".as_slice()]);
    assert_eq!(d.custom_sections_named("other").count(), 1);
    assert_eq!(
        d.custom_sections_named("other").next().unwrap().data.len(),
        0
    );
    // wat adds a `name` section for the $names.
    let names: Vec<&str> = d.custom_sections.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names.iter().filter(|n| **n != "name").count(),
        3,
        "{names:?}"
    );
    let first = d.custom_sections_named("notes").next().unwrap();
    assert_eq!(&bytes[first.offset..first.offset + 5], b"first");
    assert!(!d.is_shared_library());
    assert_eq!(d.dylink, None);
}

#[test]
fn a_malformed_module_is_an_error_with_its_offset() {
    let mut bytes = wat::parse_str(INSPECTED).unwrap();
    let len = bytes.len();
    bytes.truncate(len - 3);
    let err = ModuleDescription::parse(&bytes).unwrap_err();
    assert!(
        matches!(err, InspectError::Binary(_) | InspectError::Dylink0(_)),
        "{err}"
    );
}

#[test]
fn the_section_prints_every_field() {
    let info = DylinkInfo::of_module(&module_with(&every_subsection(), &[]))
        .unwrap()
        .unwrap();
    assert_eq!(
        info.to_string(),
        "mem_info: memory 1000 bytes at 2^4, table 3 slots at 2^0\n\
         needed: 2\n  libb.so\n  libc2.so\n\
         runtime_path: 1\n  $ORIGIN/lib\n\
         export_info: 1\n  counter [tls]\n\
         import_info: 1\n  env.maybe [weak undefined]\n"
    );
}

#[test]
fn a_real_library_built_by_wasm_ld() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("programs/c");
    let bytes = std::fs::read(dir.join("libweak.so")).unwrap();
    let d = ModuleDescription::parse(&bytes).unwrap();
    assert!(d.is_shared_library());
    let info = d.dylink.as_ref().unwrap();
    assert!(info.is_weak_import("env", "weak_missing_fn"));
    assert!(info.is_weak_import("env", "weak_missing_data"));
    assert!(d.export("overridden").is_some());
    let got: Vec<_> = d
        .imports
        .iter()
        .filter(|i| i.module.starts_with("GOT."))
        .map(|i| format!("{}.{}", i.module, i.name))
        .collect();
    assert_eq!(
        got,
        [
            "GOT.func.weak_missing_fn",
            "GOT.mem.weak_missing_data",
            "GOT.func.overridden"
        ]
    );
    let user = std::fs::read(dir.join("libuser.so")).unwrap();
    let info = DylinkInfo::of_module(&user).unwrap().unwrap();
    assert_eq!(info.needed, ["libfptr.so"]);
}
