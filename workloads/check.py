#!/usr/bin/env python3
"""Runs every workload of manifest.toml through the stagec command line four ways —
specialized (--preimport), the same bindings as runtime imports (--import), the
indirection baseline (--preimport ... --specialize off) and the hand-specialized build —
and checks that all four print the manifest's checksum.

    python3 workloads/check.py [--stagec PATH] [--update] [NAME...]

--update writes the common result into manifest.toml instead (after a rebuild that
changes results); it still refuses if the four ways disagree. The default stagec is
release/stagec in $CARGO_TARGET_DIR, else in the repository's target/ (cargo build
--release -p stagec-cli).
"""

import argparse
import os
import pathlib
import re
import subprocess
import sys
import time
import tomllib

HERE = pathlib.Path(__file__).resolve().parent


def stagec_run(stagec, args):
    start = time.perf_counter()
    done = subprocess.run([stagec, "run", *args], cwd=HERE, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        return f"error: {done.stderr.strip()}", elapsed
    return done.stdout.strip(), elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    target = os.environ.get("CARGO_TARGET_DIR") or str(HERE.parent / "target")
    parser.add_argument("--stagec", default=str(pathlib.Path(target) / "release/stagec"))
    parser.add_argument("--update", action="store_true")
    parser.add_argument("names", nargs="*")
    opts = parser.parse_args()

    manifest_path = HERE / "manifest.toml"
    text = manifest_path.read_text()
    workloads = tomllib.loads(text)["workload"]
    if not workloads:
        sys.exit("manifest.toml lists no workload")
    failed = False
    for w in workloads:
        if opts.names and w["name"] not in opts.names:
            continue
        pre = [a for p in w["preimports"] for a in ("--preimport", p)]
        imp = [a for p in w["preimports"] for a in ("--import", p)]
        invoke = ["--invoke", w["invoke"]]
        ways = {
            "preimport": [w["wasm"], *pre, *invoke],
            "import": [w["wasm"], *imp, *invoke],
            "specialize-off": [w["wasm"], *pre, "--specialize", "off", *invoke],
        }
        if w["hand"]:
            ways["hand"] = [w["hand"], *invoke]
        results = {way: stagec_run(opts.stagec, args) for way, args in ways.items()}
        values = {r for r, _ in results.values()}
        times = " ".join(f"{way} {t:.2f}s" for way, (_, t) in results.items())
        if len(values) != 1:
            failed = True
            print(f"{w['name']}: the ways disagree: {results}")
            continue
        (value,) = values
        if not re.fullmatch(r"-?\d+", value):
            failed = True
            print(f"{w['name']}: {value}")
            continue
        if opts.update:
            block = re.compile(
                r'(name = "' + re.escape(w["name"]) + r'"\n(?:(?!\[\[workload\]\]).*\n)*?checksum = )-?\d+'
            )
            text, n = block.subn(lambda m: m.group(1) + value, text, count=1)
            if n != 1:
                sys.exit(f"{w['name']}: no checksum line to update")
            print(f"{w['name']}: checksum = {value}   ({times}, compile included)")
        elif int(value) != w["checksum"]:
            failed = True
            print(f"{w['name']}: {value}, the manifest says {w['checksum']}")
        else:
            print(f"{w['name']}: ok {value}   ({times}, compile included)")
    if opts.update:
        manifest_path.write_text(text)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
