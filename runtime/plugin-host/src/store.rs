//! Per-call stores: limits, fuel, deadline, and turning wasmtime errors into [`PluginError`]s.

use std::{
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering::Relaxed},
    },
    time::Duration,
};

use wasmtime::{
    ResourceLimiter, Store, Trap,
    component::{Component, InstancePre, Linker},
};

use crate::{
    CallSite, PluginEngine, PluginError, PluginId,
    config::{DEFAULT_DEADLINE, DEFAULT_FUEL, DEFAULT_MEMORY_MB},
    engine::EPOCH_TICK,
};

/// Most table elements a plugin may have (Rust guests use a handful).
const MAX_TABLE_ELEMENTS: usize = 10_000;

/// The limits every call of one plugin runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PluginLimits {
    /// Fuel per call (deterministic).
    pub fuel: u64,
    /// Linear memory per instance, bytes.
    pub memory_bytes: usize,
    /// Wall-clock backstop per call (a local fault when it fires).
    pub deadline: Duration,
}

impl Default for PluginLimits {
    /// The limits of a `[plugins.<slot>]` section that sets none.
    fn default() -> Self {
        Self {
            fuel: DEFAULT_FUEL,
            memory_bytes: (DEFAULT_MEMORY_MB << 20) as usize,
            deadline: DEFAULT_DEADLINE,
        }
    }
}

/// What a plugin call's store holds: only its limits. No WASI context, nothing to import.
#[derive(Debug)]
pub struct HostState {
    memory_limit: usize,
    memory_denied: bool,
}

/// The error `memory_growing` returns, so the trap is recognisable.
#[derive(Debug, thiserror::Error)]
#[error("memory limit exceeded")]
struct MemoryLimitHit;

impl ResourceLimiter for HostState {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_limit {
            // Trapping (rather than letting `memory.grow` return -1) makes the outcome the same
            // whatever the guest's allocator does with a failed growth.
            self.memory_denied = true;
            return Err(MemoryLimitHit.into());
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}

/// A fresh store for one call: nothing leaks between calls, and a trapped instance is never
/// entered again.
fn new_store(engine: &PluginEngine, limits: &PluginLimits) -> wasmtime::Result<Store<HostState>> {
    let mut store = Store::new(
        engine.engine(),
        HostState {
            memory_limit: limits.memory_bytes,
            memory_denied: false,
        },
    );
    store.limiter(|state| state as &mut dyn ResourceLimiter);
    store.set_fuel(limits.fuel)?;
    store.set_epoch_deadline(
        limits
            .deadline
            .as_millis()
            .div_ceil(EPOCH_TICK.as_millis())
            .max(1) as u64,
    );
    store.epoch_deadline_trap();
    Ok(store)
}

/// Names what went wrong in a call.
fn classify(
    error: wasmtime::Error,
    store: &Store<HostState>,
    site: CallSite,
    limits: &PluginLimits,
) -> PluginError {
    if store.data().memory_denied || error.is::<MemoryLimitHit>() {
        return PluginError::MemoryLimit {
            site,
            limit_bytes: limits.memory_bytes,
        };
    }
    match error.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => PluginError::OutOfFuel {
            site,
            fuel: limits.fuel,
        },
        Some(Trap::Interrupt) => PluginError::Deadline { site },
        _ => PluginError::Trap {
            site,
            message: format!("{error:#}"),
        },
    }
}

/// A compiled plugin of one world: what every world shares ([`Meta`]) and its prepared
/// instance `P` (the `…Pre` type `bindgen!` generates).
pub(crate) struct Loaded<P> {
    pub(crate) meta: Meta,
    pub(crate) pre: P,
}

/// What a compiled plugin is, whatever its world: identity, limits, settings, what its calls
/// cost.
#[derive(Debug)]
pub(crate) struct Meta {
    id: Arc<PluginId>,
    limits: PluginLimits,
    settings: Vec<(String, String)>,
    stats: CallStats,
}

impl Meta {
    /// The plugin's identity.
    pub(crate) fn id(&self) -> &PluginId {
        &self.id
    }

    /// The limits every call runs under.
    pub(crate) const fn limits(&self) -> &PluginLimits {
        &self.limits
    }

    /// The settings every call receives.
    pub(crate) fn settings(&self) -> &[(String, String)] {
        &self.settings
    }

