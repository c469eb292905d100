//! [`WorldPlugin`]: one compiled plugin of one WIT world, generic over the world.
//!
//! Every world shares how a plugin is compiled, named, limited and called; what differs is the
//! `bindgen!` glue ([`World::Pre`]) and the calls, which each world adds as an inherent
//! `impl WorldPlugin<ItsWorld>` (`fee.rs`, `ordering.rs`, `bridge.rs`).

use std::path::Path;

use wasmtime::component::InstancePre;

use crate::{
    PluginEngine, PluginId, PluginLimits, PluginResult, PluginSlot,
    store::{HostState, Loaded},
};

/// A WIT world a plugin can implement: its name, its slot, and the prepared-instance type
/// `bindgen!` generates for it. Implemented by the marker types of this crate only.
pub trait World: sealed::Sealed + 'static {
    /// The world's name in `wit/`, e.g. `fee-rule`.
    const NAME: &'static str;
    /// The slot its plugins fill.
    const SLOT: PluginSlot;
    /// `bindgen!`'s pre-instantiated component (`FeeRulePre<HostState>`, …).
    type Pre: Send + Sync + 'static;

    /// Checks that a component exports the world, and prepares it.
    fn prepare(pre: InstancePre<HostState>) -> wasmtime::Result<Self::Pre>;
}

pub(crate) mod sealed {
    /// Only this crate's worlds are worlds.
    pub trait Sealed {}
}

/// A compiled plugin of world `W`, ready to instantiate once per call.
pub struct WorldPlugin<W: World>(pub(crate) Loaded<W::Pre>);

impl<W: World> core::fmt::Debug for WorldPlugin<W> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple(W::NAME).field(&self.0).finish()
    }
}

impl<W: World> WorldPlugin<W> {
    /// Compiles `bytes` (named `origin` in errors) and checks that it implements world `W`.
    pub fn new(
        engine: &PluginEngine,
        origin: &Path,
        id: PluginId,
        bytes: &[u8],
        limits: PluginLimits,
        settings: Vec<(String, String)>,
    ) -> PluginResult<Self> {
        Loaded::new(
            engine,
            origin,
            W::NAME,
            id,
            bytes,
            limits,
            settings,
            W::prepare,
        )
        .map(Self)
    }

    /// The plugin's identity.
    pub fn id(&self) -> &PluginId {
        self.0.meta.id()
    }
}

/// Declares a world's marker type for its `bindgen!` module.
macro_rules! world {
    ($(#[$doc:meta])* $marker:ident, $name:literal, $slot:ident, $pre:ty) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub enum $marker {}

        impl crate::world::sealed::Sealed for $marker {}

        impl crate::world::World for $marker {
            const NAME: &'static str = $name;
            const SLOT: crate::PluginSlot = crate::PluginSlot::$slot;
            type Pre = $pre;

            fn prepare(
                pre: wasmtime::component::InstancePre<crate::store::HostState>,
            ) -> wasmtime::Result<Self::Pre> {
                <$pre>::new(pre)
            }
        }
    };
}
pub(crate) use world;
