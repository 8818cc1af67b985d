//! Embeds every file under `policies/` into the binary, so the built-in pack can never drift
//! from the files that `cargo test` and `kensa policy test` check.

use std::path::PathBuf;

#[path = "src/evaluate/discover.rs"]
mod discover;

fn main() {
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    println!("cargo:rerun-if-changed=policies");
    let files = discover::rego_files(&root.join("policies")).expect("policies/ is readable");
    let mut code = String::from("&[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let rel = f
            .strip_prefix(&root)
            .expect("under the manifest dir")
            .to_string_lossy()
            .replace('\\', "/");
        code.push_str(&format!(
            "    ({rel:?}, include_str!({:?})),\n",
            f.display().to_string()
        ));
    }
    code.push(']');
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("builtin_policies.rs");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}
