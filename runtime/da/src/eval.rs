//! Binding a proof to blobs without a KZG commitment in the guest: the blob polynomial is
//! evaluated at a challenge derived from the blob's versioned hash and the frame, in the
//! barycentric form over BLS12-381's scalar field (EIP-4844's
//! `evaluate_polynomial_in_evaluation_form`), and L1 checks the same evaluation against the
//! blob's KZG commitment with the point-evaluation precompile.

use std::sync::OnceLock;

use alloy_primitives::{B256, keccak256};
use bls12_381::Scalar;
pub use keel_primitives::{BlobBinding, VALIDIUM, blobs_hash};

use crate::{Blob, DaError, FIELD_ELEMENTS_PER_BLOB, Frame, to_blobs};

/// EIP-4844's generator of the scalar field's multiplicative group ([`OMEGA`] is derived from
/// it).
#[cfg(test)]
const PRIMITIVE_ROOT_OF_UNITY: u64 = 7;
/// log2 of [`FIELD_ELEMENTS_PER_BLOB`].
const LOG_WIDTH: u32 = FIELD_ELEMENTS_PER_BLOB.trailing_zeros();

/// The challenge point of a blob: `keccak256(versioned_hash ‖ payload_hash)` reduced modulo the
/// BLS12-381 scalar field's order, big endian. It depends on the blob (through its commitment's
/// hash) and on the frame, so it is fixed only after both are.
pub fn challenge(versioned_hash: B256, payload_hash: B256) -> B256 {
    let mut preimage = [0u8; 64];
    preimage[..32].copy_from_slice(versioned_hash.as_slice());
    preimage[32..].copy_from_slice(payload_hash.as_slice());
    let digest = keccak256(preimage);
    let mut wide = [0u8; 64];
    for (i, byte) in digest.iter().rev().enumerate() {
        wide[i] = *byte;
    }
    B256::from(to_be(&Scalar::from_bytes_wide(&wide)))
}

/// The bindings of `frame`'s blobs, given their versioned hashes (one per blob the frame fills;
/// none for a validium batch).
pub fn bind_blobs(frame: &Frame, versioned_hashes: &[B256]) -> Result<Vec<BlobBinding>, DaError> {
    if versioned_hashes.is_empty() {
        return Ok(Vec::new());
    }
    let blobs = to_blobs(frame);
    if blobs.len() != versioned_hashes.len() {
        return Err(DaError::BlobCount {
            given: versioned_hashes.len() as u64,
            needed: blobs.len() as u64,
        });
    }
    let payload_hash = keccak256(&frame.0);
    let evaluator = EVALUATOR.get().copied().unwrap_or(evaluate);
    blobs
        .iter()
        .zip(versioned_hashes)
        .enumerate()
        .map(|(index, (blob, vh))| {
            let z = challenge(*vh, payload_hash);
            let y = evaluator(blob, z).map_err(|e| match e {
                DaError::FieldElement {
                    element, reason, ..
                } => DaError::FieldElement {
                    blob: index as u64,
                    element,
                    reason,
                },
                other => other,
            })?;
            Ok(BlobBinding {
                versioned_hash: *vh,
                z,
                y,
            })
        })
        .collect()
}

/// The arithmetic of BLS12-381's scalar field that [`evaluate_in`] needs, so that a zkVM guest
/// runs this very evaluation on its field intrinsics (the OpenVM guest's
/// `runtime/guest/src/blob_field.rs`) rather than a copy of it. `bls12_381::Scalar` is the
/// node's.
pub trait BlobField: Sized + Clone + PartialEq {
    /// 0.
    fn zero() -> Self;
    /// 1.
    fn one() -> Self;
    /// The element with these canonical little-endian limbs (below the modulus).
    fn from_limbs(limbs: [u64; 4]) -> Self;
    /// The element with these big-endian bytes; `None` unless they are below the modulus.
    fn from_be(bytes: &[u8; 32]) -> Option<Self>;
    /// Canonical big-endian bytes.
    fn to_be(&self) -> [u8; 32];
    /// `self + other`.
    fn add(&self, other: &Self) -> Self;
    /// `self - other`.
    fn sub(&self, other: &Self) -> Self;
    /// `self * other`.
    fn mul(&self, other: &Self) -> Self;
    /// `1 / self`, for a non-zero element.
    fn invert(&self) -> Self;
}

