//! What a compilation depends on, in a canonical encoding.
//!
//! A recipe is the module's bytes, the code-generation options, every preimport (constants
//! as their type and bits, provider exports as the provider's own recipe, known code as
//! its module's bytes, function index and constants) and the stages
//! instantiated before it. Its hash, with the engine version and target, is the cache key
//! (DESIGN.md §5); a serialized artifact carries the recipe itself, so that loading it can
//! re-create the compile-time state (provider instances) the code refers to.
//!
//! Providers are encoded once each, dependencies first, and referred to by index, so that
//! a provider bound twice is still one instance. Names (files) are kept for messages in a
//! section before the body and are not part of the key: the same provider read from
//! another path is the same input. One encoding serves as both key material and the
//! recipe a serialized artifact carries.

use crate::compiled::StageInfo;
use crate::engine::Engine;
use crate::preimports::{KnownCode, Preimport, Preimports, Provider};
use crate::serialize::ENGINE_VERSION;
use crate::values::Val;
use stagec_codegen::CompileOptions;
use stagec_environ::codec::{DecodeError, Reader, Writer};
use std::collections::HashMap;

/// How the module is compiled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RecipeKind {
    /// [`Module::from_binary`](crate::Module::from_binary): no preimports, no stages.
    Plain = 0,
    /// Specialized on preimports, after eager stages (possibly none).
    Specialized = 1,
}

/// A recipe, decoded into live objects.
pub(crate) struct Decoded {
    pub(crate) kind: RecipeKind,
    pub(crate) bytes: Vec<u8>,
    pub(crate) options: CompileOptions,
    pub(crate) preimports: Preimports,
    pub(crate) stages: Vec<Provider>,
    pub(crate) stage_info: Vec<StageInfo>,
}

/// Encodes a compilation's inputs. `None` when they cannot be encoded: a preimport bound
/// to a live object of some store (`Preimport::Extern`) or to a reference value, which
/// exist only in this process.
pub(crate) fn encode(
    kind: RecipeKind,
    bytes: &[u8],
    options: &CompileOptions,
    preimports: &Preimports,
    stages: &[Provider],
    stage_info: &[StageInfo],
) -> Option<Recipe> {
    let mut enc = Encoder {
        w: Writer::new(),
        providers: HashMap::new(),
        count: 0,
        names: Vec::new(),
    };
    enc.w.u8(kind as u8);
    // Providers first, dependencies before dependents.
    let mut table = Writer::new();
    std::mem::swap(&mut enc.w, &mut table);
    for p in stages {
        enc.provider(p)?;
    }
    enc.collect(preimports)?;
    std::mem::swap(&mut enc.w, &mut table);
    enc.w.u32(enc.count);
    enc.w.bytes.extend_from_slice(&table.bytes);

    enc.w.bytes(bytes);
    enc.w.u64(options.inline_threshold as u64);
    enc.w.u8(options.interruptible as u8);
    enc.w.u8(options.consume_fuel as u8);
    enc.preimports(preimports)?;
    enc.w.len(stages.len());
    for p in stages {
        enc.w.u32(enc.providers[&p.inner.id]);
    }
    enc.w.len(stage_info.len());
    for s in stage_info {
        enc.w.str(&s.name);
        match s.provider {
            None => enc.w.u8(0),
            Some(id) => {
                enc.w.u8(1);
                enc.w.u32(*enc.providers.get(&id)?);
            }
        }
    }
    // The names section first, then the body the key covers.
    let mut names = Writer::new();
    names.len(enc.names.len());
    for name in &enc.names {
        names.str(name);
    }
    let body_start = names.bytes.len();
    names.bytes.extend_from_slice(&enc.w.bytes);
    Some(Recipe {
        bytes: names.bytes,
        body_start,
    })
}

/// An encoded recipe: the providers' names (for messages only), then the body (what the
/// compilation depends on, and what the key hashes).
pub(crate) struct Recipe {
    pub(crate) bytes: Vec<u8>,
    pub(crate) body_start: usize,
}

impl Recipe {
    /// The part of the recipe the key covers (everything but names).
    pub(crate) fn body(&self) -> &[u8] {
        &self.bytes[self.body_start..]
    }
}

