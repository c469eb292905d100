//! `keel revert`: the node's side of reverting committed, unverified batches
//! (`OnChainProposer.revertBatches`), the way back from a batch that can never be proven.
//!
//! ```text
//!  the council (or the timelock) ─ revertBatches(K) on L1: batches > K go, their deposits
//!                                  are queued again, `reverts` counts up
//!  the sequencer's settler        ─ sees L1's revert count above its chain's: stops the node
//!  keel revert --to-batch K       ─ (node stopped) sends revertBatches(K) itself when given an
//!                                  owner or council key and L1 still holds batches > K;
//!                                  unwinds the chain to batch K's last block and keeps the
//!                                  unwound blocks' transactions for the pool
//!  keel node                      ─ offers them to the mempool; the proposer re-forms blocks
//!                                  (the queued L1 messages first) and the batcher new batches
//! ```

use std::path::PathBuf;

use alloy::{primitives::U256, sol_types::SolCall};
use clap::Args;
use eyre::{WrapErr, bail, eyre};
use keel_config::Config;
use keel_l1::{Deployment, FeePolicy, L1Client, OnChainProposer, ProposerProgress, TxSender};
use keel_storage::Storage;

/// Re-form the chain after L1 reverted its committed, unverified batches after `--to-batch`.
#[derive(Debug, Args)]
pub(crate) struct RevertCommand {
    /// The last batch to keep: at least L1's `lastVerifiedBatch` (a verified batch is final).
    #[arg(long)]
    to_batch: u64,
    /// The node config: its datadir, `[l1] rpc_url` and deployment file are used.
    #[arg(long, short)]
    config: PathBuf,
    /// Data directory; overrides `node.datadir`.
    #[arg(long)]
    datadir: Option<PathBuf>,
    /// A key of the contracts' owner or of the security council (hex): sends
    /// `revertBatches(--to-batch)` if L1 still holds later batches. Without it, L1 must have
    /// reverted them already (for example through the timelock). `KEEL_REVERT_KEY` works too.
    #[arg(long, env = "KEEL_REVERT_KEY", hide_env_values = true)]
    key: Option<String>,
    /// Drop the transactions of the unwound blocks instead of offering them to the mempool at
    /// the next start (when one of them is what cannot be proven).
    #[arg(long)]
    drop_transactions: bool,
}

impl RevertCommand {
    pub(crate) async fn run(self) -> eyre::Result<()> {
        let mut config = Config::load(&self.config)?;
        if let Some(datadir) = self.datadir {
            config.node.datadir = datadir;
        }
        if config.follower.is_some() {
            bail!(
                "this config runs a follower: it follows L1's reverts by itself; `keel revert` is \
                 for the sequencer"
            );
        }
        let l1 = config
            .l1
            .as_ref()
            .ok_or_else(|| eyre!("the config has no [l1] section: there is nothing to revert"))?;
        let deployment = Deployment::load(&crate::l1::deployment_path(l1, &config.node.datadir))?;
        let db_path = config.node.datadir.join(crate::launch::DB_FILE);
        if !db_path.exists() {
            bail!("no chain database at {}", db_path.display());
        }
        let storage = Storage::open(&db_path).wrap_err_with(|| {
            format!(
                "cannot open {}; stop the node using this datadir first",
                db_path.display()
            )
        })?;
        let kept = self.to_batch;
        let target = {
            let snapshot = storage.snapshot()?;
            let last = snapshot.last_batch()?.map_or(0, |batch| batch.number);
            if kept > last {
                bail!("batch {kept} is not sealed here (the last sealed batch is {last})");
            }
            snapshot.batch_last_block(kept)?
        };

        let client = L1Client::new(&l1.rpc_url)?;
        let ProposerProgress {
            committed,
            verified,
            ..
        } = ProposerProgress::read(&client, deployment.on_chain_proposer).await?;
        if kept < verified {
            bail!("batch {verified} is verified on L1 and final: keep at least batch {verified}");
        }
        if committed > kept {
            let Some(key) = self.key else {
                bail!(
                    "L1 still holds batches {}..={committed}: pass --key with the owner's or the \
                     security council's key to revert them, or revert them on L1 first \
                     (OnChainProposer.revertBatches({kept}))",
                    kept + 1
                );
            };
            let sender =
                TxSender::new(client.clone(), &key, l1.tx_timeout, FeePolicy::from(l1)).await?;
            let call = OnChainProposer::revertBatchesCall {
                keptBatch: U256::from(kept),
            };
            let receipt = sender
                .call(
                    &format!("revertBatches({kept})"),
                    deployment.on_chain_proposer,
                    call.abi_encode().into(),
                )
                .await?;
            println!(
                "L1 reverted batches {}..={committed}: transaction {} in block {}",
                kept + 1,
                receipt.transaction_hash,
                receipt.block_number.unwrap_or_default()
            );
        }
        let ProposerProgress {
            committed, reverts, ..
        } = ProposerProgress::read(&client, deployment.on_chain_proposer).await?;
        if committed > kept {
            bail!("L1 still holds batch {committed} after the revert; nothing was unwound");
        }

        let reverted = storage.revert_to(target, reverts, !self.drop_transactions)?;
        println!(
            "unwound {} block(s) to block {} (the last of batch {kept}); {} L1 message(s) are \
             pending again; {} of {} transaction(s) wait for the mempool; L1 revert count {reverts}",
            reverted.blocks,
            reverted.head,
            reverted.l1_messages,
            reverted.requeued,
            reverted.transactions
        );
        println!("start the node again: it re-forms the blocks and commits new batches");
        Ok(())
    }
}
