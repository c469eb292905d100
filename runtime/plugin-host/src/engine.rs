//! The wasmtime engine, configured for deterministic plugin execution.

use std::{
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    thread::JoinHandle,
    time::Duration,
};

use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the epoch advances; the wall-clock deadline is counted in these ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);
/// Most plugin instances alive at once (one per call in flight).
const POOL_INSTANCES: u32 = 64;
/// Largest linear memory any plugin may reserve; per-plugin limits are lower.
const POOL_MAX_MEMORY: usize = 256 << 20;
/// Bytes of each pooled memory (and table) kept mapped when an instance is done and zeroed
/// for the next one instead of being handed back to the kernel: a fresh instance then takes no
/// page faults for the memory its calls touch.
const KEEP_RESIDENT: usize = 4 << 20;
/// Native stack a plugin may use; deep recursion traps instead of overflowing the host.
const MAX_WASM_STACK: usize = 512 << 10;

/// One engine for every plugin, with a background thread advancing the epoch.
///
/// Determinism: fuel metering on; NaNs canonicalised; relaxed SIMD off (threads are not compiled in); no WASI or
/// other imports are ever linked, so a plugin cannot read clocks, randomness, files or the
/// network. Fuel is the only limit whose outcome is deterministic; the epoch deadline is a
/// wall-clock backstop whose firing is a local fault.
pub struct PluginEngine {
    engine: Engine,
    cache_dir: Option<PathBuf>,
    stop: Arc<AtomicBool>,
    ticker: Option<JoinHandle<()>>,
}

impl core::fmt::Debug for PluginEngine {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PluginEngine").finish_non_exhaustive()
    }
}

impl PluginEngine {
    /// A new engine and its epoch thread.
    pub fn new() -> Result<Self, wasmtime::Error> {
        let mut pooling = PoolingAllocationConfig::default();
        pooling
            .total_component_instances(POOL_INSTANCES)
            .total_core_instances(POOL_INSTANCES * 4)
            .total_memories(POOL_INSTANCES * 2)
            .total_tables(POOL_INSTANCES * 2)
            .max_memory_size(POOL_MAX_MEMORY)
            .linear_memory_keep_resident(KEEP_RESIDENT)
            .table_keep_resident(KEEP_RESIDENT);
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .consume_fuel(true)
            .epoch_interruption(true)
            .cranelift_nan_canonicalization(true)
            .wasm_relaxed_simd(false)
            .max_wasm_stack(MAX_WASM_STACK)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
        let engine = Engine::new(&config)?;
        let stop = Arc::new(AtomicBool::new(false));
        let ticker = {
            let engine = engine.clone();
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("keel-plugin-epoch".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(EPOCH_TICK);
                        engine.increment_epoch();
                    }
                })
                .map_err(wasmtime::Error::from)?
        };
        Ok(Self {
            engine,
            cache_dir: None,
            stop,
            ticker: Some(ticker),
        })
    }

    /// Keeps compiled components in `dir` (created if needed), so a restart loads a plugin in
    /// well under a millisecond instead of compiling it again.
    pub fn with_cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// Where compiled components are cached, if anywhere.
    pub fn cache_dir(&self) -> Option<&Path> {
        self.cache_dir.as_deref()
    }

    /// The wasmtime engine.
    pub const fn engine(&self) -> &Engine {
        &self.engine
    }
}

impl Drop for PluginEngine {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(ticker) = self.ticker.take() {
            let _ = ticker.join();
        }
    }
}
