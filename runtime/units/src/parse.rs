//! Parsing of the value formats the config accepts (amounts of wei, hex, addresses, durations,
//! socket addresses), and the serde adapters that use them. Every error reads
//! `expected <what is allowed>, got <what was found>`.

use std::{fmt, net::SocketAddr, path::PathBuf, time::Duration};

use alloy_primitives::{Address, B256, Bytes, U256, hex};
use serde::{
    Deserialize, Deserializer,
    de::{Error, Unexpected, Visitor},
};

/// Decimals of each unit [`parse_wei`] knows.
const UNITS: [(&str, usize); 4] = [("wei", 0), ("gwei", 9), ("ether", 18), ("eth", 18)];

/// What an amount may look like, for error messages.
const WEI: &str = "an amount of wei: an integer, a decimal or 0x-hex string, or a number with \
                   a unit (\"10000 ether\", \"1.5 gwei\", \"7 wei\")";

/// Parses an amount of wei. Accepted, surrounding whitespace ignored:
///
/// - a decimal string, `_` allowed as a digit separator: `"10000000000000000000000"`;
/// - a hex string: `"0x21e19e0c9bab2400000"`;
/// - a decimal number with a unit, `wei`, `gwei` (10⁹) or `ether`/`eth` (10¹⁸), case-insensitive
///   and with or without a space: `"10000 ether"`, `"1.5 gwei"`, `"7wei"`. Fractions must come
///   to a whole number of wei.
///
/// (In the file a plain TOML integer is accepted too; TOML integers stop at 2⁶³ − 1.)
pub fn parse_wei(text: &str) -> Result<U256, String> {
    let text = text.trim();
    if let Some(digits) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        return parse_hex_u256(digits);
    }
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let (number, unit) = (text[..split].trim_end(), &text[split..]);
    let decimals = if unit.is_empty() {
        0
    } else {
        UNITS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(unit))
            .map(|(_, decimals)| *decimals)
            .ok_or_else(|| format!("unknown unit \"{unit}\"; the units are wei, gwei and ether"))?
    };
    let number = number.replace('_', "");
    let (int, frac) = number.split_once('.').unwrap_or((&number, ""));
    if int.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err("not a non-negative number".into());
    }
    let frac = frac.trim_end_matches('0');
    if frac.len() > decimals {
        return Err("not a whole number of wei".into());
    }
    let digits = format!("{int}{frac}{}", "0".repeat(decimals - frac.len()));
    U256::from_str_radix(&digits, 10).map_err(|_| "more than 2^256 - 1 wei".into())
}

/// Parses `0x` + 1 to 64 hex digits (a 32-byte word, left-padded with zeros).
pub fn parse_word(text: &str) -> Result<U256, String> {
    let digits = text.strip_prefix("0x").ok_or("no 0x prefix")?;
    parse_hex_u256(digits)
}

fn parse_hex_u256(digits: &str) -> Result<U256, String> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("not hex digits".into());
    }
    U256::from_str_radix(digits, 16).map_err(|_| "more than 32 bytes".into())
}

/// Parses `0x` + 40 hex digits. Mixed case must be a valid EIP-55 checksum, which catches a
/// mistyped digit; all-lower or all-upper case is taken as is.
pub fn parse_address(text: &str) -> Result<Address, String> {
    let digits = text.strip_prefix("0x").ok_or("no 0x prefix")?;
    if digits.len() != 40 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("{} hex digits, not 40", digits.len()));
    }
    let address: Address = text.parse().map_err(|e| format!("{e}"))?;
    let has = |f: fn(&u8) -> bool| digits.as_bytes().iter().any(f);
    if has(u8::is_ascii_lowercase)
        && has(u8::is_ascii_uppercase)
        && Address::parse_checksummed(text, None).is_err()
    {
        return Err(format!(
            "bad EIP-55 checksum, a digit may be mistyped; the checksummed form of this address is {}, \
             or write it in lower case",
            address.to_checksum(None)
        ));
    }
    Ok(address)
}

