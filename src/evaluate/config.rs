//! `kensa.toml`: the parameters the policies read as `data.kensa.params`, and rule selection.
//! Every parameter has a default, so an empty file (or none) is a valid configuration.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ConfigFile {
    pub(crate) image: ImageParams,
    pub(crate) disk: DiskParams,
    pub(crate) network: NetworkParams,
    pub(crate) patch: PatchParams,
    pub(crate) packer: PackerParams,
    /// Free-form parameters for user policies, visible as `data.kensa.params.custom`.
    pub(crate) custom: toml::Table,
    #[serde(skip_serializing)]
    pub(crate) rules: RuleSelection,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ImageParams {
    /// Compute Gallery resource ids (any case; `*` matches one path segment).
    pub(crate) approved_galleries: Vec<String>,
    /// A running image version older than this many days fails `image.age`.
    pub(crate) max_age_days: u32,
}

impl Default for ImageParams {
    fn default() -> Self {
        ImageParams {
            approved_galleries: Vec::new(),
            max_age_days: 30,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct DiskParams {
    /// Whether Azure Disk Encryption (in-guest) satisfies `disk.encryption`.
    pub(crate) accept_ade: bool,
}

impl Default for DiskParams {
    fn default() -> Self {
        DiskParams { accept_ade: true }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct NetworkParams {
    /// Ports that must never face the internet: SSH, RDP, WinRM over HTTP and HTTPS.
    pub(crate) management_ports: Vec<u16>,
}

impl Default for NetworkParams {
    fn default() -> Self {
        NetworkParams {
            management_ports: vec![22, 3389, 5985, 5986],
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct PatchParams {
    /// A running VM's last successful assessment may be at most this old.
    pub(crate) max_assessment_age_days: u32,
    /// A pending Critical/Security patch published longer ago than this fails `patch.age`.
    pub(crate) max_pending_days: u32,
}

impl Default for PatchParams {
    fn default() -> Self {
        PatchParams {
            max_assessment_age_days: 7,
            max_pending_days: 14,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct PackerParams {
    /// Image tags that carry the source commit (`packer.traceable-build`), any case.
    pub(crate) commit_tag_keys: Vec<String>,
}

impl Default for PackerParams {
    fn default() -> Self {
        PackerParams {
            commit_tag_keys: vec!["git_commit".into(), "commit".into(), "git_sha".into()],
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RuleSelection {
    /// Rule ids not to evaluate.
    pub(crate) disable: Vec<toml::Spanned<String>>,
}

/// A parsed configuration and where it came from (for diagnostics that point into it).
#[derive(Debug, Clone, Default)]
pub(crate) struct Config {
    pub(crate) values: ConfigFile,
    pub(crate) file: Option<String>,
    pub(crate) text: String,
}

impl Config {
    pub(crate) fn parse(file: &str, text: String) -> Result<Config> {
        let config: ConfigFile = toml::from_str(&text).map_err(|e| {
            let at = e.span().map_or(0, |s| s.start);
            Error::input_at(file, &text, at, e.message().trim().to_string(), "here")
        })?;
        if config.network.management_ports.contains(&0) {
            return Err(Error::input(
                file,
                "network.management_ports: 0 is not a port",
            ));
        }
        Ok(Config {
            values: config,
            file: Some(file.to_string()),
            text,
        })
    }

    pub(crate) fn read(path: &std::path::Path) -> Result<Config> {
        let file = path.display().to_string();
        let text = crate::text::read::text(path).map_err(|cause| Error::Read {
            path: file.clone(),
            cause,
        })?;
        Config::parse(&file, text)
    }

    /// Fails on a disabled rule id that no loaded policy declares.
    pub(crate) fn check_rule_ids(&self, known: &[&str]) -> Result<()> {
        for id in &self.values.rules.disable {
            if !known.contains(&id.get_ref().as_str()) {
                let file = self.file.as_deref().unwrap_or("kensa.toml");
                return Err(Error::input_at(
                    file,
                    &self.text,
                    id.span().start,
                    format!("unknown rule id `{}` in rules.disable", id.get_ref()),
                    "no policy has this id",
                )
                .with_help("`kensa policy list` shows the rule ids"));
            }
        }
        Ok(())
    }

    /// The rule ids `rules.disable` names, as written.
    pub(crate) fn disabled_ids(&self) -> Vec<String> {
        self.values
            .rules
            .disable
            .iter()
            .map(|d| d.get_ref().clone())
            .collect()
    }

    pub(crate) fn disabled(&self, id: &str) -> bool {
        self.values.rules.disable.iter().any(|d| d.get_ref() == id)
    }

    /// `data.kensa.params` as JSON.
    pub(crate) fn params_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.values).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_means_defaults() {
        let l = Config::parse("k.toml", String::new()).unwrap();
        assert_eq!(l.values, ConfigFile::default());
        assert_eq!(
            l.values.network.management_ports,
            vec![22, 3389, 5985, 5986]
        );
    }

    #[test]
    fn unknown_key_names_line() {
        let err = Config::parse("k.toml", "[image]\nmax_age = 3\n".into()).unwrap_err();
        let Error::Input(e) = &err else {
            panic!("{err:?}")
        };
        let (location, message) = (&e.location, &e.message);
        assert_eq!(location, "k.toml:2:1");
        assert!(message.contains("unknown field `max_age`"), "{message}");
    }

    #[test]
    fn wrong_type_names_line() {
        let err = Config::parse(
            "k.toml",
            "[patch]\nmax_pending_days = \"two weeks\"\n".into(),
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("k.toml:2:"), "{err}");
    }

    #[test]
    fn unknown_rule_id_points_at_it() {
        let l = Config::parse(
            "k.toml",
            "[rules]\ndisable = [\"image.age\", \"image.agee\"]\n".into(),
        )
        .unwrap();
        let err = l.check_rule_ids(&["image.age"]).unwrap_err();
        assert!(err.to_string().contains("k.toml:2:25"), "{err}");
        assert!(err.to_string().contains("image.agee"), "{err}");
    }
}
