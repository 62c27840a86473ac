//! What the binaries' command lines share (clap derive).

/// The value parser of counts that must be at least 1 (`--runs`, `--rounds`, ...).
pub fn positive(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// Parses `args` (without the program name) as the command line `P`, after clap's own
/// consistency checks of `P` (`Command::debug_assert`): for the binaries' tests of their
/// flags and defaults.
pub fn try_parse<P: clap::Parser>(args: &[&str]) -> Result<P, clap::Error> {
    let command = P::command();
    command.clone().debug_assert();
    let name = command.get_name().to_string();
    P::try_parse_from(std::iter::once(name.as_str()).chain(args.iter().copied()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, clap::Parser)]
    struct Counts {
        #[arg(long, default_value_t = 2, value_parser = positive)]
        runs: usize,
    }

    #[test]
    fn counts_are_positive() {
        assert_eq!(try_parse::<Counts>(&[]).unwrap().runs, 2);
        assert_eq!(try_parse::<Counts>(&["--runs", "1"]).unwrap().runs, 1);
        let zero = try_parse::<Counts>(&["--runs", "0"])
            .unwrap_err()
            .to_string();
        assert!(zero.contains("must be at least 1"), "{zero}");
        assert!(try_parse::<Counts>(&["--runs", "-1"]).is_err());
    }
}
