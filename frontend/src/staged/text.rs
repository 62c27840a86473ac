//! The staged text format, `.swat` (DESIGN §3):
//!
//! ```text
//! (staged
//!   (stage $layout pre    (module ...))
//!   (stage $rt     single (module ...))
//!   (stage $main   multi  (module ...)))
//! ```
//!
//! Each `(module ...)` is ordinary WAT, parsed with the `wast` crate. A file holding a
//! plain core module (`(module ...)`, or bare module fields) is a staged module of one
//! `multi` stage named `main`.

use super::{Stage, StageKind, StagedModule};
use crate::FrontendError;
use wast::core::Module;
use wast::parser::{Parse, Parser};

mod kw {
    wast::custom_keyword!(staged);
    wast::custom_keyword!(stage);
    wast::custom_keyword!(pre);
    wast::custom_keyword!(single);
    wast::custom_keyword!(multi);
}

/// The stage name given to a plain core module.
const SINGLE_MODULE_NAME: &str = "main";

/// Parses `.swat` text and encodes every stage's module. Errors read `LINE:COL: message`
/// and carry the byte offset in `text`.
///
/// Only the syntax is checked (and what encoding needs, such as that identifiers resolve);
/// use [`StagedModule::validate`] for the modules' validity and the structure rules.
pub fn parse_swat(text: &str) -> Result<StagedModule, FrontendError> {
    let located = |e: wast::Error| {
        let (line, col) = e.span().linecol_in(text);
        FrontendError::Text {
            line: line + 1,
            column: col + 1,
            source: e,
        }
    };
    let buffer = wast::parser::ParseBuffer::new(text).map_err(located)?;
    let stages = match wast::parser::parse::<Swat<'_>>(&buffer).map_err(located)? {
        Swat::Staged(stages) => stages,
        Swat::Module(wast::Wat::Module(module)) => vec![SwatStage {
            name: SINGLE_MODULE_NAME.to_string(),
            kind: StageKind::Multi,
            module,
        }],
        Swat::Module(wast::Wat::Component(component)) => {
            return Err(located(wast::Error::new(
                component.span,
                "components are not supported: expected `(staged ...)` or `(module ...)`".into(),
            )));
        }
    };
    let stages = stages
        .into_iter()
        .map(|mut stage| {
            Ok(Stage {
                module: stage.module.encode().map_err(located)?,
                name: stage.name,
                kind: stage.kind,
                offset: 0,
            })
        })
        .collect::<Result<_, FrontendError>>()?;
    Ok(StagedModule {
        stages,
        custom_sections: Vec::new(),
    })
}

/// A whole `.swat` file.
enum Swat<'a> {
    Staged(Vec<SwatStage<'a>>),
    Module(wast::Wat<'a>),
}

impl<'a> Parse<'a> for Swat<'a> {
    fn parse(parser: Parser<'a>) -> wast::parser::Result<Self> {
        if !parser.peek2::<kw::staged>()? {
            return Ok(Swat::Module(parser.parse()?));
        }
        parser.parens(|parser| {
            parser.parse::<kw::staged>()?;
            let mut stages = Vec::new();
            while !parser.is_empty() {
                stages.push(parser.parens(SwatStage::parse)?);
            }
            Ok(Swat::Staged(stages))
        })
    }
}

/// `stage $NAME KIND (module ...)`, inside its parentheses.
struct SwatStage<'a> {
    name: String,
    kind: StageKind,
    module: Module<'a>,
}

impl<'a> Parse<'a> for SwatStage<'a> {
    fn parse(parser: Parser<'a>) -> wast::parser::Result<Self> {
        parser.parse::<kw::stage>()?;
        let Some(id) = parser.parse::<Option<wast::token::Id<'a>>>()? else {
            return Err(parser.error("expected a stage name, such as `$main`"));
        };
        let kind = if parser.peek::<kw::pre>()? {
            parser.parse::<kw::pre>()?;
            StageKind::Pre
        } else if parser.peek::<kw::single>()? {
            parser.parse::<kw::single>()?;
            StageKind::Single
        } else if parser.peek::<kw::multi>()? {
            parser.parse::<kw::multi>()?;
            StageKind::Multi
        } else {
            return Err(parser.error("expected a stage kind: `pre`, `single` or `multi`"));
        };
        if !parser.peek2::<wast::kw::module>()? {
            return Err(parser.error("expected the stage's `(module ...)`"));
        }
        let module = parser.parens(|parser| parser.parse())?;
        Ok(SwatStage {
            name: id.name().to_string(),
            kind,
            module,
        })
    }
}