/// Parses `0x` + an even number of hex digits.
fn parse_bytes(text: &str) -> Result<Bytes, String> {
    let digits = text.strip_prefix("0x").ok_or("no 0x prefix")?;
    hex::decode(digits)
        .map(Bytes::from)
        .map_err(|e| e.to_string())
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime_serde::re::humantime::parse_duration(text).map_err(|e| e.to_string())
}

fn parse_socket_addr(text: &str) -> Result<SocketAddr, String> {
    text.parse().map_err(|_| {
        "not an IP address with a port; host names such as localhost are not resolved".into()
    })
}

/// A visitor for a value written as a string (and, where `int` is given, as an integer).
struct Text<T> {
    expecting: &'static str,
    parse: fn(&str) -> Result<T, String>,
    int: Option<fn(i128) -> Result<T, String>>,
}

impl<T> Text<T> {
    fn new(expecting: &'static str, parse: fn(&str) -> Result<T, String>) -> Self {
        Self {
            expecting,
            parse,
            int: None,
        }
    }

    fn or_int(self, int: fn(i128) -> Result<T, String>) -> Self {
        Self {
            int: Some(int),
            ..self
        }
    }
}

impl<T> Visitor<'_> for Text<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<T, E> {
        (self.parse)(v)
            .map_err(|why| E::custom(format!("expected {}, got \"{v}\" ({why})", self.expecting)))
    }

    fn visit_i64<E: Error>(self, v: i64) -> Result<T, E> {
        match self.int {
            Some(int) => int(v.into())
                .map_err(|why| E::custom(format!("expected {}, got {v} ({why})", self.expecting))),
            None => Err(E::invalid_type(Unexpected::Signed(v), &self)),
        }
    }

    fn visit_u64<E: Error>(self, v: u64) -> Result<T, E> {
        match self.int {
            Some(int) => int(v.into())
                .map_err(|why| E::custom(format!("expected {}, got {v} ({why})", self.expecting))),
            None => Err(E::invalid_type(Unexpected::Unsigned(v), &self)),
        }
    }
}

fn int_to_u256(v: i128) -> Result<U256, String> {
    u128::try_from(v)
        .map(U256::from)
        .map_err(|_| "negative".into())
}

fn int_to_u64(v: i128) -> Result<u64, String> {
    u64::try_from(v).map_err(|_| format!("not within 0..={}", u64::MAX))
}

fn int_to_usize(v: i128) -> Result<usize, String> {
    usize::try_from(v).map_err(|_| format!("not within 0..={}", usize::MAX))
}

/// An amount of wei as a 256-bit integer; see [`parse_wei`].
pub fn wei_u256<'de, D: Deserializer<'de>>(deserializer: D) -> Result<U256, D::Error> {
    deserializer.deserialize_any(Text::new(WEI, parse_wei).or_int(int_to_u256))
}

/// An amount of wei that must fit 64 bits (fees per gas); see [`parse_wei`].
pub fn wei_u64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    fn parse(text: &str) -> Result<u64, String> {
        let wei = parse_wei(text)?;
        u64::try_from(wei).map_err(|_| format!("more than {} wei (about 18.4 ether)", u64::MAX))
    }
    deserializer.deserialize_any(Text::new(WEI, parse).or_int(int_to_u64))
}

/// A 32-byte word: `0x`-hex (up to 64 digits) or a non-negative integer.
pub fn word<'de, D: Deserializer<'de>>(deserializer: D) -> Result<U256, D::Error> {
    deserializer.deserialize_any(
        Text::new(
            "a 0x-hex word of at most 32 bytes (\"0xff\") or a non-negative integer",
            parse_word,
        )
        .or_int(int_to_u256),
    )
}

/// `0x`-hex bytes.
pub fn hex_bytes<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Bytes, D::Error> {
    deserializer.deserialize_any(Text::new(
        "0x-prefixed hex bytes with an even number of digits (\"0x6001\")",
        parse_bytes,
    ))
}

/// What an address may look like.
pub const ADDRESS: &str =
    "a 20-byte address: \"0x\" and 40 hex digits, lower case or EIP-55 checksummed";
/// What a storage slot may look like.
pub const SLOT: &str = "a 0x-hex word of at most 32 bytes (\"0x01\")";

/// An address; see [`parse_address`].
pub fn address<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Address, D::Error> {
    deserializer.deserialize_any(Text::new(ADDRESS, parse_address))
}

