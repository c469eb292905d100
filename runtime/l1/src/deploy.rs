//! `keel deploy`: the settlement contracts for one L2, in the order their constructors need.

use alloy::{
    primitives::{Address, B256, Bytes, U256},
    sol_types::{SolCall, SolConstructor},
};
use tracing::info;

use keel_primitives::{DataAvailability, VerifierKind};

use crate::{
    AttestingVerifier, CommonBridge, Deployment, DevVerifier, KeelTimelock, L1Error, L1Result,
    OnChainProposer, OpenVmVerifier, OpenVmVerifierArtifact, SequencerRegistry, TxSender,
    VerifierDeployment,
};

/// L1 chain ids of development chains (anvil and hardhat's 31337, geth `--dev`'s 1337): the
/// only ones where `keel deploy` accepts an exit window under [`MIN_EXIT_WINDOW`], a genesis
/// alloc nobody deposited, and the development verifier.
pub const DEV_L1_CHAIN_IDS: [u64; 2] = [31_337, 1_337];

/// The shortest exit window `keel deploy` accepts on a chain that is not a development chain:
/// 7 days, what L2BEAT's Stage 1 asks of a rollup with a security council.
pub const MIN_EXIT_WINDOW: u64 = 7 * 24 * 3600;

/// Who holds which power over the contracts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Governance {
    /// The account (a multisig on a real chain) that schedules changes through the timelock.
    /// Never the sequencer.
    pub owner: Address,
    /// The account that may pause deposits and claims (at most `exit_window`, once until the
    /// owner re-arms it) and cancel scheduled changes; `None`: nobody.
    pub security_council: Option<Address>,
    /// The timelock's delay and its floor, seconds: how long users have to leave before a
    /// change takes effect.
    pub exit_window: u64,
}

impl Governance {
    /// Refuses an owner that is the sequencer (or zero), and an exit window under
    /// [`MIN_EXIT_WINDOW`] on an L1 that is not a development chain.
    pub fn check(&self, sequencer: Address, l1_chain_id: u64) -> L1Result<()> {
        if self.owner.is_zero() || self.owner == sequencer {
            return Err(L1Error::Mismatch(format!(
                "l1.owner must be an account apart from the sequencer's key ({sequencer}): the \
                 owner schedules verifier, program and sequencer changes through the timelock, \
                 and a sequencer that could also make them would be trusted with the bridge's \
                 funds; got {}",
                self.owner
            )));
        }
        if self.exit_window < MIN_EXIT_WINDOW && !DEV_L1_CHAIN_IDS.contains(&l1_chain_id) {
            return Err(L1Error::Mismatch(format!(
                "l1.exit_window is {} s, under the {MIN_EXIT_WINDOW} s (7 days) every chain but \
                 a development chain ({DEV_L1_CHAIN_IDS:?}) needs: users must have that long to \
                 leave before a change to the contracts takes effect",
                self.exit_window
            )));
        }
        Ok(())
    }
}

/// What the contracts are deployed for.
#[derive(Debug, Clone)]
pub struct DeployParams {
    /// The L1 RPC URL (recorded in the deployment file).
    pub l1_rpc_url: String,
    /// The L2 chain id.
    pub l2_chain_id: u64,
    /// The hash of the L2 chain spec, pinned in `OnChainProposer` ([`keel_primitives::ChainSpec::hash`]).
    pub chain_spec_hash: B256,
    /// The L2 genesis block hash.
    pub genesis_hash: B256,
    /// The L2 genesis state root.
    pub genesis_state_root: B256,
    /// Seconds each deposit has to be included on L2.
    pub inclusion_period: u64,
    /// The owner, the security council and the exit window.
    pub governance: Governance,
    /// Where batch data goes (fixed in `OnChainProposer` for good).
    pub data_availability: DataAvailability,
    /// Prover keys for the development verifier (dev chains only); empty: none.
    pub dev_provers: Vec<Address>,
    /// Prover keys for the attesting verifier, and the program it pins; `None`: none.
    pub attesting: Option<AttestingParams>,
    /// OpenVM's generated EVM verifier and the program it pins, for an `OpenVmVerifier`;
    /// `None`: none.
    pub openvm: Option<OpenVmVerifierArtifact>,
    /// A `SequencerRegistry` to deploy and make `OnChainProposer` based from the start;
    /// `None`: only the sequencer commits.
    pub based: Option<crate::BasedConfig>,
}

