//! The README's `cast` lines run as written: the devnet set-up installs `cast` (npm
//! `@foundry-rs/cast-linux-amd64` 1.7.1, in `contracts/node_modules/.bin`), and each line that
//! talks to the L2 is run here with the README's port replaced by the test node's.

use std::process::Command;

use eyre::{WrapErr, ensure};
use keel_e2e::{KeelNode, KeelNodeOptions};

/// `contracts/node_modules/.bin/cast` (installed by `contracts/build.sh`, which CI runs first).
fn cast() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../contracts/node_modules/.bin/cast")
}

/// The README's fenced `cast …` commands that use the devnet L2 (`127.0.0.1:1729`), joined
/// across `\` line continuations, without placeholders (`<…>`, `$…`, `…`).
fn readme_l2_cast_lines() -> eyre::Result<Vec<String>> {
    let readme = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"),
    )?;
    let mut lines = Vec::new();
    let mut current = String::new();
    for line in readme.lines() {
        let line = line.trim();
        if current.is_empty() && !line.starts_with("cast ") {
            continue;
        }
        current.push_str(line.trim_end_matches('\\').trim());
        current.push(' ');
        if !line.ends_with('\\') {
            let command = std::mem::take(&mut current);
            if command.contains("127.0.0.1:1729")
                && !command.contains('<')
                && !command.contains('$')
                && !command.contains('…')
            {
                lines.push(command.trim().to_owned());
            }
        }
    }
    Ok(lines)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_readme_cast_lines_run_as_written() -> eyre::Result<()> {
    let lines = readme_l2_cast_lines()?;
    ensure!(
        lines.len() >= 2,
        "the README has fewer cast lines than expected: {lines:?}"
    );
    let node = KeelNode::spawn(KeelNodeOptions::new().block_time("200ms")).await?;
    let result = async {
        for line in &lines {
            // As a shell runs it (the README quotes signatures), with `cast` on the PATH.
            let line = line.replace("127.0.0.1:1729", &node.rpc_addr().to_string());
            let bin = cast()
                .parent()
                .map(|dir| dir.display().to_string())
                .unwrap_or_default();
            let output = Command::new("bash")
                .arg("-c")
                .arg(&line)
                .env(
                    "PATH",
                    format!("{bin}:{}", std::env::var("PATH").unwrap_or_default()),
                )
                .output()
                .wrap_err_with(|| format!("cannot run `{line}`"))?;
            ensure!(
                output.status.success(),
                "`{line}` failed: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(())
    }
    .await;
    node.finish(result)
}