/// An optional address ([`parse_address`]); `""` is `None`.
pub fn opt_address<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Address>, D::Error> {
    let text = string(deserializer)?;
    if text.is_empty() {
        return Ok(None);
    }
    parse_address(&text).map(Some).map_err(D::Error::custom)
}

/// A duration in humantime syntax.
pub fn duration<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    deserializer.deserialize_any(Text::new(
        "a duration like \"1s\" or \"250ms\"",
        parse_duration,
    ))
}

const SOCKET_ADDR: &str = "an IP address and port like \"127.0.0.1:1729\" or \"[::1]:1729\"";

/// An IP address and port.
pub fn socket_addr<'de, D: Deserializer<'de>>(deserializer: D) -> Result<SocketAddr, D::Error> {
    deserializer.deserialize_any(Text::new(SOCKET_ADDR, parse_socket_addr))
}

/// An IP address and port, or `""` for none.
pub fn opt_socket_addr<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<SocketAddr>, D::Error> {
    fn parse(text: &str) -> Result<Option<SocketAddr>, String> {
        if text.is_empty() {
            Ok(None)
        } else {
            parse_socket_addr(text).map(Some)
        }
    }
    const EXPECTING: &str =
        "an IP address and port like \"127.0.0.1:9001\" or \"[::1]:9001\", or \"\" for disabled";
    deserializer.deserialize_any(Text::new(EXPECTING, parse))
}

/// A non-negative integer, or `""` for none.
pub fn opt_usize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<usize>, D::Error> {
    fn parse(text: &str) -> Result<Option<usize>, String> {
        if text.is_empty() {
            Ok(None)
        } else {
            Err("not an integer".into())
        }
    }
    deserializer.deserialize_any(
        Text::new("a non-negative integer, or \"\" for no limit", parse)
            .or_int(|v| int_to_usize(v).map(Some)),
    )
}

/// A string. Integers and booleans are taken as their text, so `KEEL_NODE__LOG=5` (which an
/// override turns into an integer) still reaches a string key.
pub fn string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    struct Lenient;
    impl Visitor<'_> for Lenient {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_owned())
        }
        fn visit_i64<E: Error>(self, v: i64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_u64<E: Error>(self, v: u64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_bool<E: Error>(self, v: bool) -> Result<String, E> {
            Ok(v.to_string())
        }
    }
    deserializer.deserialize_any(Lenient)
}

/// A list of addresses, each as [`address`] takes it; or one string of comma-separated
/// addresses (what a `KEEL_*` variable can hold).
pub fn addresses<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Address>, D::Error> {
    list_of_texts(deserializer)?
        .iter()
        .map(|text| parse_address(text).map_err(D::Error::custom))
        .collect()
}

/// A list of strings, or one string of comma-separated items (a `KEEL_*` variable); `""` is
/// the empty list.
fn list_of_texts<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Texts {
        List(Vec<String>),
        Joined(String),
    }
    Ok(match Texts::deserialize(deserializer)? {
        Texts::List(texts) => texts,
        Texts::Joined(joined) if joined.trim().is_empty() => Vec::new(),
        Texts::Joined(joined) => joined.split(',').map(|t| t.trim().to_owned()).collect(),
    })
}

/// A 32-byte value: `0x` and exactly 64 hex digits.
fn parse_b256(text: &str) -> Result<B256, String> {
    match text.strip_prefix("0x").map(|digits| digits.parse::<B256>()) {
        Some(Ok(value)) if text.len() == 66 => Ok(value),
        _ => Err(format!(
            "expected 32 bytes as \"0x\" and 64 hex digits, got {text:?}"
        )),
    }
}

/// An optional 32-byte value ([`parse_b256`]); `""` is `None`.
pub fn opt_b256<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<B256>, D::Error> {
    let text = string(deserializer)?;
    if text.is_empty() {
        return Ok(None);
    }
    parse_b256(&text).map(Some).map_err(D::Error::custom)
}

/// A list of 32-byte values ([`parse_b256`]), or one comma-separated string of them.
pub fn b256s<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<B256>, D::Error> {
    list_of_texts(deserializer)?
        .iter()
        .map(|text| parse_b256(text).map_err(D::Error::custom))
        .collect()
}