struct Encoder {
    w: Writer,
    /// Provider id → index in the provider table.
    providers: HashMap<u64, u32>,
    count: u32,
    /// Provider names, by table index.
    names: Vec<String>,
}

impl Encoder {
    /// Encodes every provider `preimports` reach (into the provider table).
    fn collect(&mut self, preimports: &Preimports) -> Option<()> {
        for (_, _, p) in preimports.iter() {
            match p {
                Preimport::Export { provider, .. } => {
                    self.provider(provider)?;
                }
                Preimport::Value(_) | Preimport::Code(_) => {}
                Preimport::Extern(_) => return None,
            }
        }
        Some(())
    }

    /// Encodes `provider` (after what it depends on) unless already done; its index.
    fn provider(&mut self, provider: &Provider) -> Option<u32> {
        let inner = &provider.inner;
        if let Some(&i) = self.providers.get(&inner.id) {
            return Some(i);
        }
        for stage in &inner.eager {
            self.provider(stage)?;
        }
        self.collect(&inner.preimports)?;
        self.names.push(inner.name.clone());
        self.w.bytes(&inner.bytes);
        self.w.u8(inner.freeze_globals as u8);
        self.w.len(inner.eager.len());
        for stage in &inner.eager {
            let i = self.providers[&stage.inner.id];
            self.w.u32(i);
        }
        self.preimports(&inner.preimports)?;
        let index = self.count;
        self.providers.insert(inner.id, index);
        self.count += 1;
        Some(index)
    }

    /// Encodes a preimport set whose providers are already in the table, in a canonical
    /// order (sorted by module and name).
    fn preimports(&mut self, preimports: &Preimports) -> Option<()> {
        let mut entries: Vec<_> = preimports.iter().collect();
        entries.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        self.w.len(entries.len());
        for (module, name, p) in entries {
            self.w.str(module);
            self.w.str(name);
            match p {
                &Preimport::Value(Val::V128(x)) => {
                    self.w.u8(5);
                    self.w.u64(x as u64);
                    self.w.u64((x >> 64) as u64);
                }
                Preimport::Value(v) => {
                    let (tag, bits) = match *v {
                        Val::I32(x) => (0, x as u32 as u64),
                        Val::I64(x) => (1, x as u64),
                        Val::F32(x) => (2, u64::from(x)),
                        Val::F64(x) => (3, x),
                        Val::V128(_) | Val::FuncRef(_) | Val::ExternRef(_) => return None,
                    };
                    self.w.u8(tag);
                    self.w.u64(bits);
                }
                Preimport::Export { provider, export } => {
                    self.w.u8(4);
                    self.w.u32(*self.providers.get(&provider.inner.id)?);
                    self.w.str(export);
                }
                // Known code: the callee module's bytes, its function and its constants
                // (the copy compiled into this artifact depends on all three).
                Preimport::Code(code) => {
                    self.w.u8(6);
                    self.w.bytes(code.bytes());
                    self.w.u32(code.func());
                    self.preimports(code.preimports())?;
                }
                Preimport::Extern(_) => return None,
            }
        }
        Some(())
    }
}