    /// Calls made so far and the fuel they consumed in total.
    pub(crate) fn spent(&self) -> (u64, u64) {
        (
            self.stats.calls.load(Relaxed),
            self.stats.fuel.load(Relaxed),
        )
    }

    /// Names the exported function `call` of this plugin, for errors.
    pub(crate) fn site(&self, call: &'static str) -> CallSite {
        CallSite {
            plugin: self.id.clone(),
            call,
        }
    }
}

/// What a plugin's calls have cost so far (every call, failed ones included).
#[derive(Debug, Default)]
struct CallStats {
    calls: AtomicU64,
    fuel: AtomicU64,
}

impl<P> core::fmt::Debug for Loaded<P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Loaded")
            .field("id", &self.meta.id)
            .field("limits", &self.meta.limits)
            .finish_non_exhaustive()
    }
}

impl<P> Loaded<P> {
    /// Compiles `bytes` (named `origin` in errors) with nothing linked — a component that
    /// imports any function cannot instantiate and is refused here — and checks with `typed`
    /// that it exports `world`.
    #[expect(
        clippy::too_many_arguments,
        reason = "one constructor serves the three plugin kinds"
    )]
    pub(crate) fn new(
        engine: &PluginEngine,
        origin: &Path,
        world: &'static str,
        id: PluginId,
        bytes: &[u8],
        limits: PluginLimits,
        settings: Vec<(String, String)>,
        typed: impl FnOnce(InstancePre<HostState>) -> wasmtime::Result<P>,
    ) -> Result<Self, PluginError> {
        let prepare = || -> wasmtime::Result<P> {
            let component = match engine.cache_dir() {
                None => Component::new(engine.engine(), bytes)?,
                Some(dir) => cached_component(engine, dir, bytes)?,
            };
            typed(Linker::<HostState>::new(engine.engine()).instantiate_pre(&component)?)
        };
        let pre = prepare().map_err(|e| PluginError::Invalid {
            path: origin.to_owned(),
            world,
            reason: format!("{e:#}"),
        })?;
        Ok(Self {
            meta: Meta {
                id: Arc::new(id),
                limits,
                settings,
                stats: CallStats::default(),
            },
            pre,
        })
    }

    /// Names the exported function `call` of this plugin, for errors.
    pub(crate) fn site(&self, call: &'static str) -> CallSite {
        self.meta.site(call)
    }

    /// Runs `call` (given the prepared instance and the settings) on a fresh store under this
    /// plugin's limits, naming any failure after `site`.
    pub(crate) fn call<T>(
        &self,
        engine: &PluginEngine,
        site: &CallSite,
        // `&Vec`, not a slice: it is what the `bindgen!` functions take for `list<tuple<…>>`.
        call: impl FnOnce(&P, &Vec<(String, String)>, &mut Store<HostState>) -> wasmtime::Result<T>,
    ) -> Result<T, PluginError> {
        let meta = &self.meta;
        let mut store = new_store(engine, &meta.limits).map_err(|e| PluginError::Trap {
            site: site.clone(),
            message: format!("{e:#}"),
        })?;
        let result = call(&self.pre, &meta.settings, &mut store)
            .map_err(|error| classify(error, &store, site.clone(), &meta.limits));
        let used = meta
            .limits
            .fuel
            .saturating_sub(store.get_fuel().unwrap_or(0));
        meta.stats.calls.fetch_add(1, Relaxed);
        meta.stats.fuel.fetch_add(used, Relaxed);
        result
    }
}