/// A filesystem path; like [`string`].
pub fn path<'de, D: Deserializer<'de>>(deserializer: D) -> Result<PathBuf, D::Error> {
    string(deserializer).map(PathBuf::from)
}

/// An optional string: `""` is `None`.
pub fn opt_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    string(deserializer).map(|s| (!s.is_empty()).then_some(s))
}

/// An optional path: `""` is `None`.
pub fn opt_path<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<PathBuf>, D::Error> {
    string(deserializer).map(|s| (!s.is_empty()).then(|| PathBuf::from(s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ETHER: u128 = 1_000_000_000_000_000_000;

    #[test]
    fn wei_formats() {
        let ten_thousand_ether = U256::from(10_000 * ETHER);
        for text in [
            "10000000000000000000000",
            "10_000_000_000_000_000_000_000",
            "0x21e19e0c9bab2400000",
            "0X21E19E0C9BAB2400000",
            "10000 ether",
            "10000ether",
            "10000 ETH",
            "  10000 Ether ",
            "10000.000 ether",
            "10000000000000 gwei",
            "10000000000000000000000 wei",
        ] {
            assert_eq!(parse_wei(text), Ok(ten_thousand_ether), "{text}");
        }
        assert_eq!(parse_wei("1.5 gwei"), Ok(U256::from(1_500_000_000u64)));
        assert_eq!(parse_wei("0.000000000000000001 ether"), Ok(U256::from(1)));
        assert_eq!(parse_wei("0"), Ok(U256::ZERO));
        assert_eq!(parse_wei(&format!("{:#x}", U256::MAX)), Ok(U256::MAX));
        assert_eq!(parse_wei(&U256::MAX.to_string()), Ok(U256::MAX));
    }

    #[test]
    fn wei_rejects() {
        for (text, why) in [
            ("", "not a non-negative number"),
            ("lots", "unknown unit"),
            ("5 bananas", "unknown unit \"bananas\""),
            ("-1", "not a non-negative number"),
            ("1.5", "not a whole number of wei"),
            ("1.0000000001 gwei", "not a whole number of wei"),
            ("0x", "not hex digits"),
            ("0xg1", "not hex digits"),
            ("1 ether 2", "unknown unit"),
            ("1e18", "unknown unit"),
        ] {
            let error = parse_wei(text).unwrap_err();
            assert!(error.contains(why), "{text:?}: {error}");
        }
        let too_big = format!("0x1{}", "0".repeat(64));
        assert!(parse_wei(&too_big).unwrap_err().contains("32 bytes"));
        let too_big = format!("{}0", U256::MAX);
        assert!(parse_wei(&too_big).unwrap_err().contains("2^256"));
    }

    #[test]
    fn addresses() {
        let checksummed = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
        let address = parse_address(checksummed).unwrap();
        assert_eq!(parse_address(&checksummed.to_lowercase()), Ok(address));
        assert_eq!(
            parse_address(&format!("0x{}", checksummed[2..].to_uppercase())),
            Ok(address)
        );
        // One letter's case flipped: a checksum error that names the right spelling.
        let error = parse_address("0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266").unwrap_err();
        assert!(
            error.contains("checksum") && error.contains(checksummed),
            "{error}"
        );
        assert!(
            parse_address("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
                .unwrap_err()
                .contains("0x")
        );
        assert!(
            parse_address("0xf39F")
                .unwrap_err()
                .contains("4 hex digits")
        );
    }

    #[test]
    fn words_and_bytes() {
        assert_eq!(parse_word("0x1"), Ok(U256::from(1)));
        assert_eq!(parse_word(&format!("0x{}", "f".repeat(64))), Ok(U256::MAX));
        assert!(parse_word(&format!("0x{}", "f".repeat(65))).is_err());
        assert!(parse_word("1").is_err());
        assert_eq!(parse_bytes("0x"), Ok(Bytes::new()));
        assert_eq!(parse_bytes("0x6001"), Ok(Bytes::from(vec![0x60, 0x01])));
        assert!(parse_bytes("0x601").is_err());
        assert!(parse_bytes("6001").is_err());
    }
}
