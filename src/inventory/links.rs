//! The few fields of each resource type that point at other resources. Read once per row
//! with typed serde structs; everything else in the row stays raw for the policies.

use serde::Deserialize;
use serde_json::value::RawValue;

/// A string field that IaC may carry as an unknown (`{"kensa:unknown": …}`): anything but a
/// string reads as absent, so the relation stays unresolved instead of failing the row.
fn lenient<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Some(s),
        _ => None,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct IdRef {
    #[serde(deserialize_with = "lenient")]
    pub(crate) id: Option<String>,
}

impl IdRef {
    fn key(r: &Option<IdRef>) -> Option<String> {
        r.as_ref()
            .and_then(|r| r.id.as_deref())
            .filter(|id| !id.is_empty())
            .map(str::to_lowercase)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct ImageReference {
    #[serde(deserialize_with = "lenient")]
    pub(crate) id: Option<String>,
    #[serde(rename = "exactVersion", deserialize_with = "lenient")]
    pub(crate) exact_version: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Storage {
    image_reference: Option<ImageReference>,
    os_disk: Option<Disk>,
    data_disks: Option<Vec<Disk>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Disk {
    managed_disk: Option<IdRef>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct VmProps {
    storage_profile: Option<Storage>,
    network_profile: Option<NetworkProfile>,
    virtual_machine_profile: Option<Box<VmProps>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct NetworkProfile {
    network_interfaces: Option<Vec<IdRef>>,
    /// Scale set models describe their NICs instead of referencing them.
    network_interface_configurations: Option<Vec<NicConfigRow>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NicConfigRow {
    #[serde(deserialize_with = "lenient")]
    name: Option<String>,
    properties: Option<NicProps>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct NicProps {
    network_security_group: Option<IdRef>,
    ip_configurations: Option<Vec<IpConfigRow>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct IpConfigRow {
    #[serde(deserialize_with = "lenient")]
    name: Option<String>,
    properties: Option<IpConfigProps>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct IpConfigProps {
    subnet: Option<IdRef>,
    #[serde(rename = "publicIPAddress")]
    public_ip_address: Option<IdRef>,
    #[serde(rename = "publicIPAddressConfiguration")]
    public_ip_address_configuration: Option<NameOnly>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NameOnly {
    #[serde(deserialize_with = "lenient")]
    name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct VnetProps<'a> {
    #[serde(borrow)]
    subnets: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SubnetRow {
    #[serde(deserialize_with = "lenient")]
    id: Option<String>,
    properties: Option<SubnetProps>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct SubnetProps {
    network_security_group: Option<IdRef>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct DiskProps {
    creation_data: Option<CreationData>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct CreationData {
    gallery_image_reference: Option<IdRef>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct JitProps<'a> {
    #[serde(borrow)]
    virtual_machines: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
#[serde(bound(deserialize = "P: Deserialize<'de>"))]
struct Row<P> {
    #[serde(default = "Option::default")]
    properties: Option<P>,
    #[serde(default, rename = "managedBy")]
    managed_by: Option<String>,
}

/// What one resource points at (lower-cased ids).
#[derive(Default, Debug)]
pub(crate) enum Links {
    Vm {
        nics: Vec<String>,
        os_disk: Option<String>,
        data_disks: Vec<String>,
        image: ImageLink,
    },
    ScaleSet {
        image: ImageLink,
        /// The model's NIC configurations: (name, NSG id, IP configurations whose
        /// `public_ip` is the name of a public IP configuration, when there is one).
        nics: Vec<(Option<String>, Option<String>, Vec<IpConfig>)>,
    },
    Nic {
        nsg: Option<String>,
        ip_configurations: Vec<IpConfig>,
    },
    Vnet {
        /// (subnet id, subnet NSG id, subnet JSON)
        subnets: Vec<(String, Option<String>, String)>,
    },
    Disk {
        vm: Option<String>,
        gallery_image_version: Option<String>,
    },
    PatchAssessment {
        vm: String,
    },
    SoftwarePatch {
        vm: String,
    },
    Jit {
        /// (VM id, the policy's entry for it as JSON)
        entries: Vec<(String, String)>,
    },
    #[default]
    None,
}

#[derive(Debug, Default)]
pub(crate) struct ImageLink {
    /// The image reference id (gallery, managed image), lower-cased.
    pub(crate) id: Option<String>,
    pub(crate) exact_version: Option<String>,
}

#[derive(Debug)]
pub(crate) struct IpConfig {
    pub(crate) name: Option<String>,
    pub(crate) subnet: Option<String>,
    pub(crate) public_ip: Option<String>,
}

fn key(id: Option<String>) -> Option<String> {
    id.filter(|s| !s.is_empty()).map(|s| s.to_lowercase())
}

fn image_link(storage: Option<&Storage>) -> ImageLink {
    let r = storage.and_then(|s| s.image_reference.as_ref());
    ImageLink {
        id: key(r.and_then(|r| r.id.clone())),
        exact_version: r
            .and_then(|r| r.exact_version.clone())
            .filter(|v| !v.is_empty()),
    }
}

/// Reads the links of a row of lower-cased type `kind`; `key` is its lower-cased id.
pub(crate) fn read(kind: &str, id_key: &str, json: &str) -> Result<Links, serde_json::Error> {
    Ok(match kind {
        "microsoft.compute/virtualmachines" => {
            let row: Row<VmProps> = serde_json::from_str(json)?;
            let p = row.properties.unwrap_or_default();
            let storage = p.storage_profile.as_ref();
            Links::Vm {
                nics: p
                    .network_profile
                    .and_then(|n| n.network_interfaces)
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|r| key(r.id))
                    .collect(),
                os_disk: storage
                    .and_then(|s| s.os_disk.as_ref())
                    .and_then(|d| IdRef::key(&d.managed_disk)),
                data_disks: storage
                    .and_then(|s| s.data_disks.as_ref())
                    .map(|ds| {
                        ds.iter()
                            .filter_map(|d| IdRef::key(&d.managed_disk))
                            .collect()
                    })
                    .unwrap_or_default(),
                image: image_link(storage),
            }
        }
        "microsoft.compute/virtualmachinescalesets" => {
            let row: Row<VmProps> = serde_json::from_str(json)?;
            let model = row.properties.and_then(|p| p.virtual_machine_profile);
            let configs = model
                .as_ref()
                .and_then(|m| m.network_profile.as_ref())
                .and_then(|n| n.network_interface_configurations.as_ref());
            Links::ScaleSet {
                image: image_link(model.as_ref().and_then(|m| m.storage_profile.as_ref())),
                nics: configs
                    .map(|cs| {
                        cs.iter()
                            .map(|c| {
                                let props = c.properties.as_ref();
                                let ipcs = props
                                    .and_then(|p| p.ip_configurations.as_deref())
                                    .unwrap_or_default();
                                let ipcs = ipcs
                                    .iter()
                                    .map(|ipc| {
                                        let p = ipc.properties.as_ref();
                                        IpConfig {
                                            name: ipc.name.clone(),
                                            subnet: p.and_then(|p| IdRef::key(&p.subnet)),
                                            public_ip: p
                                                .and_then(|p| {
                                                    p.public_ip_address_configuration.as_ref()
                                                })
                                                .map(|c| c.name.clone().unwrap_or_default()),
                                        }
                                    })
                                    .collect();
                                (
                                    c.name.clone(),
                                    props.and_then(|p| IdRef::key(&p.network_security_group)),
                                    ipcs,
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        }
        "microsoft.network/networkinterfaces" => {
            let row: Row<NicProps> = serde_json::from_str(json)?;
            let p = row.properties.unwrap_or_default();
            Links::Nic {
                nsg: IdRef::key(&p.network_security_group),
                ip_configurations: p
                    .ip_configurations
                    .unwrap_or_default()
                    .into_iter()
                    .map(|c| {
                        let props = c.properties.unwrap_or_default();
                        IpConfig {
                            name: c.name,
                            subnet: IdRef::key(&props.subnet),
                            public_ip: IdRef::key(&props.public_ip_address),
                        }
                    })
                    .collect(),
            }
        }
        "microsoft.network/virtualnetworks" => {
            let row: Row<VnetProps> = serde_json::from_str(json)?;
            let mut subnets = Vec::new();
            for raw in row
                .properties
                .unwrap_or_default()
                .subnets
                .unwrap_or_default()
            {
                let s: SubnetRow = serde_json::from_str(raw.get())?;
                if let Some(id) = key(s.id) {
                    let nsg = s
                        .properties
                        .and_then(|p| IdRef::key(&p.network_security_group));
                    subnets.push((id, nsg, raw.get().to_string()));
                }
            }
            Links::Vnet { subnets }
        }
        // A subnet declared on its own (IaC whose VNet is outside the files).
        "microsoft.network/virtualnetworks/subnets" => {
            let s: SubnetRow = serde_json::from_str(json)?;
            let nsg = s
                .properties
                .and_then(|p| IdRef::key(&p.network_security_group));
            Links::Vnet {
                subnets: vec![(id_key.to_string(), nsg, json.to_string())],
            }
        }
        "microsoft.compute/disks" => {
            let row: Row<DiskProps> = serde_json::from_str(json)?;
            Links::Disk {
                vm: key(row.managed_by),
                gallery_image_version: row
                    .properties
                    .and_then(|p| p.creation_data)
                    .and_then(|c| IdRef::key(&c.gallery_image_reference)),
            }
        }
        "microsoft.compute/virtualmachines/patchassessmentresults" => Links::PatchAssessment {
            vm: owner_vm(id_key),
        },
        "microsoft.compute/virtualmachines/patchassessmentresults/softwarepatches" => {
            Links::SoftwarePatch {
                vm: owner_vm(id_key),
            }
        }
        "microsoft.security/locations/jitnetworkaccesspolicies" => {
            let row: Row<JitProps> = serde_json::from_str(json)?;
            let mut entries = Vec::new();
            for raw in row
                .properties
                .unwrap_or_default()
                .virtual_machines
                .unwrap_or_default()
            {
                let r: IdRef = serde_json::from_str(raw.get())?;
                if let Some(id) = key(r.id) {
                    entries.push((id, raw.get().to_string()));
                }
            }
            Links::Jit { entries }
        }
        _ => Links::None,
    })
}

/// `<vm id>/patchAssessmentResults/latest[/softwarePatches/x]` → `<vm id>`.
fn owner_vm(key: &str) -> String {
    key.split("/patchassessmentresults")
        .next()
        .unwrap_or(key)
        .to_string()
}