/// What the attesting verifier is deployed with.
#[derive(Debug, Clone)]
pub struct AttestingParams {
    /// The guest program commitment it accepts attestations for.
    pub program: B256,
    /// The keys whose attestations it accepts.
    pub provers: Vec<Address>,
}

fn init_code(bytecode: &Bytes, args: Vec<u8>) -> Bytes {
    [bytecode.as_ref(), args.as_slice()].concat().into()
}

/// Deploys one verifier contract and returns `verifier` with the address it got.
async fn deploy_verifier(
    sender: &TxSender,
    contract: &str,
    bytecode: &Bytes,
    args: Vec<u8>,
    mut verifier: VerifierDeployment,
) -> L1Result<VerifierDeployment> {
    let (address, _) = sender
        .deploy(&format!("deploy {contract}"), init_code(bytecode, args))
        .await?;
    verifier.address = address;
    info!(target: "keel::l1", %address, provers = ?verifier.provers, program = ?verifier.program, "{contract} deployed");
    Ok(verifier)
}

/// Deploys `KeelTimelock`, `CommonBridge`, the verifiers and `OnChainProposer` from `sender`'s
/// key, which becomes the sequencer and owns nothing: the timelock owns every contract, and
/// `params.governance.owner` schedules changes through it. Links the bridge to the proposer.
///
/// On a terminal the deployment and each contract's transaction are live progress lines
/// (`indicatif.pb_show`, drawn by the binaries' logging).
#[tracing::instrument(name = "deploying Keel's L1 contracts", skip_all, fields(indicatif.pb_show = true))]
pub async fn deploy(sender: &TxSender, params: &DeployParams) -> L1Result<Deployment> {
    let sequencer = sender.address();
    let governance = params.governance;
    governance.check(sequencer, sender.chain_id())?;
    if params.dev_provers.is_empty() && params.attesting.is_none() && params.openvm.is_none() {
        return Err(L1Error::Mismatch(
            "no verifier to deploy: set l1.dev_provers to the exec prover's key address (the \
             development verifier; dev chains only), l1.attesting_provers and \
             l1.attesting_program (the attesting verifier for OpenVM provers), or \
             l1.openvm_evm_verifier (OpenVM's EVM verifier)"
                .to_owned(),
        ));
    }
    let council = governance.security_council.unwrap_or_default();
    let timelock_args = KeelTimelock::constructorCall {
        exitWindow_: U256::from(governance.exit_window),
        owner: governance.owner,
        securityCouncil: council,
    }
    .abi_encode();
    let (timelock, receipt) = sender
        .deploy(
            "deploy KeelTimelock",
            init_code(&KeelTimelock::BYTECODE, timelock_args),
        )
        .await?;
    let deployed_at_block = receipt.block_number.unwrap_or_default();
    info!(target: "keel::l1", %timelock, owner = %governance.owner, exit_window_s = governance.exit_window, "KeelTimelock deployed");
    let owner = timelock;

    // A council pause lasts at most the exit window: long enough for a fix to pass the timelock.
    let bridge_args = CommonBridge::constructorCall {
        owner_: owner,
        securityCouncil_: council,
        inclusionPeriod_: U256::from(params.inclusion_period),
        maxPause_: U256::from(governance.exit_window),
    }
    .abi_encode();
    let (bridge, _) = sender
        .deploy(
            "deploy CommonBridge",
            init_code(&CommonBridge::BYTECODE, bridge_args),
        )
        .await?;
    info!(target: "keel::l1", %bridge, "CommonBridge deployed");

    // Proofs go to the verifiers in this order: dev, attesting, openvm.
    let mut verifiers = Vec::new();
    if !params.dev_provers.is_empty() {
        let args = DevVerifier::constructorCall {
            owner_: owner,
            provers: params.dev_provers.clone(),
        }
        .abi_encode();
        let verifier = VerifierDeployment {
            kind: VerifierKind::Dev,
            address: Address::ZERO,
            provers: params.dev_provers.clone(),
            program: None,
        };
        verifiers.push(
            deploy_verifier(
                sender,
                "DevVerifier",
                &DevVerifier::BYTECODE,
                args,
                verifier,
            )
            .await?,
        );
    }
    if let Some(attesting) = &params.attesting {
        let args = AttestingVerifier::constructorCall {
            owner_: owner,
            program_: attesting.program,
            provers: attesting.provers.clone(),
        }
        .abi_encode();
        let verifier = VerifierDeployment {
            kind: VerifierKind::Attesting,
            address: Address::ZERO,
            provers: attesting.provers.clone(),
            program: Some(attesting.program),
        };
        verifiers.push(
            deploy_verifier(
                sender,
                "AttestingVerifier",
                &AttestingVerifier::BYTECODE,
                args,
                verifier,
            )
            .await?,
        );
    }

    if let Some(openvm) = &params.openvm {
        let (halo2, _) = sender
            .deploy(
                &format!(
                    "deploy OpenVM {}'s OpenVmHalo2Verifier",
                    openvm.openvm_version
                ),
                openvm.bytecode.clone(),
            )
            .await?;
        info!(target: "keel::l1", %halo2, "OpenVmHalo2Verifier deployed");
        let args = OpenVmVerifier::constructorCall {
            owner_: owner,
            halo2Verifier_: halo2,
            appExeCommit_: openvm.app_exe_commit,
            appVmCommit_: openvm.app_vm_commit,
        }
        .abi_encode();
        let verifier = VerifierDeployment {
            kind: VerifierKind::OpenVm,
            address: Address::ZERO,
            provers: Vec::new(),
            program: Some(openvm.program()),
        };
        verifiers.push(
            deploy_verifier(
                sender,
                "OpenVmVerifier",
                &OpenVmVerifier::BYTECODE,
                args,
                verifier,
            )
            .await?,
        );
    }

    let proposer_args = OnChainProposer::constructorCall {
        owner_: owner,
        sequencer_: sequencer,
        bridge_: bridge,
        l2ChainId_: U256::from(params.l2_chain_id),
        chainSpecHash_: params.chain_spec_hash,
        genesisBlockHash: params.genesis_hash,
        genesisStateRoot: params.genesis_state_root,
        verifiers_: verifiers.iter().map(|v| v.address).collect(),
        validium_: params.data_availability == DataAvailability::Validium,
    }
    .abi_encode();
    let (proposer, _) = sender
        .deploy(
            "deploy OnChainProposer",
            init_code(&OnChainProposer::BYTECODE, proposer_args),
        )
        .await?;
    info!(target: "keel::l1", %proposer, data_availability = %params.data_availability, "OnChainProposer deployed");

    let sequencer_registry = match &params.based {
        None => None,
        Some(based) => {
            let args = SequencerRegistry::constructorCall {
                minBond_: based.min_bond,
                exitDelay_: U256::from(based.exit_delay.as_secs()),
                epochLength_: U256::from(based.epoch_length),
                fallbackAfter_: U256::from(based.fallback_after.as_secs()),
                maxSequencers_: U256::from(based.max_sequencers),
            }
            .abi_encode();
            let (registry, _) = sender
                .deploy(
                    "deploy SequencerRegistry",
                    init_code(&SequencerRegistry::BYTECODE, args),
                )
                .await?;
            let set = OnChainProposer::setInitialSequencerRegistryCall { registry }.abi_encode();
            sender
                .call(
                    "OnChainProposer.setInitialSequencerRegistry",
                    proposer,
                    set.into(),
                )
                .await?;
            info!(target: "keel::l1", %registry, epoch_length = based.epoch_length, "SequencerRegistry deployed: commits follow its schedule");
            Some(registry)
        }
    };

    let link = CommonBridge::setProposerCall {
        proposer_: proposer,
    }
    .abi_encode();
    sender
        .call("CommonBridge.setProposer", bridge, link.into())
        .await?;

    Ok(Deployment {
        l1_rpc_url: params.l1_rpc_url.clone(),
        l1_chain_id: sender.chain_id(),
        l2_chain_id: params.l2_chain_id,
        chain_spec_hash: params.chain_spec_hash,
        l2_genesis_hash: params.genesis_hash,
        l2_genesis_state_root: params.genesis_state_root,
        owner: governance.owner,
        timelock,
        exit_window: governance.exit_window,
        security_council: governance.security_council,
        sequencer,
        sequencer_registry,
        on_chain_proposer: proposer,
        common_bridge: bridge,
        verifiers,
        deployed_at_block,
        deposit_inclusion_period: params.inclusion_period,
        data_availability: params.data_availability,
    })
}
