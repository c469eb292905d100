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

/// C libraries: the guest target has no C toolchain, so without `native-crypto` (as the OpenVM
/// guest builds it) none may be in the tree.
const C_CRYPTO: &[&str] = &["secp256k1-sys", "c-kzg", "blst"];

#[test]
fn the_dependency_tree_has_no_os_only_crate() {
    let tree = tree(&[]);
    let names = names(&tree);
    let found: Vec<&&str> = FORBIDDEN
        .iter()
        .filter(|name| names.contains(name))
        .collect();
    assert!(found.is_empty(), "keel-stf depends on {found:?}:\n{tree}");
}

#[test]
fn without_native_crypto_the_tree_has_no_c_library() {
    let native = tree(&[]);
    assert!(
        C_CRYPTO.iter().all(|name| names(&native).contains(name)),
        "the native build uses the C libraries:\n{native}"
    );
    let guest = tree(&["--no-default-features"]);
    let names = names(&guest);
    let found: Vec<&&str> = C_CRYPTO
        .iter()
        .filter(|name| names.contains(name))
        .collect();
    assert!(
        found.is_empty(),
        "keel-stf without native-crypto depends on {found:?}:\n{guest}"
    );
    assert!(
        names.contains(&"k256"),
        "signatures are recovered with k256:\n{guest}"
    );
}

/// `cargo tree` of keel-stf's normal dependencies, one package per line.
fn tree(extra: &[&str]) -> String {
    let output = // Read at run time: a test binary built in another checkout of the same target dir must
    // not run cargo in a directory that no longer exists.
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into()))
        .current_dir(
            std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into()),
        )
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
        .args(extra)
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tree = String::from_utf8(output.stdout).expect("cargo tree prints UTF-8");
    assert!(names(&tree).contains(&"revm"), "the tree was read: {tree}");
    tree
}

fn names(tree: &str) -> Vec<&str> {
    tree.lines()
        .filter_map(|line| line.split_whitespace().next())
        .collect()
}
