//! `keel plugin check FILE.wasm --slot SLOT`: compile a component for a slot, run the
//! conformance inputs the node runs before activating a plugin, and print the fuel of each call.

use std::path::Path;

use eyre::WrapErr;
use keel_config::Config;
use keel_plugin_host::{
    Plugin, PluginEngine, PluginLimits, PluginSlot, conformance, read_component,
};

/// Checks `file` for `slot` with `settings`; fee bounds come from `config` (or the defaults).
pub(crate) fn run(
    file: &Path,
    slot: PluginSlot,
    settings: Vec<(String, String)>,
    config: Option<&Config>,
) -> eyre::Result<()> {
    let (id, bytes) = read_component(file)?;
    // Without a node config, the fee bounds are the defaults of `[fees]`.
    let fees = config
        .map_or_else(|| Config::new(1).fees, |c| c.fees.clone())
        .plugin_params();
    let engine =
        PluginEngine::new().map_err(|e| eyre::eyre!("cannot start the plugin engine: {e:#}"))?;
    let started = std::time::Instant::now();
    let plugin = Plugin::compile(
        &engine,
        slot,
        file,
        id.clone(),
        &bytes,
        PluginLimits::default(),
        settings,
    )?;
    let compile = started.elapsed();
    println!(
        "{}: {} implements {} ({} bytes, compiled in {:.1} ms)",
        file.display(),
        id,
        slot.world(),
        bytes.len(),
        compile.as_secs_f64() * 1e3
    );
    let report = conformance::run(&engine, &plugin, fees).wrap_err_with(|| {
        format!(
            "{} fails the conformance run for slot {slot}",
            file.display()
        )
    })?;
    print_report(&report);
    println!("ok: the node would accept it for slot {slot}");
    Ok(())
}

/// The conformance table: input, fuel, time, answer.
pub(crate) fn print_report(report: &conformance::ConformanceReport) {
    println!(
        "  {:<38} {:>12} {:>10}  answer",
        "conformance input", "fuel", "time"
    );
    for call in &report.calls {
        println!(
            "  {:<38} {:>12} {:>8.0}µs  {}",
            call.input,
            call.fuel,
            call.elapsed.as_secs_f64() * 1e6,
            call.answer
        );
    }
}
