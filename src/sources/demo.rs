//! The demo estate compiled into the binary, so `kensa scan --demo` works anywhere.

/// A saved Resource Graph response body: a small fleet with compliant and non-compliant
/// machines for every built-in rule.
pub(crate) const ESTATE: &str = include_str!("../../demo/estate.json");

/// The configuration the demo estate is meant to be scanned with.
pub(crate) const CONFIG: &str = include_str!("../../demo/kensa.toml");

/// The instant the demo snapshot was taken. Scanning it "as of now" would turn it a little
/// redder every day, so the demo is evaluated at this instant unless `--now` says otherwise.
pub(crate) const NOW: &str = "2026-11-20T06:00:00Z";

/// The demo's waiver file: one waiver in force, one expired, one that matches nothing.
pub(crate) const WAIVERS: &str = include_str!("../../demo/kensa-waivers.toml");

pub(crate) const WAIVERS_NAME: &str = "demo/kensa-waivers.toml";
pub(crate) const ESTATE_NAME: &str = "demo/estate.json";
pub(crate) const CONFIG_NAME: &str = "demo/kensa.toml";
