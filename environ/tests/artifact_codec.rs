//! The artifact format: a serialized artifact decodes to the same artifact (fixed
//! addresses zeroed), and every way a serialization or an artifact can be broken is a
//! typed error naming what is wrong and where.

use stagec_environ::TrapKind;
use stagec_environ::artifact::{
    Artifact, ArtifactError, CodeRange, LibCall, RelocKind, RelocTarget, Relocation, TrapSite,
};
use stagec_environ::codec::{DecodeError, DecodeErrorKind, Reader, Writer};
use std::error::Error as _;

/// An artifact using every relocation kind and target and two trap sites.
fn sample() -> Artifact {
    let reloc = |offset, kind, target| Relocation {
        offset,
        kind,
        target,
        addend: -4,
    };
    Artifact {
        code: vec![0x90; 64].into(),
        functions: vec![
            CodeRange { offset: 0, len: 16 },
            CodeRange {
                offset: 16,
                len: 16,
            },
        ],
        unit_starts: vec![0, 1],
        entry_trampolines: vec![CodeRange {
            offset: 32,
            len: 32,
        }],
        relocations: vec![
            reloc(4, RelocKind::X86PcRel4, RelocTarget::DefinedFunc(1)),
            reloc(8, RelocKind::Abs8, RelocTarget::Fixed(1)),
            reloc(
                20,
                RelocKind::Arm64Call,
                RelocTarget::LibCall(LibCall::FmaF64),
            ),
        ],
        traps: vec![
            TrapSite {
                code_offset: 2,
                kind: TrapKind::Unreachable,
                wasm_offset: 7,
            },
            TrapSite {
                code_offset: 18,
                kind: TrapKind::OutOfFuel,
                wasm_offset: 9,
            },
        ],
        fixed: vec![0x1000, 0x2000],
    }
}

fn encode(artifact: &Artifact) -> Vec<u8> {
    let mut w = Writer::new();
    artifact.encode(&mut w);
    w.bytes
}

fn decode(bytes: &[u8]) -> Result<Artifact, DecodeError> {
    Artifact::decode(&mut Reader::new(bytes))
}

#[test]
fn an_artifact_round_trips_without_its_fixed_addresses() {
    let artifact = sample();
    let bytes = encode(&artifact);
    let mut r = Reader::new(&bytes);
    let decoded = Artifact::decode(&mut r).unwrap();
    assert!(r.is_empty());
    assert_eq!(decoded.fixed, vec![0, 0]);
    assert_eq!(
        decoded,
        Artifact {
            fixed: vec![0, 0],
            ..artifact
        }
    );
}

#[test]
fn every_truncation_is_a_typed_error_inside_the_input() {
    let bytes = encode(&sample());
    for cut in 0..bytes.len() {
        let e = decode(&bytes[..cut]).unwrap_err();
        assert!(
            matches!(
                e.kind,
                DecodeErrorKind::Truncated { .. } | DecodeErrorKind::LengthExceedsInput { .. }
            ),
            "cut at {cut}: {e}"
        );
        assert!(e.offset <= cut, "cut at {cut}: {e}");
    }
}

/// Offset of the first relocation record: code, 2 functions, 2 unit starts, 1 trampoline,
/// then the relocation count.
fn first_reloc(bytes: &[u8]) -> usize {
    let code = 8 + 64;
    let functions = 8 + 2 * 8;
    let unit_starts = 8 + 2 * 4;
    let trampolines = 8 + 8;
    let at = code + functions + unit_starts + trampolines + 8;
    assert_eq!(
        bytes[at..at + 4],
        4u32.to_le_bytes(),
        "offset of relocation 0"
    );
    at
}

#[test]
fn unknown_tags_name_what_and_the_number() {
    let good = encode(&sample());
    let reloc = first_reloc(&good);
    let traps = reloc + 3 * 18 + 8;
    let cases: [(usize, u8, &str, u64); 4] = [
        (reloc + 4, 9, "relocation kind", 9),
        (reloc + 5, 7, "relocation target", 7),
        // Relocation 2 is a library call: its index past the list.
        (reloc + 2 * 18 + 6, 200, "library call", 200),
        (traps + 4, 0, "trap kind", 0),
    ];
    for (at, byte, what, value) in cases {
        let mut bytes = good.clone();
        bytes[at] = byte;
        let e = decode(&bytes).unwrap_err();
        assert_eq!(e.kind, DecodeErrorKind::Unknown { what, value }, "{e}");
        assert_eq!(
            e.to_string(),
            format!("unknown {what} {value} (at byte {})", e.offset)
        );
        assert!(e.source().is_none());
    }
}

