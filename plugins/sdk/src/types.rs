//! The shared WIT types (`keel:plugins/types`): [`U256`] and [`Address`], with lossless
//! conversions to and from byte arrays and native integers.
//!
//! The generated bindings of all three worlds use these very types (the `types` interface is
//! mapped here with `with:`), so a value from a bridge deposit and one built in a test are the
//! same Rust type.

use core::fmt;
use core::str::FromStr;

/// A 256-bit unsigned integer as four 64-bit limbs, most significant first (`w0`).
///
/// The derived ordering is numeric: limbs compare most significant first.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct U256 {
    /// Bits 192..256.
    pub w0: u64,
    /// Bits 128..192.
    pub w1: u64,
    /// Bits 64..128.
    pub w2: u64,
    /// Bits 0..64.
    pub w3: u64,
}

impl U256 {
    /// Zero.
    pub const ZERO: Self = Self::from_u128(0);
    /// 2^256 - 1.
    pub const MAX: Self = Self {
        w0: u64::MAX,
        w1: u64::MAX,
        w2: u64::MAX,
        w3: u64::MAX,
    };

    /// From a `u128` (always lossless).
    pub const fn from_u128(value: u128) -> Self {
        Self {
            w0: 0,
            w1: 0,
            w2: (value >> 64) as u64,
            w3: value as u64,
        }
    }

    /// The value as a `u128`, or `None` if it does not fit.
    pub const fn to_u128(self) -> Option<u128> {
        if self.w0 == 0 && self.w1 == 0 {
            Some(((self.w2 as u128) << 64) | self.w3 as u128)
        } else {
            None
        }
    }

    /// From 32 big-endian bytes (the EVM's word encoding).
    pub fn from_be_bytes(bytes: [u8; 32]) -> Self {
        let limb = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[8 * i..8 * i + 8]);
            u64::from_be_bytes(b)
        };
        Self {
            w0: limb(0),
            w1: limb(1),
            w2: limb(2),
            w3: limb(3),
        }
    }

    /// To 32 big-endian bytes.
    pub fn to_be_bytes(self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, limb) in [self.w0, self.w1, self.w2, self.w3].into_iter().enumerate() {
            out[8 * i..8 * i + 8].copy_from_slice(&limb.to_be_bytes());
        }
        out
    }

    /// Whether the value is zero.
    pub const fn is_zero(self) -> bool {
        self.w0 == 0 && self.w1 == 0 && self.w2 == 0 && self.w3 == 0
    }

    /// Limbs least significant first, for arithmetic.
    const fn le_limbs(self) -> [u64; 4] {
        [self.w3, self.w2, self.w1, self.w0]
    }

    const fn from_le_limbs(l: [u64; 4]) -> Self {
        Self {
            w0: l[3],
            w1: l[2],
            w2: l[1],
            w3: l[0],
        }
    }

    /// `self * mul + add`, or `None` on overflow.
    pub(crate) fn checked_mul_add_small(self, mul: u64, add: u64) -> Option<Self> {
        let mut limbs = self.le_limbs();
        let mut carry = u128::from(add);
        for limb in &mut limbs {
            let v = u128::from(*limb) * u128::from(mul) + carry;
            *limb = v as u64;
            carry = v >> 64;
        }
        (carry == 0).then(|| Self::from_le_limbs(limbs))
    }

    /// `(self / div, self % div)` for a non-zero `div`.
    fn div_rem_small(self, div: u64) -> (Self, u64) {
        let mut limbs = self.le_limbs();
        let mut rem = 0u128;
        for limb in limbs.iter_mut().rev() {
            let v = (rem << 64) | u128::from(*limb);
            *limb = (v / u128::from(div)) as u64;
            rem = v % u128::from(div);
        }
        (Self::from_le_limbs(limbs), rem as u64)
    }
}

impl From<u128> for U256 {
    fn from(value: u128) -> Self {
        Self::from_u128(value)
    }
}

impl From<u64> for U256 {
    fn from(value: u64) -> Self {
        Self::from_u128(value.into())
    }
}

impl From<[u8; 32]> for U256 {
    /// Big-endian.
    fn from(bytes: [u8; 32]) -> Self {
        Self::from_be_bytes(bytes)
    }
}

impl From<U256> for [u8; 32] {
    /// Big-endian.
    fn from(value: U256) -> Self {
        value.to_be_bytes()
    }
}

/// A [`U256`] that does not fit the narrower integer asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct U256TooLarge(pub U256);

impl fmt::Display for U256TooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} does not fit in 128 bits", self.0)
    }
}

impl core::error::Error for U256TooLarge {}

impl TryFrom<U256> for u128 {
    type Error = U256TooLarge;

    fn try_from(value: U256) -> Result<Self, Self::Error> {
        value.to_u128().ok_or(U256TooLarge(value))
    }
}

impl fmt::Display for U256 {
    /// Decimal.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(small) = self.to_u128() {
            return fmt::Display::fmt(&small, f);
        }
        // At most 78 digits; peel off 19 at a time.
        const TEN_19: u64 = 10_000_000_000_000_000_000;
        let mut chunks = [0u64; 5];
        let mut n = 0;
        let mut rest = *self;
        while !rest.is_zero() {
            let (q, r) = rest.div_rem_small(TEN_19);
            chunks[n] = r;
            n += 1;
            rest = q;
        }
        let mut s = String::with_capacity(78);
        s.push_str(&chunks[n - 1].to_string());
        for chunk in chunks[..n - 1].iter().rev() {
            s.push_str(&format!("{chunk:019}"));
        }
        f.pad_integral(true, "", &s)
    }
}

