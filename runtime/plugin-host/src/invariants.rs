//! What the host enforces whatever a plugin says. Pure functions, so the rules are tested
//! without any Wasm.

use alloy_primitives::{Address, map::AddressMap};

/// A host invariant a plugin's answer breaks, as the plugin's error carries it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvariantViolation {
    /// A fee rule's base fee.
    #[error("{0}")]
    Fee(FeeViolation),
    /// An ordering with dropped entries where none may be (the conformance run): the first one,
    /// and how many.
    #[error("{first} ({dropped} of {total} entries dropped)")]
    Ordering {
        /// The first dropped entry.
        first: OrderingViolation,
        /// Entries dropped.
        dropped: usize,
        /// Entries the plugin returned.
        total: usize,
    },
    /// A 0.4.0 ordering's rank list is not one rank per candidate.
    #[error("{ranks} ranks returned for {candidates} candidates")]
    RankCount {
        /// Ranks returned.
        ranks: usize,
        /// Candidates offered.
        candidates: usize,
    },
    /// More candidates than the interface's `u32` count can say.
    #[error("{count} candidates exceed the interface's u32 count")]
    TooManyCandidates {
        /// The candidates offered.
        count: usize,
    },
}

/// Why one entry of a plugin's ordering was dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderingViolation {
    /// The index is not a candidate.
    OutOfRange {
        /// Position in the plugin's answer.
        position: usize,
        /// The index it named.
        index: u32,
    },
    /// The candidate was already placed.
    Duplicate {
        /// Position in the plugin's answer.
        position: usize,
        /// The repeated index.
        index: u32,
    },
    /// The sender's next nonce was not placed before this one.
    NonceGap {
        /// Position in the plugin's answer.
        position: usize,
        /// The sender.
        sender: Address,
        /// The nonce the plugin placed.
        nonce: u64,
        /// The nonce the sender needed next.
        expected: u64,
    },
}

impl core::fmt::Display for OrderingViolation {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::OutOfRange { position, index } => {
                write!(f, "entry {position}: index {index} is not a candidate")
            }
            Self::Duplicate { position, index } => {
                write!(f, "entry {position}: index {index} repeated")
            }
            Self::NonceGap {
                position,
                sender,
                nonce,
                expected,
            } => {
                write!(
                    f,
                    "entry {position}: {sender} nonce {nonce} placed before nonce {expected}"
                )
            }
        }
    }
}

/// The sender and nonce of each candidate, which is all the ordering check needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderNonce {
    /// Sender.
    pub sender: Address,
    /// Nonce.
    pub nonce: u64,
}

/// Keeps the entries of `order` that form a subset permutation of `candidates` in which every
/// sender's transactions appear in nonce order starting from its lowest candidate nonce;
/// returns the kept indices and one violation per dropped entry.
///
/// A sender whose nonce sequence breaks has its later entries dropped too (each reported): once
/// a nonce is skipped, nothing after it can execute.
pub fn check_ordering(
    candidates: &[SenderNonce],
    order: &[u32],
) -> (Vec<usize>, Vec<OrderingViolation>) {
    // Each sender's first expected nonce is its lowest among the candidates.
    // foldhash (alloy's map): SipHash over 10,000 senders costs more than the check itself.
    let mut next: AddressMap<u64> = AddressMap::default();
    for c in candidates {
        next.entry(c.sender)
            .and_modify(|n| *n = (*n).min(c.nonce))
            .or_insert(c.nonce);
    }
    let mut placed = vec![false; candidates.len()];
    let mut kept = Vec::with_capacity(order.len());
    let mut violations = Vec::new();
    for (position, &index) in order.iter().enumerate() {
        let Some(candidate) = candidates.get(index as usize) else {
            violations.push(OrderingViolation::OutOfRange { position, index });
            continue;
        };
        if placed[index as usize] {
            violations.push(OrderingViolation::Duplicate { position, index });
            continue;
        }
        placed[index as usize] = true;
        let expected = next
            .get_mut(&candidate.sender)
            .expect("every candidate's sender is in the map");
        if candidate.nonce != *expected {
            violations.push(OrderingViolation::NonceGap {
                position,
                sender: candidate.sender,
                nonce: candidate.nonce,
                expected: *expected,
            });
            continue;
        }
        *expected += 1;
        kept.push(index as usize);
    }
    (kept, violations)
}

/// Why a fee plugin's base fee was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeeViolation {
    /// Outside `[min, max]`.
    OutOfBounds {
        /// What the plugin returned.
        base_fee: u64,
        /// Configured minimum.
        min: u64,
        /// Configured maximum.
        max: u64,
    },
    /// Moved more than the configured maximum change from the parent's.
    TooSteep {
        /// What the plugin returned.
        base_fee: u64,
        /// The parent's base fee.
        parent: u64,
        /// Largest allowed change, in basis points of the parent's base fee.
        max_change_bps: u64,
    },
    /// An L1 data price above the configured maximum.
    DataPriceTooHigh {
        /// What the plugin returned.
        data_price: u64,
        /// Configured maximum (`fees.max_data_price`).
        max: u64,
    },
}

