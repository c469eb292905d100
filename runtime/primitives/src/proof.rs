//! What a prover hands the node for L1: one proof part per kind of verifier.
//!
//! `OnChainProposer.verifyBatch(n, proofs)` wants one proof per verifier it requires, in its
//! order. A prover does not know that order (it knows nothing of L1), so it sends
//! [`ProofParts`]: each part tagged with the [`VerifierKind`] that checks it. The node's settler
//! lines them up with the deployment's verifiers; the proof coordinator refuses a proof that
//! lacks a part the deployment requires.

use alloy_primitives::{B256, Bytes, keccak256};
use alloy_rlp::{Decodable, Encodable, RlpDecodable, RlpEncodable};

/// A way of proving batches: what `keel-prover --backend` runs, what a prover announces to the
/// coordinator, and what a stored proof or lease records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum BackendKind {
    /// The stateless STF run natively: no cryptographic proof (development, CI).
    Exec,
    /// The OpenVM guest proven with OpenVM.
    #[cfg_attr(feature = "clap", value(name = "openvm"))]
    OpenVm,
}

/// Which proof the OpenVM backend makes of a batch (`keel-prover --openvm-proof`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum ProofMode {
    /// One STARK per segment and the public values' Merkle proof, verified with the app
    /// verifying key: the cheapest to make, its size grows with the batch.
    #[default]
    App,
    /// The segment proofs aggregated (leaf layer, internal layers, one more recursive wrap)
    /// into one STARK whose size does not depend on the batch, verified with the aggregation
    /// verifying key against the program's baseline. What a halo2 EVM wrapper takes.
    #[cfg_attr(feature = "clap", value(name = "stark"))]
    Aggregated,
    /// The aggregated STARK wrapped by the root verifier and OpenVM's halo2 circuits into a
    /// BN254 proof that `OpenVmVerifier` checks on L1 (a prover built with the `openvm-evm`
    /// feature; needs OpenVM's KZG parameters).
    Evm,
}

impl core::str::FromStr for ProofMode {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        [Self::App, Self::Aggregated, Self::Evm]
            .into_iter()
            .find(|mode| mode.name() == name)
            .ok_or_else(|| {
                format!(
                    "unknown OpenVM proof {name:?}: \"app\" (one STARK per segment), \"stark\" \
                     (aggregated into one) or \"evm\" (halo2, for L1)"
                )
            })
    }
}

impl ProofMode {
    /// Its name on the command line and in proof files' logs: `app`, `stark`, `evm`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::App => "app",
            Self::Aggregated => "stark",
            Self::Evm => "evm",
        }
    }
}

impl BackendKind {
    /// Every backend.
    pub const ALL: [Self; 2] = [Self::Exec, Self::OpenVm];

    /// Its name on the command line, on the wire and in records: `exec`, `openvm`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Exec => "exec",
            Self::OpenVm => "openvm",
        }
    }
}

impl core::fmt::Display for BackendKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// A backend name that is not `exec` or `openvm`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown prover backend {0:?}; expected \"exec\" or \"openvm\"")]
pub struct UnknownBackend(pub String);

impl core::str::FromStr for BackendKind {
    type Err = UnknownBackend;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.name() == name)
            .ok_or_else(|| UnknownBackend(name.to_owned()))
    }
}

/// Recorded by name, so a record stays readable whatever the enum's order.
impl Encodable for BackendKind {
    fn encode(&self, out: &mut dyn alloy_rlp::BufMut) {
        self.name().encode(out);
    }

    fn length(&self) -> usize {
        self.name().length()
    }
}

impl Decodable for BackendKind {
    fn decode(buf: &mut &[u8]) -> alloy_rlp::Result<Self> {
        let name = alloy_rlp::Header::decode_str(buf)?;
        name.parse()
            .map_err(|_| alloy_rlp::Error::Custom("unknown prover backend"))
    }
}