/// Loads the compiled form of `bytes` from `dir`, or compiles it and stores it there.
///
/// The file name binds the artefact to the component's sha256 and to everything in the engine
/// that affects compiled code (wasmtime version, config, target), so a stale or foreign file is
/// never picked up; an unreadable one is simply recompiled and replaced. A compiled artefact is
/// native code that wasmtime loads without validating it, so each carries an HMAC-SHA256 tag
/// under a key only the node can read ([`CacheKey`]): a file someone else put in the directory,
/// or changed, fails the tag and is recompiled, never loaded.
fn cached_component(
    engine: &PluginEngine,
    dir: &Path,
    bytes: &[u8],
) -> wasmtime::Result<Component> {
    use sha2::{Digest, Sha256};
    use std::hash::{Hash, Hasher};

    let mut compat = std::collections::hash_map::DefaultHasher::new();
    engine
        .engine()
        .precompile_compatibility_hash()
        .hash(&mut compat);
    let code: [u8; 32] = Sha256::digest(bytes).into();
    let code: String = code.iter().map(|b| format!("{b:02x}")).collect();
    let path = dir.join(format!("{code}-{:016x}.cwasm", compat.finish()));
    let key = match CacheKey::load_or_create(dir) {
        Ok(key) => key,
        Err(error) => {
            tracing::warn!(target: "keel::plugins", dir = %dir.display(), %error, "cannot use the compiled-plugin cache; compiling");
            return Component::new(engine.engine(), bytes);
        }
    };
    if let Ok(file) = std::fs::read(&path) {
        match key.open(&file) {
            // SAFETY: the artefact carries a valid tag under the node's own key, so it is the
            // one `Component::serialize` wrote below for this code and engine; wasmtime also
            // checks its header.
            Some(artefact) => match unsafe { Component::deserialize(engine.engine(), artefact) } {
                Ok(component) => return Ok(component),
                Err(error) => {
                    tracing::warn!(target: "keel::plugins", path = %path.display(), %error, "unusable compiled plugin in the cache; recompiling")
                }
            },
            None => {
                tracing::warn!(target: "keel::plugins", path = %path.display(), "a compiled plugin in the cache fails its tag (not written by this node, or changed); recompiling, never loading it")
            }
        }
    }
    let component = Component::new(engine.engine(), bytes)?;
    let write = || -> std::io::Result<()> {
        let serialized = component.serialize().map_err(std::io::Error::other)?;
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, key.seal(serialized))?;
        std::fs::rename(&tmp, &path)
    };
    if let Err(error) = write() {
        tracing::warn!(target: "keel::plugins", dir = %dir.display(), %error, "cannot cache the compiled plugin; it will be compiled again next start");
    }
    Ok(component)
}

/// The key that tags compiled plugins in a cache directory: 32 random bytes in `cache.key`,
/// readable by the node's user only (a key others can read is replaced, and with it every tag).
struct CacheKey([u8; 32]);

impl CacheKey {
    const FILE: &'static str = "cache.key";
    const TAG_LEN: usize = 32;

    fn load_or_create(dir: &Path) -> std::io::Result<Self> {
        let path = dir.join(Self::FILE);
        if let Ok(bytes) = std::fs::read(&path)
            && let Ok(key) = <[u8; 32]>::try_from(bytes.as_slice())
            && Self::private(&path)?
        {
            return Ok(Self(key));
        }
        create_private_dir(dir)?;
        let key = alloy_primitives::B256::random().0;
        let tmp = path.with_extension("tmp");
        let _ = std::fs::remove_file(&tmp);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        std::io::Write::write_all(&mut options.open(&tmp)?, &key)?;
        std::fs::rename(&tmp, &path)?;
        Ok(Self(key))
    }

    /// Whether only the owner may read and write `path`.
    fn private(path: &Path) -> std::io::Result<bool> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            Ok(std::fs::metadata(path)?.permissions().mode() & 0o077 == 0)
        }
        #[cfg(not(unix))]
        {
            let _ = path;
            Ok(true)
        }
    }

    fn mac(&self, artefact: &[u8]) -> hmac::Hmac<sha2::Sha256> {
        use hmac::Mac;
        // HMAC takes a key of any length: this cannot fail.
        let mut mac = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!());
        mac.update(artefact);
        mac
    }

    /// `artefact` followed by its tag.
    fn seal(&self, mut artefact: Vec<u8>) -> Vec<u8> {
        use hmac::Mac;
        let tag = self.mac(&artefact).finalize().into_bytes();
        artefact.extend_from_slice(&tag);
        artefact
    }

    /// The artefact of a sealed file, if its tag is right (compared in constant time).
    fn open<'a>(&self, file: &'a [u8]) -> Option<&'a [u8]> {
        use hmac::Mac;
        let split = file.len().checked_sub(Self::TAG_LEN)?;
        let (artefact, tag) = file.split_at(split);
        self.mac(artefact).verify_slice(tag).ok().map(|()| artefact)
    }
}

/// Creates `dir` (and its parents) readable by the node's user only.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}