impl core::fmt::Display for FeeViolation {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::OutOfBounds { base_fee, min, max } => {
                write!(
                    f,
                    "base fee {base_fee} is outside the configured bounds [{min}, {max}]"
                )
            }
            Self::TooSteep {
                base_fee,
                parent,
                max_change_bps,
            } => write!(
                f,
                "base fee {base_fee} moves more than {}.{:02} % from the parent's {parent}",
                max_change_bps / 100,
                max_change_bps % 100
            ),
            Self::DataPriceTooHigh { data_price, max } => write!(
                f,
                "data price {data_price} wei per 1,000 bytes is above the configured maximum {max}"
            ),
        }
    }
}

/// Checks a proposed base fee against the bounds and the largest change per block.
pub fn check_base_fee(
    base_fee: u64,
    parent: u64,
    min: u64,
    max: u64,
    max_change_bps: u64,
) -> Result<(), FeeViolation> {
    if !(min..=max).contains(&base_fee) {
        return Err(FeeViolation::OutOfBounds { base_fee, min, max });
    }
    // At least 1 wei: EIP-1559 itself raises a tiny base fee by 1 wei where the percentage
    // rounds to zero.
    let allowed = (u128::from(parent) * u128::from(max_change_bps) / 10_000).max(1);
    if u128::from(base_fee.abs_diff(parent)) > allowed {
        return Err(FeeViolation::TooSteep {
            base_fee,
            parent,
            max_change_bps,
        });
    }
    Ok(())
}

/// Checks a proposed L1 data price against the configured maximum.
pub fn check_data_price(data_price: u64, max: u64) -> Result<(), FeeViolation> {
    if data_price > max {
        return Err(FeeViolation::DataPriceTooHigh { data_price, max });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(sender: u8, nonce: u64) -> SenderNonce {
        SenderNonce {
            sender: Address::repeat_byte(sender),
            nonce,
        }
    }

    #[test]
    fn keeps_a_valid_subset_permutation() {
        let candidates = [c(1, 0), c(1, 1), c(2, 5)];
        let (kept, violations) = check_ordering(&candidates, &[2, 0, 1]);
        assert_eq!(kept, vec![2, 0, 1]);
        assert!(violations.is_empty());
        // Leaving candidates out is allowed.
        let (kept, violations) = check_ordering(&candidates, &[0]);
        assert_eq!((kept, violations.len()), (vec![0], 0));
    }

    #[test]
    fn drops_duplicates_out_of_range_and_nonce_gaps() {
        let candidates = [c(1, 0), c(1, 1), c(2, 5)];
        let (kept, violations) = check_ordering(&candidates, &[0, 0, 9, 2]);
        assert_eq!(kept, vec![0, 2]);
        assert_eq!(
            violations,
            vec![
                OrderingViolation::Duplicate {
                    position: 1,
                    index: 0
                },
                OrderingViolation::OutOfRange {
                    position: 2,
                    index: 9
                }
            ]
        );
        // Nonce 1 before nonce 0: 1 is dropped, and 0 is still fine after it.
        let (kept, violations) = check_ordering(&candidates, &[1, 0]);
        assert_eq!(kept, vec![0]);
        assert!(matches!(
            violations[0],
            OrderingViolation::NonceGap {
                nonce: 1,
                expected: 0,
                ..
            }
        ));
        assert!(
            violations[0]
                .to_string()
                .contains("nonce 1 placed before nonce 0")
        );
    }

    #[test]
    fn data_price_bound() {
        assert_eq!(check_data_price(10, 10), Ok(()));
        assert_eq!(
            check_data_price(11, 10).map_err(|v| v.to_string()),
            Err("data price 11 wei per 1,000 bytes is above the configured maximum 10".into())
        );
    }

    #[test]
    fn base_fee_bounds_and_steepness() {
        assert_eq!(check_base_fee(100, 100, 0, 1_000, 1_250), Ok(()));
        assert_eq!(check_base_fee(112, 100, 0, 1_000, 1_250), Ok(()));
        assert!(matches!(
            check_base_fee(113, 100, 0, 1_000, 1_250),
            Err(FeeViolation::TooSteep { .. })
        ));
        assert!(matches!(
            check_base_fee(2_000, 2_000, 0, 1_000, 10_000),
            Err(FeeViolation::OutOfBounds { .. })
        ));
        // A full block at base fee 7 gives 8 under EIP-1559: always allowed (at least 1 wei).
        assert_eq!(check_base_fee(8, 7, 0, 1_000, 1_250), Ok(()));
        assert!(check_base_fee(9, 7, 0, 1_000, 1_250).is_err());
        let message = check_base_fee(5, 100, 10, 1_000, 10_000)
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("outside the configured bounds [10, 1000]"),
            "{message}"
        );
    }
}