/// A kind of L1 verifier, and so of proof part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VerifierKind {
    /// `DevVerifier`: a registered key's signature over the batch commitment (dev chains only).
    Dev,
    /// `AttestingVerifier`: a registered key verified a zkVM proof of the pinned program and
    /// signs (program, batch commitment).
    Attesting,
    /// `OpenVmVerifier`: OpenVM's EVM (halo2) proof that the pinned program revealed the batch
    /// commitment, checked on L1 by OpenVM's generated verifier.
    OpenVm,
}

impl VerifierKind {
    /// Every kind, in tag order.
    pub const ALL: [Self; 3] = [Self::Dev, Self::Attesting, Self::OpenVm];

    /// Its name in deployment files and messages.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Dev => "dev",
            Self::Attesting => "attesting",
            Self::OpenVm => "openvm",
        }
    }

    /// The kind called `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }

    const fn tag(self) -> u8 {
        match self {
            Self::Dev => 1,
            Self::Attesting => 2,
            Self::OpenVm => 3,
        }
    }
}

impl core::fmt::Display for VerifierKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

impl Encodable for VerifierKind {
    fn encode(&self, out: &mut dyn alloy_rlp::BufMut) {
        self.tag().encode(out);
    }

    fn length(&self) -> usize {
        self.tag().length()
    }
}

impl Decodable for VerifierKind {
    fn decode(buf: &mut &[u8]) -> alloy_rlp::Result<Self> {
        let tag = u8::decode(buf)?;
        Self::ALL
            .into_iter()
            .find(|kind| kind.tag() == tag)
            .ok_or(alloy_rlp::Error::Custom("unknown verifier kind"))
    }
}

/// One verifier's proof.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct ProofPart {
    /// The verifier that checks it.
    pub kind: VerifierKind,
    /// What `IVerifier.verify(commitment, proof)` gets as `proof`.
    pub bytes: Bytes,
}

/// A batch's proof as a prover submits it: at most one part per verifier kind, as an RLP list
/// of `[kind tag, bytes]` pairs. No parts: a proof for a node that settles nowhere (the `exec`
/// backend without a key).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProofParts(Vec<ProofPart>);

/// Why proof bytes are not [`ProofParts`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofPartsError {
    /// Not an RLP list of parts.
    #[error("the proof is not a list of proof parts: {0}")]
    Decode(alloy_rlp::Error),
    /// Two parts of one kind.
    #[error("the proof has two {0} parts")]
    Duplicate(VerifierKind),
}

impl ProofParts {
    /// No parts.
    pub const fn new() -> Self {
        Self(Vec::new())
    }

    /// Adds `bytes` for `kind`, replacing an earlier part of that kind.
    pub fn insert(&mut self, kind: VerifierKind, bytes: Bytes) {
        self.0.retain(|part| part.kind != kind);
        self.0.push(ProofPart { kind, bytes });
    }

    /// The part for `kind`.
    pub fn get(&self, kind: VerifierKind) -> Option<&Bytes> {
        self.0
            .iter()
            .find(|part| part.kind == kind)
            .map(|part| &part.bytes)
    }

    /// The kinds present, in the order they were added.
    pub fn kinds(&self) -> impl Iterator<Item = VerifierKind> + '_ {
        self.0.iter().map(|part| part.kind)
    }

    /// The wire form (what `SubmitProof.proof` carries and the node stores).
    pub fn encode(&self) -> Bytes {
        let mut out = Vec::new();
        alloy_rlp::encode_list::<_, ProofPart>(&self.0, &mut out);
        out.into()
    }

    /// Reads the wire form; the whole input must be one list with no repeated kind.
    pub fn decode(mut bytes: &[u8]) -> Result<Self, ProofPartsError> {
        let parts = Vec::<ProofPart>::decode(&mut bytes).map_err(ProofPartsError::Decode)?;
        if !bytes.is_empty() {
            return Err(ProofPartsError::Decode(alloy_rlp::Error::UnexpectedLength));
        }
        for (i, part) in parts.iter().enumerate() {
            if parts[..i].iter().any(|earlier| earlier.kind == part.kind) {
                return Err(ProofPartsError::Duplicate(part.kind));
            }
        }
        Ok(Self(parts))
    }
}

