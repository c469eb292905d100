//! Which program a proof is for.

use alloy_primitives::{B256, keccak256};

/// OpenVM's two commitments to a program: what runs and on which VM. They are the SDK's
/// `AppExecutionCommit`, the pair OpenVM's EVM verifier takes, so one id names the program
/// whichever proof (app, aggregated, EVM) is made of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProgramCommitment {
    /// The app executable commitment: the program, its initial memory and entry point.
    pub exe: B256,
    /// The app VM commitment: a Poseidon2 hash of the app verifying key and of the
    /// aggregation layers' keys over it (the VM's circuits and parameters, as `openvm.toml`
    /// configures them, and how its proofs are aggregated).
    pub vm: B256,
}

impl ProgramCommitment {
    /// The one word Keel pins (`AttestingVerifier.program`, the `openvm` program version):
    /// `keccak256(exe ‖ vm)`.
    pub fn id(&self) -> B256 {
        let mut both = [0u8; 64];
        both[..32].copy_from_slice(self.exe.as_slice());
        both[32..].copy_from_slice(self.vm.as_slice());
        keccak256(both)
    }
}

impl core::fmt::Display for ProgramCommitment {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{} (exe {}, vm {})", self.id(), self.exe, self.vm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_binds_both_commitments() {
        let a = ProgramCommitment {
            exe: B256::repeat_byte(1),
            vm: B256::repeat_byte(2),
        };
        let swapped = ProgramCommitment {
            exe: a.vm,
            vm: a.exe,
        };
        assert_ne!(a.id(), swapped.id());
        assert_eq!(a.id(), keccak256([[1u8; 32], [2u8; 32]].concat()));
    }
}
