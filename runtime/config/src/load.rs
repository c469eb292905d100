//! Loading a config: read, parse, apply `KEEL_*` overrides, deserialise, validate; and turning
//! parser and serde errors into [`ConfigError`]s that name the file, the key and what is allowed.

use std::{collections::BTreeMap, ops::Range, path::Path};

use serde_path_to_error::Segment;
use toml::de::{DeTable, DeValue};

use keel_units::Violation;

use crate::{Config, ConfigError, Location, env};

impl Config {
    /// Reads the config file at `path`, applies the `KEEL_<SECTION>__<KEY>` variables of the
    /// process environment, deserialises and validates it.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|io| ConfigError::Read {
            path: path.to_owned(),
            io,
        })?;
        let mut vars = Vec::new();
        for (name, value) in std::env::vars_os() {
            let Some(name) = name.to_str().filter(|n| {
                n.get(..env::ENV_PREFIX.len())
                    .is_some_and(|p| p.eq_ignore_ascii_case(env::ENV_PREFIX))
            }) else {
                continue;
            };
            let value = value
                .into_string()
                .map_err(|_| env::error(path, name, "the value is not valid UTF-8".into()))?;
            vars.push((name.to_owned(), value));
        }
        Self::from_toml_str(&text, path, vars)
    }

    /// Parses `text` as a config file named `origin` (used in errors only), applies the
    /// overrides among `env` (name, value pairs, e.g. `std::env::vars()`; pass an empty list
    /// for none), deserialises and validates it.
    pub fn from_toml_str(
        text: &str,
        origin: &Path,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let overrides = env::collect(env, origin)?;
        let mut root = DeTable::parse(text).map_err(|error| syntax_error(text, origin, &error))?;
        let mut spans = BTreeMap::new();
        record_spans(root.get_ref(), &mut Vec::new(), &mut spans);
        let origins = env::apply(root.get_mut(), &overrides, origin)?;
        let sources = Sources {
            file: origin,
            text,
            spans,
            origins,
        };
        let config: Self = serde_path_to_error::deserialize(toml::de::Deserializer::from(root))
            .map_err(|error| sources.deserialize_error(error))?;
        config
            .check()
            .map_err(|violation| sources.invalid(violation))?;
        let mut config = config;
        let base = origin.parent().unwrap_or(Path::new("."));
        config.plugins.resolve_paths(base);
        if let Some(secret) = &mut config.admin.jwt_secret
            && secret.is_relative()
        {
            *secret = base.join(&*secret);
        }
        if let Some(deployment) = config.l1.as_mut().and_then(|l1| l1.deployment.as_mut())
            && deployment.is_relative()
        {
            *deployment = base.join(&*deployment);
        }
        Ok(config)
    }
}

/// Where each key of a config came from.
struct Sources<'a> {
    file: &'a Path,
    text: &'a str,
    /// Span of every value written in the file, by key path.
    spans: BTreeMap<String, Range<usize>>,
    /// The variable that set or created each overridden key path.
    origins: BTreeMap<String, String>,
}

impl Sources<'_> {
    /// The location of `key`: its variable if an override set it or one of its parents, else
    /// its line in the file (from `span` or from the file's own spans), else just the file.
    fn locate(&self, key: &str, span: Option<Range<usize>>) -> Location {
        let env_var = ancestors(key).find_map(|k| self.origins.get(k)).cloned();
        let line_column = match env_var {
            Some(_) => None,
            None => span
                .filter(|s| *s != (0..0))
                .or_else(|| self.spans.get(key).cloned())
                .map(|s| line_column(self.text, s.start)),
        };
        Location {
            file: self.file.to_owned(),
            line_column,
            env_var,
        }
    }

    fn deserialize_error(&self, error: serde_path_to_error::Error<toml::de::Error>) -> ConfigError {
        let mut path: Vec<String> = error
            .path()
            .iter()
            .filter_map(|segment| match segment {
                Segment::Map { key } => Some(key.clone()),
                Segment::Seq { index } => Some(index.to_string()),
                Segment::Enum { variant } => Some(variant.clone()),
                Segment::Unknown => None,
            })
            .collect();
        let error = error.into_inner();
        let (message, span) = (error.message(), error.span());
        if let Some(expected) = unknown_field(message) {
            let key = path.join(".");
            return ConfigError::UnknownKey {
                location: self.locate(&key, span),
                key,
                expected,
            };
        }
        if let Some(field) = missing_field(message) {
            path.push(field.to_owned());
            if path == ["chain"] {
                // `[chain]` itself is missing: name the key that must be written.
                path.push("chain_id".to_owned());
            }
            let key = path.join(".");
            let expected = if key == "chain.chain_id" {
                "the chain id is required: add a `[chain]` section with `chain_id = <an EIP-155 chain \
                 id no other chain uses>`"
            } else {
                "this key is required"
            };
            return ConfigError::MissingKey {
                location: self.locate(&key, span),
                key,
                expected: expected.to_owned(),
            };
        }
        let key = path.join(".");
        ConfigError::InvalidValue {
            location: self.locate(&key, span),
            key,
            expected: describe(message),
        }
    }

    fn invalid(&self, violation: Violation) -> ConfigError {
        let location = self.locate(&violation.key, None);
        let mut message = violation.message;
        if location.env_var.is_none() && location.line_column.is_none() {
            message.push_str(" (the key is not set, so this is its default)");
        }
        ConfigError::Invalid {
            location,
            key: violation.key,
            message,
        }
    }
}