/// Decodes a recipe written by [`encode`], re-creating its providers.
pub(crate) fn decode(data: &[u8]) -> Result<Decoded, DecodeError> {
    let mut r = Reader::new(data);
    let n = r.len(8, "provider names")?;
    let names = (0..n)
        .map(|_| r.str("provider name").map(str::to_string))
        .collect::<Result<Vec<_>, _>>()?;
    let kind = match r.u8("recipe kind")? {
        0 => RecipeKind::Plain,
        1 => RecipeKind::Specialized,
        k => return Err(r.unknown("recipe kind", k)),
    };
    let count = r.u32("provider count")? as usize;
    let mut providers: Vec<Provider> = Vec::new();
    if count != names.len() {
        return Err(r.error("provider names and providers differ in number"));
    }
    for name in names {
        let bytes = r.bytes("provider bytes")?.to_vec();
        let freeze = r.u8("provider flags")? != 0;
        let n = r.len(4, "provider stages")?;
        let mut eager = Vec::with_capacity(n);
        for _ in 0..n {
            let i = r.u32("provider stage")?;
            eager.push(provider_at(&r, &providers, i)?);
        }
        let preimports = decode_preimports(&mut r, &providers)?;
        providers.push(Provider::from_parts(name, bytes, preimports, freeze, eager));
    }
    let bytes = r.bytes("module bytes")?.to_vec();
    let inline_threshold =
        usize::try_from(r.u64("options")?).map_err(|_| r.error("inline threshold out of range"))?;
    let options = CompileOptions {
        inline_threshold,
        interruptible: r.u8("options")? != 0,
        consume_fuel: r.u8("options")? != 0,
    };
    let preimports = decode_preimports(&mut r, &providers)?;
    let n = r.len(4, "stages")?;
    let mut stages = Vec::with_capacity(n);
    for _ in 0..n {
        let i = r.u32("stage")?;
        stages.push(provider_at(&r, &providers, i)?);
    }
    let n = r.len(9, "stage info")?;
    let mut stage_info = Vec::with_capacity(n);
    for _ in 0..n {
        let name = r.str("stage name")?.to_string();
        let provider = match r.u8("stage kind")? {
            0 => None,
            _ => {
                let i = r.u32("stage provider")?;
                Some(provider_at(&r, &providers, i)?.inner.id)
            }
        };
        stage_info.push(StageInfo { name, provider });
    }
    if !r.is_empty() {
        return Err(r.error("trailing bytes after the recipe"));
    }
    Ok(Decoded {
        kind,
        bytes,
        options,
        preimports,
        stages,
        stage_info,
    })
}

fn provider_at(r: &Reader<'_>, providers: &[Provider], i: u32) -> Result<Provider, DecodeError> {
    providers
        .get(i as usize)
        .cloned()
        .ok_or_else(|| r.unknown("provider", i))
}

fn decode_preimports(
    r: &mut Reader<'_>,
    providers: &[Provider],
) -> Result<Preimports, DecodeError> {
    let n = r.len(17, "preimports")?;
    let mut preimports = Preimports::new();
    for _ in 0..n {
        let module = r.str("preimport module")?.to_string();
        let name = r.str("preimport name")?.to_string();
        let preimport = match r.u8("preimport kind")? {
            0 => Preimport::Value(Val::I32(r.u64("value")? as u32 as i32)),
            1 => Preimport::Value(Val::I64(r.u64("value")? as i64)),
            2 => Preimport::Value(Val::F32(r.u64("value")? as u32)),
            3 => Preimport::Value(Val::F64(r.u64("value")?)),
            5 => {
                let low = r.u64("value")?;
                let high = r.u64("value")?;
                Preimport::Value(Val::V128(u128::from(high) << 64 | u128::from(low)))
            }
            4 => {
                let i = r.u32("provider")?;
                let provider = provider_at(r, providers, i)?;
                Preimport::Export {
                    provider,
                    export: r.str("export name")?.to_string(),
                }
            }
            6 => {
                let bytes = r.bytes("known code bytes")?.to_vec();
                let func = r.u32("known code function")?;
                let constants = decode_preimports(r, providers)?;
                let code = KnownCode::trusted(bytes, constants, func)
                    .map_err(|_| r.error("known code that does not fit its module"))?;
                Preimport::Code(code)
            }
            k => return Err(r.unknown("preimport kind", k)),
        };
        preimports.bind(&module, &name, preimport);
    }
    Ok(preimports)
}

/// The cache key of a compilation (BLAKE3): the engine version and target (code is only
/// valid for the compiler and machine that made it) and the recipe's body (no names).
pub(crate) fn key(engine: &Engine, recipe_body: &[u8]) -> [u8; 32] {
    // BLAKE3: a cryptographic hash (keys must not collide), and several times faster
    // than SHA-256 on the module bytes every lookup hashes.
    let mut h = blake3::Hasher::new();
    h.update(ENGINE_VERSION.as_bytes());
    h.update(&[0]);
    h.update(engine.inner.compiler.target_key().as_bytes());
    h.update(&[0]);
    h.update(recipe_body);
    *h.finalize().as_bytes()
}
