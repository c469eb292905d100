//! The external tools `keel plugin build` drives: cargo, rustup and wasm-tools, run as child
//! processes in the plugin crate's directory (so its `rust-toolchain.toml` and
//! `.cargo/config.toml` apply, as they would for `cargo build` typed there).

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use eyre::{WrapErr, bail};

/// The only target a plugin's core module is built for.
pub(super) const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// The wasm-tools release `plugins/build.sh` installs (1.263.0 needs rustc >= 1.88).
const WASM_TOOLS_INSTALL: &str = "cargo install wasm-tools --version 1.263.0 --locked \
     --no-default-features --features component,validate,print,parse,strip,metadata";

/// `program args…` run in `dir`.
pub(super) fn command(program: impl AsRef<std::ffi::OsStr>, dir: &Path) -> Command {
    let mut command = Command::new(program);
    command.current_dir(dir);
    command
}

/// Runs `command` to completion and returns its stdout; on failure the error names the command,
/// its directory and its exit status, and carries its output.
pub(super) fn output(command: &mut Command) -> eyre::Result<String> {
    let output = command
        .output()
        .wrap_err_with(|| format!("cannot run {}", describe(command)))?;
    if !output.status.success() {
        bail!(
            "{} failed ({}):\n{}{}",
            describe(command),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    String::from_utf8(output.stdout)
        .wrap_err_with(|| format!("{} printed something other than UTF-8", describe(command)))
}

/// Runs `command` with the terminal as its stdout and stderr (a build the author watches).
pub(super) fn stream(command: &mut Command) -> eyre::Result<()> {
    let status = command
        .status()
        .wrap_err_with(|| format!("cannot run {}", describe(command)))?;
    if !status.success() {
        bail!(
            "{} failed ({status}); its errors are above",
            describe(command)
        );
    }
    Ok(())
}

/// `` `program arg…` in DIR ``, for error messages.
fn describe(command: &Command) -> String {
    let line = std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|part| part.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ");
    match command.get_current_dir() {
        Some(dir) => format!("`{line}` in {}", dir.display()),
        None => format!("`{line}`"),
    }
}

/// Installs the Wasm target with rustup when the crate's toolchain lacks it. Without rustup the
/// build goes ahead, and cargo says what is missing.
pub(super) fn ensure_wasm_target(dir: &Path) -> eyre::Result<()> {
    let Ok(installed) = output(command("rustup", dir).args(["target", "list", "--installed"]))
    else {
        return Ok(());
    };
    if !installed.lines().any(|line| line.trim() == WASM_TARGET) {
        eprintln!("==> rustup target add {WASM_TARGET}");
        output(command("rustup", dir).args(["target", "add", WASM_TARGET]))?;
    }
    Ok(())
}

/// `wasm-tools` on PATH, or in cargo's bin directory (`$CARGO_HOME/bin`, else `~/.cargo/bin`),
/// where `cargo install` puts it even when that directory is not on PATH.
pub(super) fn wasm_tools() -> eyre::Result<PathBuf> {
    if Command::new("wasm-tools").arg("--version").output().is_ok() {
        return Ok(PathBuf::from("wasm-tools"));
    }
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")));
    if let Some(path) = cargo_home.map(|home| home.join("bin").join("wasm-tools"))
        && path.is_file()
    {
        return Ok(path);
    }
    bail!(
        "wasm-tools is not installed (not on PATH, nor in $CARGO_HOME/bin or ~/.cargo/bin); run \
         plugins/build.sh of a Keel checkout once, or `{WASM_TOOLS_INSTALL}`"
    )
}
