//! Long operations draw live progress on a terminal and stay plain log lines otherwise:
//! `keel deploy` run under a pseudo-terminal (util-linux `script`) shows a spinner line for the
//! deployment and one per contract; piped, it prints the same steps as log lines with no
//! terminal control codes.

use std::process::Command;

use eyre::ensure;
use keel_e2e::{Anvil, AnvilOptions, KeelBinary, default_config_path, settlement::keel_command};

#[tokio::test(flavor = "multi_thread")]
async fn keel_deploy_shows_progress_on_a_terminal_and_log_lines_in_a_pipe() -> eyre::Result<()> {
    let dir = tempfile::tempdir()?;
    let anvil = Anvil::spawn(AnvilOptions::automine(), dir.path().join("anvil.log")).await?;
    let keel = KeelBinary::locate()?;
    let config = default_config_path().to_string_lossy().into_owned();

    // Piped: log lines, no escape codes.
    let piped_dir = dir.path().join("piped");
    let piped = keel_command(
        &keel,
        &anvil,
        &[
            "deploy",
            "--config",
            &config,
            "--datadir",
            &piped_dir.to_string_lossy(),
        ],
        &[],
    )?;
    let log = String::from_utf8_lossy(&piped.stderr);
    ensure!(piped.status.success(), "keel deploy failed: {log}");
    ensure!(
        log.contains("KeelTimelock deployed")
            && !log.contains('\u{1b}')
            && !log.contains("pb_show"),
        "piped keel deploy should log plain lines:\n{log}"
    );

    // On a terminal: spinners for the deployment and each contract, with elapsed time.
    let tty_dir = dir.path().join("tty");
    let command = format!(
        "{} deploy --config {config} --datadir {}",
        keel.path().display(),
        tty_dir.display()
    );
    let script = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("KEEL_L1__RPC_URL", anvil.rpc_url())
        .output();
    let script = match script {
        Ok(output) => output,
        Err(e) => eyre::bail!("cannot run `script` (util-linux) for a pseudo-terminal: {e}"),
    };
    let screen = String::from_utf8_lossy(&script.stdout);
    ensure!(
        script.status.success(),
        "keel deploy on a terminal failed:\n{screen}"
    );
    let spinner_line = |text: &str| {
        screen
            .split(['\r', '\n'])
            .any(|line| line.contains(text) && line.contains('\u{1b}') && line.contains("0s"))
    };
    ensure!(
        spinner_line("deploying Keel's L1 contracts")
            && spinner_line("what=\"deploy OnChainProposer\""),
        "no progress lines on the terminal:\n{screen}"
    );
    Ok(())
}
