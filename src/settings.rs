//! What a scan is judged with, besides its sources: the configuration, the waiver file and
//! the evaluation instant. Each has an explicit flag, the demo's own, a file found beside
//! the configuration or in the working directory, and a default, in that order.

use std::path::PathBuf;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::error::{Error, Result};
use crate::evaluate::config::Config;
use crate::findings::waivers::Waivers;
use crate::sources::demo;

/// The configuration: `--config`, else the demo's own with `--demo`, else `./kensa.toml`
/// when present, else the defaults.
pub(crate) fn config(explicit: Option<&PathBuf>, demo: bool) -> Result<Config> {
    match explicit {
        Some(path) => Config::read(path),
        None if demo => Config::parse(demo::CONFIG_NAME, demo::CONFIG.to_string()),
        None => {
            let local = PathBuf::from("kensa.toml");
            if local.is_file() {
                Config::read(&local)
            } else {
                Ok(Config::default())
            }
        }
    }
}

/// The waiver file: `--waivers`, else the demo's own with `--demo` (and no `--config`),
/// else `kensa-waivers.toml` beside the configuration file (or in the working directory).
pub(crate) fn waivers(
    explicit: Option<&PathBuf>,
    config: Option<&PathBuf>,
    demo: bool,
    allow_permanent: bool,
) -> Result<Option<Waivers>> {
    if let Some(path) = explicit {
        return Waivers::read(path, allow_permanent).map(Some);
    }
    if demo && config.is_none() {
        return Waivers::parse(
            demo::WAIVERS_NAME,
            demo::WAIVERS.to_string(),
            allow_permanent,
        )
        .map(Some);
    }
    let dir = config
        .and_then(|c| c.parent())
        .map(PathBuf::from)
        .unwrap_or_default();
    let beside = dir.join("kensa-waivers.toml");
    if beside.is_file() {
        return Waivers::read(&beside, allow_permanent).map(Some);
    }
    Ok(None)
}

/// `--now`, normalised to UTC seconds; the demo's own instant; or the clock.
pub(crate) fn instant(now: Option<&str>, demo: bool) -> Result<String> {
    let t: DateTime<Utc> = match now {
        Some(s) => DateTime::parse_from_rfc3339(s)
            .map_err(|e| Error::Argument {
                flag: "--now",
                value: s.to_string(),
                problem: format!("not an RFC 3339 timestamp ({e}), e.g. 2026-11-20T06:00:00Z"),
            })?
            .with_timezone(&Utc),
        None if demo => DateTime::parse_from_rfc3339(demo::NOW)
            .map_err(|e| Error::Usage(e.to_string()))?
            .with_timezone(&Utc),
        None => Utc::now(),
    };
    Ok(t.to_rfc3339_opts(SecondsFormat::Secs, true))
}
