//! The deployment file: where `keel deploy` put the contracts, and for which L2.

use std::{
    fs,
    path::{Path, PathBuf},
};

use alloy::primitives::{Address, B256};
use keel_primitives::{DataAvailability, VerifierKind};
use serde::{Deserialize, Serialize};

use crate::{L1Error, L1Result};

/// Its default name, inside the node's datadir.
pub const DEPLOYMENT_FILE: &str = "l1-deployment.json";

/// A verifier `OnChainProposer` requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifierDeployment {
    /// What it checks: `dev` (a registered key's signature; dev chains only) or `attesting`
    /// (a registered key verified a STARK proof of the pinned program).
    #[serde(with = "kind_name")]
    pub kind: VerifierKind,
    /// Its address.
    pub address: Address,
    /// The prover keys it accepts (at deployment).
    #[serde(default)]
    pub provers: Vec<Address>,
    /// For `attesting`: the program commitment it pins (at deployment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program: Option<B256>,
}

/// [`VerifierKind`] by its name.
mod kind_name {
    use keel_primitives::VerifierKind;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub(super) fn serialize<S: Serializer>(kind: &VerifierKind, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(kind.name())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<VerifierKind, D::Error> {
        let name = String::deserialize(d)?;
        VerifierKind::from_name(&name).ok_or_else(|| {
            D::Error::custom(format!(
                "unknown verifier kind {name:?} (known: {:?})",
                VerifierKind::ALL.map(VerifierKind::name)
            ))
        })
    }
}

/// What `keel deploy` wrote: enough for a node (and `keel withdraw`) to find and check the
/// contracts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Deployment {
    /// The L1 RPC URL it was deployed through.
    pub l1_rpc_url: String,
    /// The L1 chain id.
    pub l1_chain_id: u64,
    /// The L2 chain id the contracts settle.
    pub l2_chain_id: u64,
    /// The hash of the L2 chain spec `OnChainProposer` pins in every batch commitment.
    pub chain_spec_hash: B256,
    /// The L2 genesis block hash (batch 0's last block hash on L1).
    pub l2_genesis_hash: B256,
    /// The L2 genesis state root.
    pub l2_genesis_state_root: B256,
    /// The account that schedules changes through the timelock (never the sequencer).
    pub owner: Address,
    /// `KeelTimelock`: the owner of every contract.
    pub timelock: Address,
    /// The timelock's delay and its floor, seconds: how long users have to leave before a
    /// change takes effect.
    pub exit_window: u64,
    /// The account that may pause deposits and claims once (at most `exit_window`) and
    /// cancel scheduled changes; `None`: nobody.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_council: Option<Address>,
    /// The account `commitBatch` accepts while no sequencer registry is set.
    pub sequencer: Address,
    /// The `SequencerRegistry` whose schedule decides who commits (based sequencing); `None`:
    /// only `sequencer` commits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequencer_registry: Option<Address>,
    /// `OnChainProposer`.
    pub on_chain_proposer: Address,
    /// `CommonBridge`.
    pub common_bridge: Address,
    /// The verifiers `verifyBatch` requires, in the order of its `proofs` argument.
    pub verifiers: Vec<VerifierDeployment>,
    /// The L1 block of the first deployment transaction: the deposit watcher starts there.
    pub deployed_at_block: u64,
    /// The bridge's deposit inclusion period, seconds.
    pub deposit_inclusion_period: u64,
    /// Where batch data goes: `blobs` (the rollup) or `validium` (fixed in `OnChainProposer`).
    pub data_availability: DataAvailability,
}

impl Deployment {
    /// Reads `path`; every error names the file and says what to do.
    pub fn load(path: &Path) -> L1Result<Self> {
        let text = fs::read_to_string(path).map_err(|error| L1Error::Deployment {
            file: path.to_owned(),
            reason: if error.kind() == std::io::ErrorKind::NotFound {
                "does not exist; run `keel deploy --config <file>` first (it writes this file), \
                 or set l1.deployment to the file it wrote"
                    .to_owned()
            } else {
                error.to_string()
            },
        })?;
        serde_json::from_str(&text).map_err(|error| L1Error::Deployment {
            file: path.to_owned(),
            reason: format!("is not a Keel deployment file: {error}"),
        })
    }

