//! [`TurnSwitch`]: whether a based node's proposer builds blocks now.
//!
//! A based node proposes only in its turn. Whoever decides turns (the node's conductor) opens
//! the switch when the turn starts and closes it before the turn ends; the proposer, on its
//! own thread, looks at it before each slot. Closing asks the proposer to seal the open batch,
//! so the settler can commit it while the turn lasts, and to forget its in-memory batch: the
//! next turn starts from what the database holds then (blocks another leader made and this
//! node followed in between).
//!
//! ```text
//!   Closed ──open()──▶ Open ──close()──▶ Sealing ──(proposer sealed)──▶ Closed
//! ```

use std::sync::{Arc, Mutex, PoisonError};

/// Where a turn stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnState {
    /// Not this node's turn: the proposer builds nothing.
    Closed,
    /// This node's turn: the proposer builds a block every slot.
    Open,
    /// The turn is closing: the proposer seals its open batch (if it has blocks), then
    /// closes.
    Sealing,
}

/// Shared between the proposer and whoever decides turns; cheap to clone.
#[derive(Debug, Clone)]
pub struct TurnSwitch(Arc<Mutex<TurnState>>);

impl Default for TurnSwitch {
    fn default() -> Self {
        Self(Arc::new(Mutex::new(TurnState::Closed)))
    }
}

impl TurnSwitch {
    /// A closed switch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Where the turn stands now.
    pub fn state(&self) -> TurnState {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts a turn: the proposer builds from its next slot, on the database's head.
    pub fn open(&self) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = TurnState::Open;
    }

    /// Ends the turn: the proposer builds no more blocks and seals what it built. A switch
    /// that is not open stays as it is.
    pub fn close(&self) {
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if *state == TurnState::Open {
            *state = TurnState::Sealing;
        }
    }

    /// Whether the turn has closed and its batch is sealed.
    pub fn is_closed(&self) -> bool {
        self.state() == TurnState::Closed
    }

    /// The proposer's side: it sealed (or had nothing to seal).
    pub(crate) fn sealed(&self) {
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if *state == TurnState::Sealing {
            *state = TurnState::Closed;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_turn_closes_only_once_sealed() {
        let switch = TurnSwitch::new();
        assert!(switch.is_closed());
        switch.close();
        assert!(
            switch.is_closed(),
            "closing a closed switch changes nothing"
        );
        switch.open();
        assert_eq!(switch.state(), TurnState::Open);
        switch.sealed();
        assert_eq!(
            switch.state(),
            TurnState::Open,
            "nothing to seal while open"
        );
        switch.close();
        assert_eq!(switch.state(), TurnState::Sealing);
        assert!(!switch.is_closed());
        switch.clone().sealed();
        assert!(switch.is_closed());
    }
}