/// What a development prover key signs to attest a batch (`DevVerifier.digest`):
/// `keccak256(abi.encode(keccak256("keel.dev-verifier.v1"), commitment))`.
///
/// The commitment already names the L2 chain, the batch and its parent, so a signature cannot
/// be replayed onto another batch; the domain word keeps it from meaning anything else.
pub fn dev_attestation_digest(commitment: B256) -> B256 {
    let mut words = [0u8; 64];
    words[..32].copy_from_slice(keccak256("keel.dev-verifier.v1").as_slice());
    words[32..].copy_from_slice(commitment.as_slice());
    keccak256(words)
}

/// What an attesting prover signs once it has verified a zkVM proof that `program` revealed
/// `commitment` (`AttestingVerifier.digest`):
/// `keccak256(abi.encode(keccak256("keel.attesting-verifier.v1"), program, commitment))`.
pub fn attestation_digest(program: B256, commitment: B256) -> B256 {
    let mut words = [0u8; 96];
    words[..32].copy_from_slice(keccak256("keel.attesting-verifier.v1").as_slice());
    words[32..64].copy_from_slice(program.as_slice());
    words[64..].copy_from_slice(commitment.as_slice());
    keccak256(words)
}

/// An `AttestingVerifier` proof: `program (32) ‖ r (32) ‖ s (32) ‖ v (1)`, 97 bytes.
pub fn attestation_proof(program: B256, signature: &[u8; 65]) -> Bytes {
    [program.as_slice(), signature.as_slice()].concat().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_round_trip_and_refuse_garbage() {
        let mut parts = ProofParts::new();
        assert_eq!(ProofParts::decode(&parts.encode()), Ok(ProofParts::new()));
        parts.insert(VerifierKind::Dev, Bytes::from_static(&[1; 65]));
        parts.insert(VerifierKind::Attesting, Bytes::from_static(&[2; 97]));
        parts.insert(VerifierKind::Dev, Bytes::from_static(&[3; 65]));
        let decoded = ProofParts::decode(&parts.encode()).unwrap();
        assert_eq!(decoded, parts);
        assert_eq!(decoded.get(VerifierKind::Dev).unwrap()[0], 3);
        assert_eq!(
            decoded.kinds().collect::<Vec<_>>(),
            [VerifierKind::Attesting, VerifierKind::Dev]
        );

        // The same kind twice, an unknown kind, trailing bytes, not a list.
        let mut twice = Vec::new();
        let dev = ProofPart {
            kind: VerifierKind::Dev,
            bytes: Bytes::new(),
        };
        alloy_rlp::encode_list::<_, ProofPart>(&[dev.clone(), dev], &mut twice);
        assert_eq!(
            ProofParts::decode(&twice),
            Err(ProofPartsError::Duplicate(VerifierKind::Dev))
        );
        assert!(ProofParts::decode(&[0xc3, 0xc2, 0x09, 0x80]).is_err());
        let mut trailing = parts.encode().to_vec();
        trailing.push(0);
        assert!(ProofParts::decode(&trailing).is_err());
        assert!(ProofParts::decode(&[]).is_err());
        assert!(ProofParts::decode(&[0x80]).is_err());
    }

    #[test]
    fn kinds_have_stable_names() {
        for kind in VerifierKind::ALL {
            assert_eq!(VerifierKind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(VerifierKind::from_name("halo2"), None);
        assert_eq!(VerifierKind::Attesting.to_string(), "attesting");
        assert_eq!(VerifierKind::OpenVm.to_string(), "openvm");
        // Tags are the wire form of stored proofs: never renumber them.
        let tags: Vec<u8> = VerifierKind::ALL.iter().map(|k| k.tag()).collect();
        assert_eq!(tags, [1, 2, 3]);
    }

    #[test]
    fn attestation_proof_is_program_then_signature() {
        let proof = attestation_proof(B256::repeat_byte(7), &[9; 65]);
        assert_eq!(proof.len(), 97);
        assert_eq!(&proof[..32], &[7; 32]);
        assert_eq!(&proof[32..], &[9; 65]);
        assert_ne!(
            attestation_digest(B256::ZERO, B256::ZERO),
            dev_attestation_digest(B256::ZERO)
        );
    }
}
