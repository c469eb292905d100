//! What the chain remembers about plugins: the component bytes of every plugin ever loaded, each
//! slot's activations (its history; the last one is the slot's active plugin), the swaps waiting
//! for their block, and, per block, the plugins that shaped it.

use std::time::Duration;

use alloy_primitives::B256;
use alloy_rlp::{RlpDecodable, RlpEncodable};
use keel_primitives::{
    BlockPlugin, PluginActivation, PluginId, PluginRecords, PluginSlot, PluginSource, PluginSpec,
    plugins::RecordsError,
};
use redb::{ReadableTable, WriteTransaction};

use crate::{
    Snapshot, Storage, StorageError, StorageResult,
    tables::{BLOCK_PLUGINS, PLUGIN_CODE, PLUGIN_HISTORY, PLUGIN_PENDING},
    value::Encoded,
};

// Stored forms. RLP has no `Option` and no enums, so optional values are lists of zero or one
// element and enums are one-byte tags; the conversions below check both.

#[derive(RlpEncodable, RlpDecodable)]
struct StoredSetting {
    key: String,
    value: String,
}

#[derive(RlpEncodable, RlpDecodable)]
struct StoredSpec {
    id: PluginId,
    settings: Vec<StoredSetting>,
    fuel: u64,
    memory_bytes: u64,
    deadline_ms: u64,
}

#[derive(RlpEncodable, RlpDecodable)]
pub(crate) struct StoredActivation {
    slot: u8,
    block: u64,
    plugin: Vec<StoredSpec>,
    source: u8,
    config_hash: Vec<B256>,
}

#[derive(RlpEncodable, RlpDecodable)]
pub(crate) struct StoredBlockPlugin {
    slot: u8,
    id: PluginId,
    fell_back: bool,
}

fn corrupt(table: &'static str, reason: &str) -> StorageError {
    StorageError::Corrupt {
        table,
        reason: reason.to_owned(),
    }
}

fn slot_of(table: &'static str, tag: u8) -> StorageResult<PluginSlot> {
    PluginSlot::from_tag(tag).ok_or_else(|| corrupt(table, "unknown plugin slot tag"))
}

fn at_most_one<T>(table: &'static str, mut list: Vec<T>) -> StorageResult<Option<T>> {
    match list.len() {
        0 | 1 => Ok(list.pop()),
        _ => Err(corrupt(table, "an optional value holds several")),
    }
}

impl From<&PluginActivation> for StoredActivation {
    fn from(a: &PluginActivation) -> Self {
        Self {
            slot: a.slot.tag(),
            block: a.block,
            plugin: a
                .plugin
                .iter()
                .map(|spec| StoredSpec {
                    id: spec.id.clone(),
                    settings: spec
                        .settings
                        .iter()
                        .map(|(key, value)| StoredSetting {
                            key: key.clone(),
                            value: value.clone(),
                        })
                        .collect(),
                    fuel: spec.fuel,
                    memory_bytes: spec.memory_bytes,
                    deadline_ms: u64::try_from(spec.deadline.as_millis()).unwrap_or(u64::MAX),
                })
                .collect(),
            source: match a.source {
                PluginSource::Config => 0,
                PluginSource::Admin => 1,
            },
            config_hash: a.config_hash.into_iter().collect(),
        }
    }
}

impl StoredActivation {
    fn into_activation(self, table: &'static str) -> StorageResult<PluginActivation> {
        let plugin = at_most_one(table, self.plugin)?.map(|spec| PluginSpec {
            id: spec.id,
            settings: spec
                .settings
                .into_iter()
                .map(|s| (s.key, s.value))
                .collect(),
            fuel: spec.fuel,
            memory_bytes: spec.memory_bytes,
            deadline: Duration::from_millis(spec.deadline_ms),
        });
        Ok(PluginActivation {
            slot: slot_of(table, self.slot)?,
            block: self.block,
            plugin,
            source: match self.source {
                0 => PluginSource::Config,
                1 => PluginSource::Admin,
                _ => return Err(corrupt(table, "unknown activation source tag")),
            },
            config_hash: at_most_one(table, self.config_hash)?,
        })
    }
}

fn decode_activation(
    table: &'static str,
    stored: &Encoded<'_, StoredActivation>,
) -> StorageResult<PluginActivation> {
    stored.decode()?.into_activation(table)
}

/// Writes, in the block's transaction, what shaped block `number`, and moves the swaps of the
/// `activated` slots from pending to history with this block as their first.
pub(crate) fn write_block_plugins(
    txn: &WriteTransaction,
    number: u64,
    used: &[BlockPlugin],
    activated: &[PluginSlot],
) -> StorageResult<()> {
    let stored: Vec<StoredBlockPlugin> = used
        .iter()
        .map(|p| StoredBlockPlugin {
            slot: p.slot.tag(),
            id: p.id.clone(),
            fell_back: p.fell_back,
        })
        .collect();
    txn.open_table(BLOCK_PLUGINS)?
        .insert(number, Encoded::new(&stored))?;
    let mut history = txn.open_table(PLUGIN_HISTORY)?;
    let mut pending = txn.open_table(PLUGIN_PENDING)?;
    for slot in activated {
        let Some(stored) = pending.remove(slot.tag())? else {
            return Err(corrupt(
                "plugin_pending",
                &format!("block {number} activates a swap of slot {slot}, but none is pending"),
            ));
        };
        let mut activation = decode_activation("plugin_pending", &stored.value())?;
        drop(stored);
        activation.block = number;
        history.insert(
            (slot.tag(), number),
            Encoded::new(&StoredActivation::from(&activation)),
        )?;
    }
    Ok(())
}