    /// Writes `path` atomically (a temporary file renamed over it), creating its directory.
    pub fn save(&self, path: &Path) -> L1Result<()> {
        let io = |error: std::io::Error| L1Error::Deployment {
            file: path.to_owned(),
            reason: format!("cannot be written: {error}"),
        };
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(io)?;
        }
        let mut text = serde_json::to_string_pretty(self).map_err(|error| L1Error::Deployment {
            file: path.to_owned(),
            reason: error.to_string(),
        })?;
        text.push('\n');
        let temp: PathBuf = path.with_extension("json.tmp");
        fs::write(&temp, text).map_err(io)?;
        fs::rename(&temp, path).map_err(io)
    }

    /// Checks the contracts settle the L2 this node runs: same chain id and spec, genesis and
    /// data availability.
    pub fn check_l2(
        &self,
        file: &Path,
        spec: &keel_primitives::ChainSpec,
        genesis_hash: B256,
        data_availability: DataAvailability,
    ) -> L1Result<()> {
        let chain_id = spec.chain_id;
        if self.l2_chain_id != chain_id || self.l2_genesis_hash != genesis_hash {
            return Err(L1Error::Mismatch(format!(
                "deployment {} settles L2 chain {} with genesis {}, but this node runs chain \
                 {chain_id} with genesis {genesis_hash}: run `keel deploy` for this config",
                file.display(),
                self.l2_chain_id,
                self.l2_genesis_hash
            )));
        }
        if self.chain_spec_hash != spec.hash() {
            return Err(L1Error::Mismatch(format!(
                "deployment {} pins chain spec {}, but this node's [fees] and genesis gas limit \
                 give {}: L1 would refuse every batch; set them back, or run `keel deploy` anew",
                file.display(),
                self.chain_spec_hash,
                spec.hash()
            )));
        }
        if self.data_availability != data_availability {
            return Err(L1Error::Mismatch(format!(
                "deployment {} takes batch data as {}, but batcher.data_availability is {}: \
                 a deployment's choice is fixed; set it back, or run `keel deploy` anew",
                file.display(),
                self.data_availability,
                data_availability
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment() -> Deployment {
        Deployment {
            l1_rpc_url: "http://127.0.0.1:8545".into(),
            l1_chain_id: 31337,
            l2_chain_id: 65_536_999,
            chain_spec_hash: keel_primitives::ChainSpec::ethereum_like(65_536_999).hash(),
            l2_genesis_hash: B256::repeat_byte(1),
            l2_genesis_state_root: B256::repeat_byte(2),
            owner: Address::repeat_byte(3),
            timelock: Address::repeat_byte(11),
            exit_window: 30,
            security_council: Some(Address::repeat_byte(12)),
            sequencer: Address::repeat_byte(13),
            sequencer_registry: Some(Address::repeat_byte(14)),
            on_chain_proposer: Address::repeat_byte(4),
            common_bridge: Address::repeat_byte(5),
            verifiers: vec![
                VerifierDeployment {
                    kind: VerifierKind::Dev,
                    address: Address::repeat_byte(6),
                    provers: vec![Address::repeat_byte(7)],
                    program: None,
                },
                VerifierDeployment {
                    kind: VerifierKind::Attesting,
                    address: Address::repeat_byte(8),
                    provers: vec![Address::repeat_byte(9)],
                    program: Some(B256::repeat_byte(10)),
                },
            ],
            deployed_at_block: 1,
            deposit_inclusion_period: 3600,
            data_availability: DataAvailability::Blobs,
        }
    }

    #[test]
    fn round_trips_and_names_the_file_when_broken() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/l1-deployment.json");
        deployment().save(&path).unwrap();
        assert_eq!(Deployment::load(&path).unwrap(), deployment());

        let missing = Deployment::load(&dir.path().join("nope.json")).unwrap_err();
        assert!(missing.to_string().contains("keel deploy"), "{missing}");
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"kind\": \"attesting\""), "{text}");
        fs::write(&path, text.replace("attesting", "halo2")).unwrap();
        let unknown = Deployment::load(&path).unwrap_err().to_string();
        assert!(
            unknown.contains("unknown verifier kind \"halo2\""),
            "{unknown}"
        );
        fs::write(&path, "{\"l1RpcUrl\": 3}").unwrap();
        let broken = Deployment::load(&path).unwrap_err().to_string();
        assert!(
            broken.contains("l1-deployment.json") && broken.contains("not a Keel deployment"),
            "{broken}"
        );
    }

    #[test]
    fn refuses_another_l2() {
        let d = deployment();
        let file = Path::new("d.json");
        let blobs = DataAvailability::Blobs;
        let spec = keel_primitives::ChainSpec::ethereum_like(65_536_999);
        d.check_l2(file, &spec, B256::repeat_byte(1), blobs)
            .unwrap();
        let err = d
            .check_l2(file, &spec, B256::repeat_byte(9), blobs)
            .unwrap_err();
        assert!(err.to_string().contains("run `keel deploy`"), "{err}");
        let other = keel_primitives::ChainSpec::ethereum_like(1);
        assert!(
            d.check_l2(file, &other, B256::repeat_byte(1), blobs)
                .is_err()
        );
        let wider = keel_primitives::ChainSpec {
            max_base_fee: 1,
            ..spec
        };
        let err = d
            .check_l2(file, &wider, B256::repeat_byte(1), blobs)
            .unwrap_err();
        assert!(err.to_string().contains("pins chain spec"), "{err}");
        let err = d
            .check_l2(
                file,
                &spec,
                B256::repeat_byte(1),
                DataAvailability::Validium,
            )
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("takes batch data as blobs, but batcher.data_availability is validium"),
            "{err}"
        );
    }
}
