//! Geth-style traces with revm-inspectors (the library reth uses): `callTracer` and
//! `prestateTracer` of a call on any state ([`Simulator::trace`](crate::Simulator)), and of a
//! block's transaction replayed on the state before it ([`BlockBuilder::trace`]).

use alloy_consensus::TxEnvelope;
use alloy_eips::Encodable2718;
use alloy_primitives::Address;
use alloy_rpc_types_trace::geth::{
    CallConfig, GethDebugBuiltInTracerType, GethDebugTracerType, GethDebugTracingOptions,
    GethTrace, PreStateConfig,
};
use keel_primitives::StateReader;
use revm::{
    Context, InspectEvm, MainBuilder, MainContext,
    context::{BlockEnv, CfgEnv, TxEnv, result::EVMError},
    database_interface::{Database, DatabaseRef},
};
use revm_inspectors::tracing::{TracingInspector, TracingInspectorConfig};

use crate::{BlockBuilder, EvmError, EvmResult, env::tx_env};

/// A tracer the node runs: geth's `callTracer` or `prestateTracer`.
#[derive(Debug, Clone)]
pub enum Tracer {
    /// The call tree.
    Call(CallConfig),
    /// The accounts the transaction touched, before it (or before and after, `diffMode`).
    PreState(PreStateConfig),
}

impl Tracer {
    /// The tracer `options` ask for; other tracers (structLog, JS, 4byte, …) are refused with
    /// a message naming the ones served.
    pub fn from_options(options: &GethDebugTracingOptions) -> Result<Self, String> {
        let config = options.tracer_config.clone();
        match &options.tracer {
            Some(GethDebugTracerType::BuiltInTracer(GethDebugBuiltInTracerType::CallTracer)) => {
                config
                    .into_call_config()
                    .map(Self::Call)
                    .map_err(|e| format!("callTracer config: {e}"))
            }
            Some(GethDebugTracerType::BuiltInTracer(
                GethDebugBuiltInTracerType::PreStateTracer,
            )) => config
                .into_pre_state_config()
                .map(Self::PreState)
                .map_err(|e| format!("prestateTracer config: {e}")),
            other => Err(format!(
                "tracer {other:?} is not served: use \"callTracer\" or \"prestateTracer\""
            )),
        }
    }
}

/// Runs `tx` on `db` under `tracer`; nothing is committed to `db`.
pub(crate) fn run_traced<DB>(
    cfg: CfgEnv,
    block: BlockEnv,
    db: &mut DB,
    tx: TxEnv,
    tracer: &Tracer,
) -> EvmResult<GethTrace>
where
    DB: Database + DatabaseRef,
    <DB as Database>::Error: core::fmt::Display,
    <DB as DatabaseRef>::Error: core::fmt::Display,
{
    let config = match tracer {
        Tracer::Call(config) => TracingInspectorConfig::from_geth_call_config(config),
        Tracer::PreState(config) => TracingInspectorConfig::from_geth_prestate_config(config),
    };
    let mut inspector = TracingInspector::new(config);
    let executed = {
        let mut evm = Context::mainnet()
            .with_db(&mut *db)
            .with_cfg(cfg)
            .with_block(block)
            .build_mainnet_with_inspector(&mut inspector);
        evm.inspect_tx(tx).map_err(|error| match error {
            EVMError::Transaction(invalid) => EvmError::InvalidCall(invalid),
            other => EvmError::Call(other.to_string()),
        })?
    };
    let builder = inspector.into_geth_builder();
    Ok(match tracer {
        Tracer::Call(config) => {
            GethTrace::CallTracer(builder.geth_call_traces(*config, executed.result.tx_gas_used()))
        }
        Tracer::PreState(config) => GethTrace::PreStateTracer(
            builder
                .geth_prestate_traces(&executed, config, &*db)
                .map_err(|e| EvmError::Call(e.to_string()))?,
        ),
    })
}

impl<R: StateReader> BlockBuilder<R> {
    /// Traces `tx` (signed by `sender`) on the block's state so far, as [`BlockBuilder::push`]
    /// would run it (the block's data fee recorded and the transaction's L1 data fee taken
    /// first). For a builder that replayed the block's earlier transactions and is then
    /// dropped: what tracing takes is never sealed.
    pub fn trace(
        &mut self,
        tx: &TxEnvelope,
        sender: Address,
        tracer: &Tracer,
    ) -> EvmResult<GethTrace> {
        self.take_data_fee(sender, tx.encode_2718_len())?;
        let (cfg, block) = self.envs();
        run_traced(cfg, block, self.db_mut(), tx_env(tx, sender), tracer)
    }
}
