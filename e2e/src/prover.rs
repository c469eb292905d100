//! [`Prover`]: a `keel-prover` child process, killed when dropped; its stderr goes to a file.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
};

use eyre::{WrapErr, ensure};

use crate::KeelBinary;

/// A running `keel-prover`.
#[derive(Debug)]
pub struct Prover {
    /// The child process.
    pub child: Child,
    log: PathBuf,
}

impl Prover {
    /// The `keel-prover` binary next to `keel`'s.
    pub fn binary(keel: &KeelBinary) -> eyre::Result<PathBuf> {
        let path = keel.path().with_file_name("keel-prover");
        ensure!(
            path.is_file(),
            "{} is missing: build it with `cargo build -p keel-prover`",
            path.display()
        );
        Ok(path)
    }

    /// Starts `binary --coordinator <coordinator> <args…>`, logging to `<log_dir>/<name>.log`
    /// (the `--name` in `args`, or `prover`).
    pub fn start(
        binary: &Path,
        log_dir: &Path,
        coordinator: SocketAddr,
        args: &[&str],
    ) -> eyre::Result<Self> {
        let name = args
            .windows(2)
            .find(|pair| pair[0] == "--name")
            .map_or("prover", |pair| pair[1]);
        let log = log_dir.join(format!("{name}.log"));
        let child = Command::new(binary)
            .arg("--coordinator")
            .arg(coordinator.to_string())
            .args(args)
            .env_remove("KEEL_PROVER_DEV_KEY")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .spawn()
            .wrap_err_with(|| format!("cannot start {}", binary.display()))?;
        Ok(Self { child, log })
    }

    /// What it logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Prover {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
