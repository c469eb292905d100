//! The RPC layer parses and answers; it never runs a plugin. The admin API hands plugin loads
//! to the node's plugin manager through `keel_primitives::plugins::PluginAdmin`, so no
//! WebAssembly runtime may be in this crate's tree. `cargo tree` says what the tree is.

use std::process::Command;

/// The plugin host and the runtime it links.
const FORBIDDEN: &[&str] = &["keel-plugin-host", "wasmtime", "cranelift-codegen"];

#[test]
fn the_rpc_layer_links_no_webassembly_runtime() {
    // The cargo running this test (set at run time); the one that built it otherwise.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
    let output = Command::new(cargo)
        .current_dir(
            std::env::var_os("CARGO_MANIFEST_DIR")
                .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into()),
        )
        .args([
            "tree",
            "--offline",
            "-p",
            "keel-rpc",
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
    assert!(names.contains(&"hyper"), "the tree was read: {tree}");
    let found: Vec<&&str> = FORBIDDEN.iter().filter(|n| names.contains(n)).collect();
    assert!(found.is_empty(), "keel-rpc depends on {found:?}:\n{tree}");
}
