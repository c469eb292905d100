//! Bindings for the compiled contracts in `contracts/out/` (built by `contracts/build.sh`, whose
//! `--check` keeps them equal to a fresh compile of `contracts/src`).

#![allow(missing_docs, clippy::too_many_arguments, unreachable_pub)]

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    OnChainProposer,
    "../../contracts/out/OnChainProposer.json"
);

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    SequencerRegistry,
    "../../contracts/out/SequencerRegistry.json"
);

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    CommonBridge,
    "../../contracts/out/CommonBridge.json"
);

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    DevVerifier,
    "../../contracts/out/DevVerifier.json"
);

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    AttestingVerifier,
    "../../contracts/out/AttestingVerifier.json"
);

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    OpenVmVerifier,
    "../../contracts/out/OpenVmVerifier.json"
);

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    KeelTimelock,
    "../../contracts/out/KeelTimelock.json"
);

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    L2Bridge,
    "../../contracts/out/L2Bridge.json"
);

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    IVerifier,
    "../../contracts/out/IVerifier.json"
);

/// What `commitBatch` takes of a blob the node committed to: its opening at the challenge.
impl From<&keel_primitives::PostedBlob> for OnChainProposer::BlobOpening {
    fn from(blob: &keel_primitives::PostedBlob) -> Self {
        Self {
            z: blob.binding.z,
            y: blob.binding.y,
            commitment: alloy::primitives::Bytes::copy_from_slice(blob.commitment.as_slice()),
            proof: alloy::primitives::Bytes::copy_from_slice(blob.proof.as_slice()),
        }
    }
}
