//! Staged formats never panic: arbitrary bytes as `.swasm` (whole and through the
//! streaming reader, which must agree), as `.swat` text, and as `--preimport`-style
//! inputs to `Module::from_staged`; plus valid staged modules built from wasm-smith
//! stages with a mutated container.
#![no_main]

#[path = "../../tests/tests/common/differential.rs"]
mod differential;

use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static ENGINE: LazyLock<stagec::Engine> = LazyLock::new(differential::stagec_engine);

fn compile(staged: &stagec::StagedModule) {
    let _ = stagec::Module::from_staged(&ENGINE, staged, &stagec::Preimports::new());
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 3 {
        0 => {
            // `.swasm`: the whole-buffer parser and the streaming reader agree.
            let whole = stagec_frontend::parse_swasm(rest);
            let mut streamed = Vec::new();
            let stream_ok = match stagec_frontend::SwasmReader::new(rest) {
                Ok(mut reader) => loop {
                    match reader.next_stage() {
                        Ok(Some(stage)) => streamed.push(stage),
                        Ok(None) => break true,
                        Err(_) => break false,
                    }
                },
                Err(_) => false,
            };
            assert_eq!(
                whole.is_ok(),
                stream_ok,
                "parse_swasm and SwasmReader disagree"
            );
            if let Ok(staged) = whole {
                assert_eq!(staged.stages.len(), streamed.len());
                compile(&staged);
            }
        }
        1 => {
            // `.swat` text.
            if let Ok(text) = std::str::from_utf8(rest) {
                if let Ok(staged) = stagec_frontend::parse_swat(text) {
                    let _ = staged.validate();
                    compile(&staged);
                }
            }
        }
        _ => {
            // Valid core modules as stages, the container then damaged at one byte.
            let Some((&kinds, rest)) = rest.split_first() else {
                return;
            };
            let half = rest.len() / 2;
            let mut stages = Vec::new();
            for (i, part) in [&rest[..half], &rest[half..]].iter().enumerate() {
                if let Some(module) = differential::generate_from_data(part) {
                    let kind = match (kinds >> (2 * i)) & 3 {
                        0 => stagec::StageKind::Pre,
                        1 => stagec::StageKind::Single,
                        _ => stagec::StageKind::Multi,
                    };
                    stages.push(stagec::Stage {
                        name: format!("s{i}"),
                        kind,
                        module,
                        offset: 0,
                    });
                }
            }
            let staged = stagec::StagedModule {
                stages,
                custom_sections: Vec::new(),
            };
            compile(&staged);
            let mut bytes = stagec_frontend::encode_swasm(&staged);
            if !bytes.is_empty() {
                let at = (kinds as usize * 7919) % bytes.len();
                bytes[at] ^= 1 << (kinds % 8);
            }
            if let Ok(staged) = stagec_frontend::parse_swasm(&bytes) {
                compile(&staged);
            }
        }
    }
});