#[test]
fn too_many_fixed_slots_is_refused_before_allocating() {
    let mut bytes = encode(&sample());
    let at = bytes.len() - 8;
    bytes[at..].copy_from_slice(&(1u64 << 40).to_le_bytes());
    let e = decode(&bytes).unwrap_err();
    assert_eq!(
        e.kind,
        DecodeErrorKind::TooMany {
            what: "fixed slots",
            count: 1 << 40
        }
    );
    assert_eq!(e.offset, bytes.len());
}

#[test]
fn an_inconsistent_artifact_decodes_to_its_validation_error() {
    let mut broken = sample();
    broken.relocations[0].target = RelocTarget::DefinedFunc(5);
    let e = decode(&encode(&broken)).unwrap_err();
    assert_eq!(
        e.kind,
        DecodeErrorKind::Artifact(ArtifactError::UnknownFunction { index: 5 })
    );
    assert_eq!(e.offset, 0, "located at the artifact's start");
    assert_eq!(
        e.source().map(|s| s.to_string()).as_deref(),
        Some("relocation to unknown function 5")
    );
}

#[test]
fn validation_names_each_inconsistency() {
    type Breakage = fn(&mut Artifact);
    let cases: [(Breakage, ArtifactError, &str); 7] = [
        (
            |a| a.functions[1].len = 100,
            ArtifactError::FunctionOutsideCode { index: 1 },
            "function 1 lies outside the code",
        ),
        (
            |a| a.entry_trampolines[0].offset = 60,
            ArtifactError::TrampolineOutsideCode { index: 0 },
            "trampoline 0 lies outside the code",
        ),
        (
            |a| a.unit_starts = vec![1],
            ArtifactError::UnitStartsNotIncreasing,
            "unit starts are not an increasing list of function indices",
        ),
        (
            |a| a.relocations[1].offset = 60,
            ArtifactError::RelocationOutsideCode { offset: 60 },
            "relocation at 0x3c lies outside the code",
        ),
        (
            |a| a.relocations[0].target = RelocTarget::DefinedFunc(2),
            ArtifactError::UnknownFunction { index: 2 },
            "relocation to unknown function 2",
        ),
        (
            |a| a.relocations[1].target = RelocTarget::Fixed(2),
            ArtifactError::UnknownFixedSlot { slot: 2 },
            "relocation to unknown fixed slot 2",
        ),
        (
            |a| a.traps.swap(0, 1),
            ArtifactError::TrapSitesUnsorted,
            "trap sites are not sorted inside the code",
        ),
    ];
    assert_eq!(sample().validate(), Ok(()));
    for (breakage, expected, message) in cases {
        let mut artifact = sample();
        breakage(&mut artifact);
        let e = artifact.validate().unwrap_err();
        assert_eq!(e, expected);
        assert_eq!(e.to_string(), message);
    }
}

#[test]
fn reader_errors_locate_what_was_read() {
    let mut w = Writer::new();
    w.u64(1000);
    let mut r = Reader::new(&w.bytes);
    let e = r.bytes("name").unwrap_err();
    assert_eq!(
        e.kind,
        DecodeErrorKind::LengthExceedsInput {
            what: "name",
            len: 1000
        }
    );
    assert_eq!(e.offset, 8);
    assert_eq!(
        e.to_string(),
        "name: length 1000 exceeds the input (at byte 8)"
    );

    let mut w = Writer::new();
    w.u8(0);
    w.bytes(&[0xff, 0xfe]);
    let mut r = Reader::new(&w.bytes);
    r.u8("tag").unwrap();
    let e = r.str("name").unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::NotUtf8 { what: "name" });
    assert_eq!(e.offset, 1, "at the string's start");

    let mut r = Reader::new(&[1, 2]);
    let e = r.u32("count").unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::Truncated { what: "count" });
    assert_eq!(e.to_string(), "truncated count (at byte 0)");

    let r = Reader::new(&[]);
    assert_eq!(
        r.error("trailing bytes").kind,
        DecodeErrorKind::Inconsistent {
            problem: "trailing bytes"
        }
    );
    assert_eq!(
        r.unknown("recipe kind", 3u8).to_string(),
        "unknown recipe kind 3 (at byte 0)"
    );
}