impl Storage {
    /// Stores a plugin's component bytes (idempotent: keyed by their sha256).
    fn put_code(txn: &WriteTransaction, code: &[u8]) -> StorageResult<B256> {
        let hash = keel_primitives::plugins::code_hash(code);
        txn.open_table(PLUGIN_CODE)?.insert(hash.0, code)?;
        Ok(hash)
    }

    /// Records a swap waiting for block `activation.block`, with its component bytes. It
    /// replaces any swap pending for the same slot, and becomes history with the block it takes
    /// effect at ([`crate::BlockWrite::activations`]).
    pub fn put_pending_plugin(
        &self,
        activation: &PluginActivation,
        code: &[u8],
    ) -> StorageResult<()> {
        let txn = self.begin_write()?;
        Self::put_code(&txn, code)?;
        txn.open_table(PLUGIN_PENDING)?.insert(
            activation.slot.tag(),
            Encoded::new(&StoredActivation::from(activation)),
        )?;
        txn.commit()?;
        Ok(())
    }

    /// Records activations decided outside a block (at start-up, from the config), with the
    /// component bytes of those that have one; a pending swap of the same slot is dropped.
    pub fn record_activations(
        &self,
        activations: &[(PluginActivation, Option<&[u8]>)],
    ) -> StorageResult<()> {
        let txn = self.begin_write()?;
        {
            let mut history = txn.open_table(PLUGIN_HISTORY)?;
            let mut pending = txn.open_table(PLUGIN_PENDING)?;
            for (activation, code) in activations {
                if let Some(code) = code {
                    Self::put_code(&txn, code)?;
                }
                history.insert(
                    (activation.slot.tag(), activation.block),
                    Encoded::new(&StoredActivation::from(activation)),
                )?;
                pending.remove(activation.slot.tag())?;
            }
        }
        txn.commit()?;
        Ok(())
    }
}

impl Snapshot {
    /// The component bytes with sha256 `hash`.
    pub fn plugin_code(&self, hash: B256) -> StorageResult<Option<Vec<u8>>> {
        Ok(self.plugin_code.get(hash.0)?.map(|v| v.value().to_vec()))
    }

    /// Every activation of `slot`, oldest first.
    pub fn plugin_history(&self, slot: PluginSlot) -> StorageResult<Vec<PluginActivation>> {
        let tag = slot.tag();
        self.plugin_history
            .range((tag, 0)..=(tag, u64::MAX))?
            .map(|entry| decode_activation("plugin_history", &entry?.1.value()))
            .collect()
    }

    /// The latest activation of `slot`: its active plugin (or the native rule).
    pub fn active_plugin(&self, slot: PluginSlot) -> StorageResult<Option<PluginActivation>> {
        let tag = slot.tag();
        self.plugin_history
            .range((tag, 0)..=(tag, u64::MAX))?
            .next_back()
            .map(|entry| decode_activation("plugin_history", &entry?.1.value()))
            .transpose()
    }

    /// The swaps waiting for their block.
    pub fn pending_plugins(&self) -> StorageResult<Vec<PluginActivation>> {
        self.plugin_pending
            .iter()?
            .map(|entry| decode_activation("plugin_pending", &entry?.1.value()))
            .collect()
    }

    /// The plugins that shaped block `number` (`None`: no such block, or one from before
    /// plugins were recorded).
    pub fn block_plugins(&self, number: u64) -> StorageResult<Option<Vec<BlockPlugin>>> {
        let Some(stored) = self.block_plugins.get(number)? else {
            return Ok(None);
        };
        let stored = stored.value().decode()?;
        stored
            .into_iter()
            .map(|p| {
                Ok(BlockPlugin {
                    slot: slot_of("block_plugins", p.slot)?,
                    id: p.id,
                    fell_back: p.fell_back,
                })
            })
            .collect::<StorageResult<_>>()
            .map(Some)
    }
}

/// The plugin manager's view of the database: each call reads its own snapshot or writes its
/// own transaction.
impl PluginRecords for Storage {
    fn next_block(&self) -> Result<u64, RecordsError> {
        Ok(self.snapshot()?.head_number()? + 1)
    }

    fn active_plugin(&self, slot: PluginSlot) -> Result<Option<PluginActivation>, RecordsError> {
        Ok(self.snapshot()?.active_plugin(slot)?)
    }

    fn pending_plugins(&self) -> Result<Vec<PluginActivation>, RecordsError> {
        Ok(self.snapshot()?.pending_plugins()?)
    }

    fn plugin_code(&self, code_hash: B256) -> Result<Option<Vec<u8>>, RecordsError> {
        Ok(self.snapshot()?.plugin_code(code_hash)?)
    }

    fn record_activations(
        &self,
        activations: &[(PluginActivation, Option<&[u8]>)],
    ) -> Result<(), RecordsError> {
        Ok(Storage::record_activations(self, activations)?)
    }

    fn put_pending_plugin(
        &self,
        activation: &PluginActivation,
        code: &[u8],
    ) -> Result<(), RecordsError> {
        Ok(Storage::put_pending_plugin(self, activation, code)?)
    }
}
