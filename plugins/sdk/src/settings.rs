//! Operator settings: the plugin's `[plugins.<slot>.config]` table as key/value strings.

use core::fmt;
use core::str::FromStr;

/// A read-only view of a plugin's settings.
///
/// ```
/// # use keel_plugin_sdk::Settings;
/// let raw = vec![("base-fee".to_string(), "7".to_string())];
/// let settings = Settings::new(&raw);
/// let base_fee: u64 = settings.parse("base-fee")?;
/// let tip: u64 = settings.parse_or("min-priority-fee", 0)?;
/// assert_eq!((base_fee, tip), (7, 0));
/// # Ok::<(), keel_plugin_sdk::SettingsError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Settings<'a> {
    entries: &'a [(String, String)],
}

impl<'a> Settings<'a> {
    /// Wraps the raw list the host passes (`list<tuple<string, string>>`).
    pub fn new(entries: &'a [(String, String)]) -> Self {
        Self { entries }
    }

    /// The value of `key`, if set (the first one, should a host ever repeat a key).
    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The value of a required `key`, parsed as `T`.
    pub fn parse<T>(&self, key: &str) -> Result<T, SettingsError>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        match self.parse_opt(key)? {
            Some(value) => Ok(value),
            None => Err(SettingsError::Missing {
                key: key.to_owned(),
            }),
        }
    }

    /// The value of an optional `key`, parsed as `T`; `None` when it is not set.
    pub fn parse_opt<T>(&self, key: &str) -> Result<Option<T>, SettingsError>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        let Some(value) = self.get(key) else {
            return Ok(None);
        };
        value
            .parse::<T>()
            .map(Some)
            .map_err(|e| SettingsError::Invalid {
                key: key.to_owned(),
                value: value.to_owned(),
                expected: short_type_name::<T>(),
                reason: e.to_string(),
            })
    }

    /// The value of an optional `key`, parsed as `T`, or `default` when it is not set.
    pub fn parse_or<T>(&self, key: &str, default: T) -> Result<T, SettingsError>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        Ok(self.parse_opt(key)?.unwrap_or(default))
    }

    /// Fails on the first key not in `known` (catches typos in the operator's config).
    pub fn expect_only(&self, known: &[&str]) -> Result<(), SettingsError> {
        match self
            .entries
            .iter()
            .find(|(k, _)| !known.contains(&k.as_str()))
        {
            Some((key, _)) => Err(SettingsError::Unknown {
                key: key.clone(),
                known: known.iter().map(|k| (*k).to_owned()).collect(),
            }),
            None => Ok(()),
        }
    }

    /// Every `(key, value)` pair, in the host's order (key order).
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Number of settings.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn short_type_name<T>() -> String {
    let full = core::any::type_name::<T>();
    if full.contains("::Wei<") || full.starts_with("Wei<") {
        return "amount of wei".to_owned();
    }
    // Drop module paths: `alloc::string::String` → `String`, `a::B<c::D>` → `B<D>`.
    let mut out = String::with_capacity(full.len());
    let mut segment = String::new();
    let flush = |segment: &mut String, out: &mut String| {
        out.push_str(segment.rsplit("::").next().unwrap_or(segment));
        segment.clear();
    };
    for ch in full.chars() {
        if ch.is_alphanumeric() || ch == '_' || ch == ':' {
            segment.push(ch);
        } else {
            flush(&mut segment, &mut out);
            out.push(ch);
        }
    }
    flush(&mut segment, &mut out);
    out
}

/// A setting is missing, malformed, or not known. The message always names the key; `?` turns
/// it into the `String` error a WIT function returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SettingsError {
    /// A required key is not set.
    Missing {
        /// The key.
        key: String,
    },
    /// The value does not parse.
    Invalid {
        /// The key.
        key: String,
        /// Its value.
        value: String,
        /// What it should be (a Rust type name, or "amount of wei").
        expected: String,
        /// The parser's message.
        reason: String,
    },
    /// A key the plugin does not know.
    Unknown {
        /// The key.
        key: String,
        /// The keys the plugin knows.
        known: Vec<String>,
    },
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing { key } => write!(f, "settings: required key `{key}` is not set"),
            Self::Invalid {
                key,
                value,
                expected,
                reason,
            } => write!(
                f,
                "settings: `{key}` = {value:?} is not a valid {expected}: {reason}"
            ),
            Self::Unknown { key, known } => {
                write!(f, "settings: unknown key `{key}` (known: ")?;
                if known.is_empty() {
                    f.write_str("none")?;
                }
                for (i, k) in known.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "`{k}`")?;
                }
                f.write_str(")")
            }
        }
    }
}

impl core::error::Error for SettingsError {}

impl From<SettingsError> for String {
    fn from(e: SettingsError) -> Self {
        e.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::U256;

    fn raw(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn get_and_parse() {
        let raw = raw(&[
            ("a", "1"),
            ("b", "x"),
            ("cap", "340282366920938463463374607431768211456"),
        ]);
        let s = Settings::new(&raw);
        assert_eq!(s.get("a"), Some("1"));
        assert_eq!(s.get("z"), None);
        assert_eq!(s.parse::<u64>("a"), Ok(1));
        assert_eq!(s.parse_opt::<u64>("z"), Ok(None));
        assert_eq!(s.parse_or::<u64>("z", 9), Ok(9));
        assert_eq!(
            s.parse::<U256>("cap"),
            Ok(U256 {
                w1: 1,
                ..U256::ZERO
            })
        );
        assert_eq!(s.len(), 3);
        assert_eq!(
            s.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            ["a", "b", "cap"]
        );
    }

    #[test]
    fn errors_name_the_key() {
        let raw = raw(&[("b", "x"), ("neg", "-1")]);
        let s = Settings::new(&raw);
        assert_eq!(
            String::from(s.parse::<u64>("base-fee").expect_err("missing")),
            "settings: required key `base-fee` is not set"
        );
        assert_eq!(
            s.parse::<u64>("b").expect_err("invalid").to_string(),
            "settings: `b` = \"x\" is not a valid u64: invalid digit found in string"
        );
        assert_eq!(
            s.parse_opt::<U256>("neg").expect_err("invalid").to_string(),
            "settings: `neg` = \"-1\" is not a valid U256: invalid digit found in string (decimal digits only)"
        );
        assert_eq!(
            s.parse::<crate::Wei<u64>>("b")
                .expect_err("invalid")
                .to_string(),
            "settings: `b` = \"x\" is not a valid amount of wei: unknown unit \"x\"; the units are wei, gwei and ether"
        );
        assert_eq!(short_type_name::<Option<crate::U256>>(), "Option<U256>");
    }

    #[test]
    fn expect_only() {
        let raw = raw(&[("base-fee", "1"), ("min-priorty-fee", "2")]);
        let s = Settings::new(&raw);
        assert_eq!(
            s.expect_only(&["base-fee", "min-priority-fee"])
                .expect_err("typo")
                .to_string(),
            "settings: unknown key `min-priorty-fee` (known: `base-fee`, `min-priority-fee`)"
        );
        assert!(s.expect_only(&["base-fee", "min-priorty-fee"]).is_ok());
        assert_eq!(
            s.expect_only(&[]).expect_err("none known").to_string(),
            "settings: unknown key `base-fee` (known: none)"
        );
    }
}
