//! The EVM verifier of an OpenVM guest, as `keel-prover --openvm-proof evm
//! --write-evm-verifier DIR` writes it (`keel-prover-openvm`'s `evm` module is the writer):
//! `DIR/keel-openvm-verifier.json` holds the creation code of OpenVM's generated
//! `OpenVmHalo2Verifier` and the two commitments of the program it must have proven. OpenVM's
//! Solidity sources lie next to it (`DIR/src/v2.0/`), for audit; `keel deploy` needs only
//! this file.

use std::path::{Path, PathBuf};

use alloy::primitives::{B256, Bytes, keccak256};
use serde::Deserialize;

use crate::{L1Error, L1Result};

/// The file in the folder.
pub const OPENVM_VERIFIER_FILE: &str = "keel-openvm-verifier.json";

/// OpenVM's generated EVM verifier and the guest it is deployed for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OpenVmVerifierArtifact {
    /// The OpenVM release (major.minor) that generated it.
    pub openvm_version: String,
    /// `OpenVmHalo2Verifier`'s creation code (no constructor arguments).
    pub bytecode: Bytes,
    /// The guest's app executable commitment.
    pub app_exe_commit: B256,
    /// The guest's app VM commitment.
    pub app_vm_commit: B256,
}

impl OpenVmVerifierArtifact {
    /// Reads `dir/keel-openvm-verifier.json`.
    pub fn read(dir: &Path) -> L1Result<Self> {
        let path: PathBuf = dir.join(OPENVM_VERIFIER_FILE);
        let error = |reason: String| {
            L1Error::Mismatch(format!(
                "OpenVM EVM verifier {}: {reason} (write it with `keel-prover --backend openvm \
                 --openvm-proof evm --write-evm-verifier {}`)",
                path.display(),
                dir.display()
            ))
        };
        let text = std::fs::read_to_string(&path).map_err(|e| error(e.to_string()))?;
        let artifact: Self = serde_json::from_str(&text).map_err(|e| error(e.to_string()))?;
        if artifact.bytecode.is_empty() {
            return Err(error("its bytecode is empty".to_owned()));
        }
        if artifact.app_exe_commit.is_zero() || artifact.app_vm_commit.is_zero() {
            return Err(error("a program commitment is zero".to_owned()));
        }
        Ok(artifact)
    }

    /// Keel's id of the program: keccak256(exe ‖ vm), as `OpenVmVerifier.program()` and
    /// `AttestingVerifier.program` have it.
    pub fn program(&self) -> B256 {
        keccak256(
            [
                self.app_exe_commit.as_slice(),
                self.app_vm_commit.as_slice(),
            ]
            .concat(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_file_and_names_it_when_broken() {
        let dir = tempfile::tempdir().unwrap();
        let e = OpenVmVerifierArtifact::read(dir.path())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(OPENVM_VERIFIER_FILE) && e.contains("--write-evm-verifier"),
            "{e}"
        );

        let file = dir.path().join(OPENVM_VERIFIER_FILE);
        let exe = B256::repeat_byte(1);
        let vm = B256::repeat_byte(2);
        std::fs::write(
            &file,
            format!(
                r#"{{"openvmVersion":"2.0","bytecode":"0x6001","appExeCommit":"{exe}","appVmCommit":"{vm}"}}"#
            ),
        )
        .unwrap();
        let artifact = OpenVmVerifierArtifact::read(dir.path()).unwrap();
        assert_eq!(artifact.bytecode, Bytes::from_static(&[0x60, 0x01]));
        assert_eq!(
            artifact.program(),
            keccak256([[1u8; 32], [2u8; 32]].concat())
        );

        std::fs::write(
            &file,
            format!(
                r#"{{"openvmVersion":"2.0","bytecode":"0x","appExeCommit":"{exe}","appVmCommit":"{vm}"}}"#
            ),
        )
        .unwrap();
        let e = OpenVmVerifierArtifact::read(dir.path())
            .unwrap_err()
            .to_string();
        assert!(e.contains("bytecode is empty"), "{e}");
    }
}
