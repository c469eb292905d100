//! Locating the `keel` binary under test.

use std::{
    env,
    path::{Path, PathBuf},
};

use eyre::{WrapErr, bail};

/// Environment variable that overrides where the `keel` binary is taken from.
pub const KEEL_BIN_ENV: &str = "KEEL_BIN";

/// Name of the node's executable (package `keel-node`).
pub const KEEL_BIN_NAME: &str = "keel";

/// Path to the `keel` executable that the harness starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeelBinary {
    path: PathBuf,
}

impl KeelBinary {
    /// Uses the executable at `path`, without checking that it exists.
    pub fn at(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// Finds the binary: `$KEEL_BIN` if set, else `<target dir>/<profile>/keel`, next to the
    /// running test executable (tests run from `<target dir>/<profile>/deps/`).
    pub fn locate() -> eyre::Result<Self> {
        if let Some(path) = env::var_os(KEEL_BIN_ENV).filter(|p| !p.is_empty()) {
            let path = PathBuf::from(path);
            if !path.is_file() {
                bail!(
                    "{KEEL_BIN_ENV} is set to {}, which is not a file",
                    path.display()
                );
            }
            return Ok(Self { path });
        }

        let exe =
            env::current_exe().wrap_err("cannot find the path of the running test executable")?;
        let path = profile_dir_of(&exe).join(format!("{KEEL_BIN_NAME}{}", env::consts::EXE_SUFFIX));
        if !path.is_file() {
            bail!(
                "the keel binary was not found at {}; run `cargo build -p keel-node` first (with the \
                 same profile and CARGO_TARGET_DIR as the tests), or point {KEEL_BIN_ENV} at a keel binary",
                path.display()
            );
        }
        Ok(Self { path })
    }

    /// The executable's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// `<target dir>/<profile>` for an executable in `<target dir>/<profile>/deps/` (tests) or directly
/// in `<target dir>/<profile>/` (binaries, examples' parent).
fn profile_dir_of(exe: &Path) -> PathBuf {
    let dir = exe.parent().unwrap_or_else(|| Path::new("."));
    match dir.file_name() {
        Some(name) if name == "deps" || name == "examples" => {
            dir.parent().unwrap_or(dir).to_path_buf()
        }
        _ => dir.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_dir_from_test_executable() {
        assert_eq!(
            profile_dir_of(Path::new("/t/debug/deps/it-0123abcd")),
            PathBuf::from("/t/debug")
        );
        assert_eq!(
            profile_dir_of(Path::new("/t/release/keel")),
            PathBuf::from("/t/release")
        );
        assert_eq!(
            profile_dir_of(Path::new("/t/x86_64-unknown-linux-gnu/debug/deps/it-1")),
            PathBuf::from("/t/x86_64-unknown-linux-gnu/debug")
        );
    }
}