impl BlobField for Scalar {
    fn zero() -> Self {
        Scalar::zero()
    }
    fn one() -> Self {
        Scalar::one()
    }
    fn from_limbs(limbs: [u64; 4]) -> Self {
        Scalar::from_raw(limbs)
    }
    fn from_be(bytes: &[u8; 32]) -> Option<Self> {
        from_be(bytes)
    }
    fn to_be(&self) -> [u8; 32] {
        to_be(self)
    }
    fn add(&self, other: &Self) -> Self {
        self + other
    }
    fn sub(&self, other: &Self) -> Self {
        self - other
    }
    fn mul(&self, other: &Self) -> Self {
        self * other
    }
    fn invert(&self) -> Self {
        invert(*self)
    }
}

/// How [`bind_blobs`] evaluates a blob: [`evaluate`] unless a zkVM guest installed
/// [`evaluate_in`] over its own field ([`install_evaluator`]).
pub type BlobEvaluator = fn(&Blob, B256) -> Result<B256, DaError>;

static EVALUATOR: OnceLock<BlobEvaluator> = OnceLock::new();

/// Makes [`bind_blobs`] evaluate with `evaluator` from now on in this process; `false` if one
/// was installed already (the first stays). For a zkVM guest: the node never installs one.
pub fn install_evaluator(evaluator: BlobEvaluator) -> bool {
    EVALUATOR.set(evaluator).is_ok()
}

/// The blob polynomial (the blob's field elements are its values at the 4096th roots of unity,
/// in bit-reversed order) at `z`, big endian. Elements that are zero contribute nothing, so the
/// cost follows the data, not the blob.
pub fn evaluate(blob: &Blob, z: B256) -> Result<B256, DaError> {
    evaluate_in::<Scalar>(blob, z)
}

/// [`evaluate`] in the field `F`.
pub fn evaluate_in<F: BlobField>(blob: &Blob, z: B256) -> Result<B256, DaError> {
    let z = F::from_be(&z.0).ok_or(DaError::FieldElement {
        blob: 0,
        element: u64::MAX,
        reason: "the challenge is not below the field modulus",
    })?;
    let mut z_width = z.clone();
    for _ in 0..LOG_WIDTH {
        z_width = z_width.mul(&z_width);
    }

    let mut values = Vec::new();
    for index in 0..blob.used_elements() {
        let bytes = blob.element(index);
        if bytes.iter().all(|b| *b == 0) {
            continue;
        }
        let value = F::from_be(bytes).ok_or(DaError::FieldElement {
            blob: 0,
            element: index as u64,
            reason: "it is not below the field modulus",
        })?;
        values.push((value, index));
    }
    let table = SubgroupRoots::<F>::covering(blob.used_elements());
    if z_width == F::one() {
        // z is a root of unity: the polynomial's value there is the element itself (zero past
        // the used elements, whose roots the table does not hold).
        let value = values
            .iter()
            .find(|(_, index)| *table.at(*index) == z)
            .map_or(F::zero(), |(value, _)| value.clone());
        return Ok(B256::from(value.to_be()));
    }

    // Σ fᵢ·ωᵢ/(z − ωᵢ), with one inversion for all the denominators (Montgomery's trick).
    let mut denominators: Vec<F> = values.iter().map(|(_, i)| z.sub(table.at(*i))).collect();
    batch_invert(&mut denominators);
    let mut sum = F::zero();
    for ((value, i), inverse) in values.iter().zip(&denominators) {
        sum = sum.add(&value.mul(table.at(*i)).mul(inverse));
    }
    let scale = z_width
        .sub(&F::one())
        .mul(&F::from_limbs(INVERSE_WIDTH_LIMBS));
    Ok(B256::from(sum.mul(&scale).to_be()))
}

/// ω = 7^((r − 1) / 4096), the generator of the 4096th roots of unity, as canonical
/// little-endian limbs (computed at compile time: a 255-bit power costs the guest more than a
/// small batch's whole evaluation; the tests derive it).
const OMEGA_LIMBS: [u64; 4] = [
    0xe206_da11_a5d3_6306,
    0x0ad1_347b_378f_bf96,
    0xfc3e_8acf_e0f8_245f,
    0x564c_0a11_a0f7_04f4,
];
#[cfg(test)]
const OMEGA: Scalar = Scalar::from_raw(OMEGA_LIMBS);

/// 1/4096, for the same reason (the tests derive it).
const INVERSE_WIDTH_LIMBS: [u64; 4] = [
    0x400f_ffff_0010_0001,
    0xd368_6828_bfce_5c19,
    0x5eb6_a46a_8921_3de7,
    0x73e6_6878_b46a_e370,
];
#[cfg(test)]
const INVERSE_WIDTH: Scalar = Scalar::from_raw(INVERSE_WIDTH_LIMBS);

