//! The STF must build for the OpenVM guest: nothing in its dependency tree may start threads,
//! do I/O or need an async runtime. `cargo tree` says what the tree is.

use std::process::Command;

/// Crates that only make sense on a full OS (runtimes, servers, databases, plugin hosts).
const FORBIDDEN: &[&str] = &[
    "tokio",
    "mio",
    "hyper",
    "reqwest",
    "socket2",
    "redb",
    "wasmtime",
    "cranelift-codegen",
    "rayon",
    "tempfile",
    "tracing-subscriber",
    "keel-storage",
    "keel-plugin-host",
    "keel-sequencer",
    "keel-rpc",
];

#[test]
fn the_dependency_tree_has_no_os_only_crate() {
    let output = Command::new(env!("CARGO"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "tree",
            "--offline",
            "-p",
            "keel-stf",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tree = String::from_utf8(output.stdout).expect("cargo tree prints UTF-8");
    let names: Vec<&str> = tree
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert!(names.contains(&"revm"), "the tree was read: {tree}");
    let found: Vec<&&str> = FORBIDDEN
        .iter()
        .filter(|name| names.contains(name))
        .collect();
    assert!(found.is_empty(), "keel-stf depends on {found:?}:\n{tree}");
}
