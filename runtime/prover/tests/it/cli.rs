//! The `keel-prover` binary.

use std::{process::Stdio, time::Duration};

use crate::{Node, empty_block_batch};

#[tokio::test]
async fn the_binary_exits_non_zero_with_the_refusal() {
    let node = Node::exec(&[empty_block_batch()]).await;
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_keel-prover"))
        .args(["--coordinator", &node.addr.to_string(), "--name", "old"])
        .args(["--program-version", "keel-stf/0.0.0/input-v0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("keel-prover starts");
    let output = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .expect("keel-prover exits")
        .expect("its output");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("program version keel-stf/0.0.0/input-v0 is not accepted for backend exec")
            && stderr.contains(&format!(
                "this node accepts: exec {}",
                keel_stf::PROGRAM_VERSION
            )),
        "{stderr}"
    );
}

#[tokio::test]
async fn the_binary_proves_a_real_batch() {
    let (input, output) = empty_block_batch();
    let node = Node::exec(&[(input, output)]).await;
    let _child = tokio::process::Command::new(env!("CARGO_BIN_EXE_keel-prover"))
        .args(["--coordinator", &node.addr.to_string(), "--name", "bin"])
        .args(["--hold-ms", "10"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("keel-prover starts");
    let proof = node.proof(1).await;
    assert_eq!((proof.output, proof.prover.as_str()), (output, "bin"));
}