/// The roots of unity at a blob's first `used` indices, in bit-reversed order. Those are exactly
/// the 2^b-th roots of unity for the smallest 2^b ≥ `used` (at index i < 2^b, ω^brp₁₂(i) =
/// g^brp_b(i) with g = ω^(4096 / 2^b)), so the table costs fewer than 2·`used` multiplications:
/// in the guest, where each is ~1,850 instructions, the whole 4,096-root table cost more than
/// a 200-transfer batch's other binding work, and computing each root on its own ~18 apiece.
struct SubgroupRoots<F> {
    bits: u32,
    powers: Vec<F>,
}

impl<F: BlobField> SubgroupRoots<F> {
    /// The table for a blob's first `used` elements.
    fn covering(used: usize) -> Self {
        let bits = used.max(1).next_power_of_two().trailing_zeros();
        let mut generator = F::from_limbs(OMEGA_LIMBS);
        for _ in bits..LOG_WIDTH {
            generator = generator.mul(&generator);
        }
        let mut powers = Vec::with_capacity(1 << bits);
        let mut power = F::one();
        for _ in 0..1usize << bits {
            let next = power.mul(&generator);
            powers.push(power);
            power = next;
        }
        Self { bits, powers }
    }

    /// `ω^brp(index)` for an index below the table's size.
    fn at(&self, index: usize) -> &F {
        let reversed = match self.bits {
            0 => 0,
            bits => (index as u32).reverse_bits() >> (32 - bits),
        };
        &self.powers[reversed as usize]
    }
}

/// The 4096th roots of unity, `ω^brp(i)` at index `i` (EIP-4844's `roots_of_unity_brp`): the
/// reference [`SubgroupRoots`] is checked against.
#[cfg(test)]
fn roots_of_unity() -> &'static [Scalar] {
    static ROOTS: std::sync::OnceLock<Vec<Scalar>> = std::sync::OnceLock::new();
    ROOTS.get_or_init(|| {
        let mut powers = Vec::with_capacity(FIELD_ELEMENTS_PER_BLOB);
        let mut power = Scalar::one();
        for _ in 0..FIELD_ELEMENTS_PER_BLOB {
            powers.push(power);
            power *= OMEGA;
        }
        (0..FIELD_ELEMENTS_PER_BLOB)
            .map(|i| powers[(i as u32).reverse_bits() as usize >> (32 - LOG_WIDTH)])
            .collect()
    })
}

/// r − 1 as little-endian limbs (−1 in the field, as an integer).
#[cfg(test)]
fn minus_one() -> [u64; 4] {
    let bytes = (-Scalar::one()).to_bytes();
    core::array::from_fn(|i| {
        u64::from_le_bytes(bytes[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]))
    })
}

/// `limbs >> bits` for `bits < 64`.
#[cfg(test)]
fn shr(limbs: &[u64; 4], bits: u32) -> [u64; 4] {
    core::array::from_fn(|i| {
        let high = if i + 1 < 4 {
            limbs[i + 1] << (64 - bits)
        } else {
            0
        };
        (limbs[i] >> bits) | high
    })
}

fn invert(value: Scalar) -> Scalar {
    Option::from(value.invert()).unwrap_or(Scalar::zero())
}

/// Inverts every element in place with one field inversion (none of them is zero: z is not a
/// root of unity).
fn batch_invert<F: BlobField>(values: &mut [F]) {
    let mut prefix = Vec::with_capacity(values.len());
    let mut acc = F::one();
    for value in values.iter() {
        let next = acc.mul(value);
        prefix.push(acc);
        acc = next;
    }
    let mut inverse = acc.invert();
    for (value, before) in values.iter_mut().zip(prefix).rev() {
        let next = inverse.mul(value);
        *value = inverse.mul(&before);
        inverse = next;
    }
}

/// A canonical field element from 32 big-endian bytes.
fn from_be(bytes: &[u8; 32]) -> Option<Scalar> {
    let mut le = *bytes;
    le.reverse();
    Option::from(Scalar::from_bytes(&le))
}