/// Why a string is not a [`U256`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseU256Error {
    /// The string is empty.
    Empty,
    /// A character other than an ASCII digit.
    InvalidDigit,
    /// The value is at least 2^256.
    Overflow,
}

impl fmt::Display for ParseU256Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Empty => "cannot parse an integer from an empty string",
            Self::InvalidDigit => "invalid digit found in string (decimal digits only)",
            Self::Overflow => "number too large to fit in 256 bits",
        })
    }
}

impl core::error::Error for ParseU256Error {}

impl FromStr for U256 {
    type Err = ParseU256Error;

    /// Decimal digits only (no sign, no separators, no `0x`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err(ParseU256Error::Empty);
        }
        let mut value = Self::ZERO;
        for b in s.bytes() {
            if !b.is_ascii_digit() {
                return Err(ParseU256Error::InvalidDigit);
            }
            value = value
                .checked_mul_add_small(10, u64::from(b - b'0'))
                .ok_or(ParseU256Error::Overflow)?;
        }
        Ok(value)
    }
}

/// A 20-byte Ethereum address: bytes 0..8 (`hi`), 8..16 (`mid`) as big-endian `u64`s and
/// 16..20 (`lo`) as a big-endian `u32`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address {
    /// Bytes 0..8, big-endian.
    pub hi: u64,
    /// Bytes 8..16, big-endian.
    pub mid: u64,
    /// Bytes 16..20, big-endian.
    pub lo: u32,
}

impl Address {
    /// The zero address.
    pub const ZERO: Self = Self {
        hi: 0,
        mid: 0,
        lo: 0,
    };

    /// From the 20 address bytes.
    pub fn from_bytes(bytes: [u8; 20]) -> Self {
        let mut hi = [0u8; 8];
        let mut mid = [0u8; 8];
        let mut lo = [0u8; 4];
        hi.copy_from_slice(&bytes[0..8]);
        mid.copy_from_slice(&bytes[8..16]);
        lo.copy_from_slice(&bytes[16..20]);
        Self {
            hi: u64::from_be_bytes(hi),
            mid: u64::from_be_bytes(mid),
            lo: u32::from_be_bytes(lo),
        }
    }

    /// The 20 address bytes.
    pub fn to_bytes(self) -> [u8; 20] {
        let mut out = [0u8; 20];
        out[0..8].copy_from_slice(&self.hi.to_be_bytes());
        out[8..16].copy_from_slice(&self.mid.to_be_bytes());
        out[16..20].copy_from_slice(&self.lo.to_be_bytes());
        out
    }
}

impl From<[u8; 20]> for Address {
    fn from(bytes: [u8; 20]) -> Self {
        Self::from_bytes(bytes)
    }
}

impl From<Address> for [u8; 20] {
    fn from(address: Address) -> Self {
        address.to_bytes()
    }
}

impl fmt::Display for Address {
    /// `0x` and 40 lowercase hex digits (no checksum: that needs keccak).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:016x}{:016x}{:08x}", self.hi, self.mid, self.lo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn u256_bytes_round_trip_and_limb_order() {
        let mut bytes = [0u8; 32];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = i as u8;
        }
        let v = U256::from(bytes);
        assert_eq!(v.w0, 0x0001_0203_0405_0607);
        assert_eq!(v.w3, 0x1819_1a1b_1c1d_1e1f);
        assert_eq!(<[u8; 32]>::from(v), bytes);
    }

    #[test]
    fn u256_u128_conversions() {
        for x in [0u128, 1, u64::MAX as u128, u64::MAX as u128 + 1, u128::MAX] {
            let v = U256::from(x);
            assert_eq!(u128::try_from(v), Ok(x));
            assert_eq!(v.to_string(), x.to_string());
        }
        let big = U256 {
            w1: 1,
            ..U256::ZERO
        };
        assert_eq!(u128::try_from(big), Err(U256TooLarge(big)));
        assert!(U256::from(u128::MAX) < big);
    }

    #[test]
    fn u256_decimal_round_trip() {
        let max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
        assert_eq!(U256::MAX.to_string(), max);
        assert_eq!(max.parse::<U256>(), Ok(U256::MAX));
        let two_128 = "340282366920938463463374607431768211456";
        let v: U256 = two_128.parse().expect("parses");
        assert_eq!(
            v,
            U256 {
                w1: 1,
                ..U256::ZERO
            }
        );
        assert_eq!(v.to_string(), two_128);
        assert_eq!(format!("{:>45}", v), format!("{two_128:>45}"));
        assert_eq!(
            "115792089237316195423570985008687907853269984665640564039457584007913129639936"
                .parse::<U256>(),
            Err(ParseU256Error::Overflow)
        );
        assert_eq!("".parse::<U256>(), Err(ParseU256Error::Empty));
        assert_eq!("-1".parse::<U256>(), Err(ParseU256Error::InvalidDigit));
        assert_eq!("1_000".parse::<U256>(), Err(ParseU256Error::InvalidDigit));
        assert_eq!("007".parse::<U256>(), Ok(U256::from(7u64)));
    }

    #[test]
    fn address_round_trip_and_display() {
        let mut bytes = [0u8; 20];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = 0xa0 + i as u8;
        }
        let a = Address::from(bytes);
        assert_eq!(a.hi, 0xa0a1_a2a3_a4a5_a6a7);
        assert_eq!(a.mid, 0xa8a9_aaab_acad_aeaf);
        assert_eq!(a.lo, 0xb0b1_b2b3);
        assert_eq!(<[u8; 20]>::from(a), bytes);
        assert_eq!(a.to_string(), "0xa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3");
        assert_eq!(
            Address::ZERO.to_string(),
            "0x0000000000000000000000000000000000000000"
        );
    }
}
