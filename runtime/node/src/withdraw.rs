//! `keel withdraw claim`: pays out on L1 what a transaction withdrew on L2.

use std::path::PathBuf;

use alloy::{
    primitives::{B256, U256},
    providers::Provider,
    sol_types::SolCall,
};
use clap::Subcommand;
use eyre::{WrapErr, bail, eyre};
use keel_config::Config;
use keel_l1::{CommonBridge, Deployment, FeePolicy, L1Client, TxSender};
use keel_rpc::{SettlementStatus, WithdrawalProof};

#[derive(Debug, Subcommand)]
pub(crate) enum WithdrawCommand {
    /// Claim a withdrawal once its batch is verified on L1. The key pays the L1 gas; the value
    /// always goes to the withdrawal's L1 receiver.
    Claim {
        /// The L2 transaction that called `withdraw` (or the refunded deposit).
        #[arg(long)]
        tx: B256,
        /// Which withdrawal of that transaction (0 unless it withdrew several times).
        #[arg(long, default_value_t = 0)]
        index: u64,
        /// The node config: its `[rpc] listen`, `[l1] rpc_url` and deployment file are used.
        #[arg(long, short)]
        config: PathBuf,
        /// Data directory holding the deployment file; overrides `node.datadir`.
        #[arg(long)]
        datadir: Option<PathBuf>,
        /// The L2 JSON-RPC URL (default: `http://` + `rpc.listen`).
        #[arg(long)]
        l2_rpc: Option<String>,
        /// The L1 account that sends the claim (hex private key); `KEEL_CLAIM_KEY` works too.
        #[arg(long, env = "KEEL_CLAIM_KEY", hide_env_values = true)]
        key: String,
    },
}

impl WithdrawCommand {
    pub(crate) async fn run(self) -> eyre::Result<()> {
        let Self::Claim {
            tx,
            index,
            config,
            datadir,
            l2_rpc,
            key,
        } = self;
        let mut config = Config::load(&config)?;
        if let Some(datadir) = datadir {
            config.node.datadir = datadir;
        }
        let l1 = config
            .l1
            .as_ref()
            .ok_or_else(|| eyre!("the config has no [l1] section: withdrawals need an L1"))?;
        let deployment = Deployment::load(&crate::l1::deployment_path(l1, &config.node.datadir))?;
        let l2_url = l2_rpc.unwrap_or_else(|| format!("http://{}", config.rpc.listen));
        let l2 = L1Client::new(&l2_url)?;
        let proof: Option<WithdrawalProof> = l2
            .rpc(
                "keel_getWithdrawalProof",
                l2.provider().raw_request::<_, Option<WithdrawalProof>>(
                    "keel_getWithdrawalProof".into(),
                    (tx, index),
                ),
            )
            .await
            .wrap_err_with(|| format!("cannot ask the L2 node at {l2_url}"))?;
        let proof = proof.ok_or_else(|| eyre!("the L2 node knows no transaction {tx}"))?;
        if !proof.claimable {
            let batch = proof
                .batch
                .map_or("no batch yet".to_owned(), |b| format!("batch {b}"));
            let status = match proof.status {
                SettlementStatus::Pending => "its block is not in a sealed batch yet",
                SettlementStatus::Sealed => "its batch is sealed but not committed on L1 yet",
                SettlementStatus::Committed => "its batch is committed on L1 but not verified yet",
                SettlementStatus::Verified => "its batch is verified",
            };
            bail!(
                "withdrawal {tx}#{index} ({batch}) cannot be claimed yet: {status}; try again later"
            );
        }
        let (Some(batch), Some(leaf_index)) = (proof.batch, proof.leaf_index) else {
            bail!("the L2 node's proof for {tx} names no batch");
        };
        let client = L1Client::new(&l1.rpc_url)?;
        let sender = TxSender::new(client, &key, l1.tx_timeout, FeePolicy::from(l1)).await?;
        let (what, call, unit) = if proof.token.is_zero() {
            let call = CommonBridge::claimWithdrawalCall {
                batchNumber: U256::from(batch),
                l2TxHash: proof.l2_tx_hash,
                indexInTx: U256::from(proof.index_in_tx),
                l1Receiver: proof.l1_receiver,
                amount: proof.amount,
                leafIndex: U256::from(leaf_index),
                proof: proof.proof.clone(),
            };
            ("claimWithdrawal", call.abi_encode(), "wei".to_owned())
        } else {
            let call = CommonBridge::claimTokenWithdrawalCall {
                batchNumber: U256::from(batch),
                l2TxHash: proof.l2_tx_hash,
                indexInTx: U256::from(proof.index_in_tx),
                l1Token: proof.token,
                l1Receiver: proof.l1_receiver,
                amount: proof.amount,
                leafIndex: U256::from(leaf_index),
                proof: proof.proof.clone(),
            };
            (
                "claimTokenWithdrawal",
                call.abi_encode(),
                format!("of token {}", proof.token),
            )
        };
        let receipt = sender
            .call(
                &format!("{what}({tx})"),
                deployment.common_bridge,
                call.into(),
            )
            .await?;
        println!(
            "claimed {} {unit} for {} (batch {batch}): L1 transaction {} in block {}",
            proof.amount,
            proof.l1_receiver,
            receipt.transaction_hash,
            receipt.block_number.unwrap_or_default()
        );
        Ok(())
    }
}