fn to_be(value: &Scalar) -> [u8; 32] {
    let mut bytes = value.to_bytes();
    bytes.reverse();
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::{BLOB_BYTES, BYTES_PER_FIELD_ELEMENT};
    use proptest::prelude::*;

    #[test]
    fn the_constants_are_what_they_say() {
        let exponent = shr(&minus_one(), LOG_WIDTH);
        assert_eq!(
            OMEGA,
            Scalar::from(PRIMITIVE_ROOT_OF_UNITY).pow_vartime(&exponent)
        );
        assert_eq!(
            OMEGA.pow_vartime(&[FIELD_ELEMENTS_PER_BLOB as u64, 0, 0, 0]),
            Scalar::one()
        );
        assert_ne!(
            OMEGA.pow_vartime(&[FIELD_ELEMENTS_PER_BLOB as u64 / 2, 0, 0, 0]),
            Scalar::one()
        );
        assert_eq!(
            INVERSE_WIDTH,
            invert(Scalar::from(FIELD_ELEMENTS_PER_BLOB as u64))
        );
    }

    #[test]
    fn subgroup_tables_hold_the_first_roots_in_bit_reversed_order() {
        let all = roots_of_unity();
        for used in [0, 1, 2, 3, 5, 64, 65, 450, 2_049, 4_096] {
            let table = SubgroupRoots::<Scalar>::covering(used);
            assert!(table.powers.len() >= used && table.powers.len() < 2 * used.max(1));
            for index in 0..used {
                assert_eq!(*table.at(index), all[index], "{used} used, index {index}");
            }
        }
    }

    fn kzg_y(blob: &Blob, z: B256) -> B256 {
        let settings = c_kzg::ethereum_kzg_settings(0);
        let blob = c_kzg::Blob::new(*blob.0);
        let (_, y) = settings
            .compute_kzg_proof(&blob, &c_kzg::Bytes32::new(z.0))
            .expect("c-kzg evaluates");
        B256::from(*y)
    }

    /// A blob whose first `used` elements hold bytes from `seed`, each below the modulus.
    fn blob(seed: u64, used: usize) -> Blob {
        let mut bytes = Box::new([0u8; BLOB_BYTES]);
        let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        for element in 0..used {
            for byte in 1..BYTES_PER_FIELD_ELEMENT {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                bytes[element * BYTES_PER_FIELD_ELEMENT + byte] = state as u8;
            }
        }
        Blob(bytes)
    }

    #[test]
    fn a_full_blob_agrees_with_c_kzg() {
        let blob = blob(1, FIELD_ELEMENTS_PER_BLOB);
        let z = challenge(B256::repeat_byte(1), B256::repeat_byte(2));
        assert_eq!(evaluate(&blob, z).unwrap(), kzg_y(&blob, z));
    }

    #[test]
    fn at_a_root_of_unity_the_value_is_the_element() {
        let blob = blob(3, 64);
        for index in [0usize, 5, 63, 64, 4095] {
            let z = B256::from(to_be(&roots_of_unity()[index]));
            assert_eq!(
                evaluate(&blob, z).unwrap(),
                kzg_y(&blob, z),
                "index {index}"
            );
        }
    }

    #[test]
    fn sparse_blobs_agree_with_c_kzg_at_each_table_size() {
        for used in [1, 2, 3, 50, 64, 65, 170, 2_048, 2_049] {
            let blob = blob(used as u64, used);
            let z = challenge(B256::repeat_byte(used as u8), B256::ZERO);
            assert_eq!(evaluate(&blob, z).unwrap(), kzg_y(&blob, z), "{used} used");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn random_blobs_agree_with_c_kzg(seed in any::<u64>(), used in 0usize..=FIELD_ELEMENTS_PER_BLOB, vh in any::<[u8; 32]>()) {
            let blob = blob(seed, used);
            let z = challenge(B256::from(vh), B256::ZERO);
            prop_assert_eq!(evaluate(&blob, z).unwrap(), kzg_y(&blob, z));
        }
    }

    #[test]
    fn a_flipped_payload_byte_changes_y() {
        let blocks = vec![crate::PayloadBlock {
            timestamp: 1,
            coinbase: alloy_primitives::Address::ZERO,
            gas_limit: 30_000_000,
            base_fee: 7,
            data_fee: Default::default(),
            extra_data: Default::default(),
            transactions: vec![],
        }];
        let frame = Frame::uncompressed(&blocks);
        let vh = B256::repeat_byte(9);
        let bound = bind_blobs(&frame, &[vh]).unwrap();
        let mut flipped = frame.0.to_vec();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        let flipped = bind_blobs(&Frame(flipped.into()), &[vh]).unwrap();
        assert_ne!(bound[0].y, flipped[0].y);
        assert_ne!(bound[0].z, flipped[0].z, "z follows the frame too");
        assert_ne!(blobs_hash(&bound), blobs_hash(&flipped));
        assert_eq!(blobs_hash(&[]), VALIDIUM);
        assert!(matches!(
            bind_blobs(&frame, &[vh, vh]),
            Err(DaError::BlobCount {
                given: 2,
                needed: 1
            })
        ));
    }
}
