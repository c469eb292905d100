//! The binaries' logging (after reth's `reth-tracing`): `tracing` to stderr, and on a terminal
//! the long operations drawn as live progress lines.
//!
//! A long operation marks its span with `indicatif.pb_show = true`, e.g.
//! `info_span!("guest build", indicatif.pb_show = true)`: on a terminal the span is a spinner
//! with its fields and elapsed time while it is entered, nested under its parent's; log lines
//! print above the spinners. Off a terminal (a pipe, a file, CI) nothing changes: the
//! operation's own `info!` lines at its start and end are the record. Libraries need only
//! `tracing` for this; only the binaries depend on this crate.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

use std::io::IsTerminal;

use indicatif::ProgressStyle;
use tracing_indicatif::{
    IndicatifLayer,
    filter::{IndicatifFilter, hide_indicatif_span_fields},
};
use tracing_subscriber::{
    EnvFilter, Layer,
    fmt::{self, format::DefaultFields},
    layer::SubscriberExt,
    util::SubscriberInitExt,
};

/// Installs the global subscriber: `filter`'s events to stderr (colour on a terminal), and on
/// a terminal the `indicatif.pb_show` spans as progress lines. Call once, first thing.
pub fn init(filter: EnvFilter) {
    if !std::io::stderr().is_terminal() {
        fmt::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .fmt_fields(hide_indicatif_span_fields(DefaultFields::new()))
            .init();
        return;
    }
    let style = ProgressStyle::with_template(
        "{span_child_prefix}{spinner:.cyan} {span_name} {span_fields} {elapsed:.dim}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_spinner());
    let progress = IndicatifLayer::new()
        .with_progress_style(style)
        .with_span_field_formatter(hide_indicatif_span_fields(DefaultFields::new()));
    tracing_subscriber::registry()
        .with(filter)
        .with(
            fmt::layer()
                .with_writer(progress.get_stderr_writer())
                .fmt_fields(hide_indicatif_span_fields(DefaultFields::new())),
        )
        .with(progress.with_filter(IndicatifFilter::new(false)))
        .init();
}
