//! Sandboxing: nothing outside a preopened directory is reachable, whatever path the
//! program uses (`..`, absolute paths, symlinks pointing out, made by the program or found
//! on the host), and nothing outside it changes.

mod common;

use common::{Entry, Status, cases, program};

#[test]
fn nothing_outside_the_preopen_is_reachable() {
    let engine = stagec::Engine::new(stagec::Config::default()).expect("engine");
    let module = stagec::Module::new(&engine, program("sandbox")).expect("compile");
    let case = cases()
        .into_iter()
        .find(|c| c.label == "sandbox")
        .expect("sandbox case");
    let (outcome, _) = common::run_stagec::run(&engine, &module, &case);
    assert_eq!(outcome.status, Status::Exit(0));
    let stdout = String::from_utf8(outcome.stdout).expect("utf-8");
    let lines: Vec<&str> = stdout.lines().filter(|l| l.contains(" -> ")).collect();
    assert_eq!(lines.len(), 21, "{stdout}");
    let allowed = [
        "read inside",
        "read sub/../inside.txt (stays inside)",
        "symlink up -> ..",
        "symlink rel -> ../secret.txt",
        "read inside again",
    ];
    for line in &lines {
        let (what, result) = line.rsplit_once(" -> ").expect("arrow");
        let what = what.trim_end();
        if allowed.contains(&what) {
            assert!(
                result == "allowed" || result.starts_with("READ 15 bytes: inside"),
                "{line}"
            );
        } else {
            assert!(result.starts_with("denied ("), "escaped: {line}");
        }
    }
    assert!(!stdout.contains("SECRET"), "{stdout}");
    // Outside the box, everything is as it was; inside, only the two symlinks the
    // program made (they exist, but lead nowhere the program can follow).
    let tree = outcome.tree;
    let keys: Vec<&str> = tree.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "box",
            "box/inside.txt",
            "box/out.lnk",
            "box/rel",
            "box/sub",
            "box/up",
            "secret.txt"
        ]
    );
    assert_eq!(tree["secret.txt"], Entry::File(b"TOP SECRET\n".to_vec()));
    assert_eq!(tree["box/up"], Entry::Symlink("..".into()));
    assert_eq!(tree["box/rel"], Entry::Symlink("../secret.txt".into()));
}