/// `a.b.c`, `a.b`, `a`.
fn ancestors(key: &str) -> impl Iterator<Item = &str> {
    std::iter::successors(Some(key), |k| k.rsplit_once('.').map(|(parent, _)| parent))
}

/// Records the span of every value in `table` under its dotted key path.
fn record_spans(
    table: &DeTable<'_>,
    path: &mut Vec<String>,
    spans: &mut BTreeMap<String, Range<usize>>,
) {
    for (key, value) in table {
        path.push(key.get_ref().to_string());
        spans.insert(path.join("."), value.span());
        if let DeValue::Table(inner) = value.get_ref() {
            record_spans(inner, path, spans);
        }
        path.pop();
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
}

/// A parse error with its line, column and the offending line marked.
fn syntax_error(text: &str, file: &Path, error: &toml::de::Error) -> ConfigError {
    let message = error.message().trim().replace('\n', "; ");
    let Some(span) = error.span() else {
        return ConfigError::Syntax {
            location: Location::file(file),
            message,
        };
    };
    let (line, column) = line_column(text, span.start);
    let content = text
        .lines()
        .nth(line - 1)
        .unwrap_or("")
        .trim_end_matches('\r');
    let gutter = " ".repeat(line.to_string().len());
    let marker = format!("{}^", " ".repeat(column - 1));
    ConfigError::Syntax {
        location: Location {
            file: file.to_owned(),
            line_column: Some((line, column)),
            env_var: None,
        },
        message: format!("{message}\n {line} | {content}\n {gutter} | {marker}"),
    }
}

/// The allowed keys from serde's "unknown field `x`, expected one of `a`, `b`" (or "expected
/// `a` or `b`", "expected `a`").
pub(crate) fn unknown_field(message: &str) -> Option<Vec<String>> {
    let rest = message.strip_prefix("unknown field `")?;
    let (_, rest) = rest.split_once('`')?;
    Some(
        rest.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect(),
    )
}

/// The field from serde's "missing field `x`".
fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.strip_suffix('`')
}

/// serde's "invalid type: string \"x\", expected u64" as "expected a non-negative integer, got
/// string \"x\"". Other messages (this crate's own) already read that way.
fn describe(message: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some((found, expected)) = message
            .strip_prefix(prefix)
            .and_then(|rest| rest.rsplit_once(", expected "))
        {
            let expected = match expected {
                "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "a non-negative integer",
                "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "an integer",
                "a map" => "a table",
                other if other.starts_with("struct ") => "a table",
                other => other,
            };
            return format!("expected {expected}, got {found}");
        }
    }
    message.to_owned()
}

impl Location {
    /// The file alone, no line.
    pub(crate) fn file(file: &Path) -> Self {
        Self {
            file: file.to_owned(),
            line_column: None,
            env_var: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_messages() {
        assert_eq!(
            unknown_field("unknown field `lisen`, expected one of `listen`, `gas_cap`"),
            Some(vec!["listen".to_owned(), "gas_cap".to_owned()])
        );
        assert_eq!(
            unknown_field("unknown field `x`, expected `a` or `b`"),
            Some(vec!["a".to_owned(), "b".to_owned()])
        );
        assert_eq!(
            unknown_field("unknown field `x`, expected `a`"),
            Some(vec!["a".to_owned()])
        );
        assert_eq!(unknown_field("missing field `x`"), None);
        assert_eq!(missing_field("missing field `chain_id`"), Some("chain_id"));
        assert_eq!(
            describe("invalid type: string \"one\", expected u64"),
            "expected a non-negative integer, got string \"one\""
        );
        assert_eq!(
            describe("invalid type: integer `1`, expected struct RpcConfig"),
            "expected a table, got integer `1`"
        );
        assert_eq!(describe("something else"), "something else");
    }

    #[test]
    fn positions() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        assert_eq!(line_column(text, 9), (2, 3)); // after the two-byte é
        assert_eq!(line_column(text, 100), (3, 1));
        assert_eq!(
            ancestors("a.b.c").collect::<Vec<_>>(),
            ["a.b.c", "a.b", "a"]
        );
    }
}
