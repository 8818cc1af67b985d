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

/// A list of `{id}` references; anything but an array (an IaC unknown) reads as empty, the
/// policies read the raw value and say why.
fn lenient_refs<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Array(items) => items
            .iter()
            .filter_map(|i| i.get("id").and_then(serde_json::Value::as_str))
            .filter(|id| !id.is_empty())
            .map(str::to_lowercase)
            .collect(),
        _ => Vec::new(),
    })
}

/// An array of sub-resources kept raw; anything but an array reads as empty.
fn lenient_raw_list<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Vec<&'de RawValue>, D::Error> {
    let raw = <&'de RawValue>::deserialize(d)?;
    Ok(serde_json::from_str(raw.get()).unwrap_or_default())
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
struct VmProps<'a> {
    storage_profile: Option<Storage>,
    #[serde(borrow)]
    network_profile: Option<NetworkProfile<'a>>,
    #[serde(borrow)]
    virtual_machine_profile: Option<Box<VmProps<'a>>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct NetworkProfile<'a> {
    network_interfaces: Option<Vec<IdRef>>,
    /// Scale set models describe their NICs instead of referencing them.
    #[serde(borrow)]
    network_interface_configurations: Option<Vec<NicConfigRow<'a>>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NicConfigRow<'a> {
    #[serde(deserialize_with = "lenient")]
    name: Option<String>,
    #[serde(borrow)]
    properties: Option<NicProps<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct NicProps<'a> {
    network_security_group: Option<IdRef>,
    #[serde(borrow, deserialize_with = "lenient_raw_list")]
    ip_configurations: Vec<&'a RawValue>,
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
    #[serde(deserialize_with = "lenient_refs")]
    load_balancer_backend_address_pools: Vec<String>,
    #[serde(deserialize_with = "lenient_refs")]
    load_balancer_inbound_nat_rules: Vec<String>,
    #[serde(deserialize_with = "lenient_refs")]
    load_balancer_inbound_nat_pools: Vec<String>,
    #[serde(deserialize_with = "lenient_refs")]
    application_security_groups: Vec<String>,
}

/// A load balancer's parts, kept raw (the policies read them), with the references the
/// inventory joins on.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct LbProps<'a> {
    // Templates spell it `frontendIpConfigurations` too; ARM property names ignore case.
    #[serde(
        borrow,
        rename = "frontendIPConfigurations",
        alias = "frontendIpConfigurations",
        deserialize_with = "lenient_raw_list"
    )]
    frontend_ip_configurations: Vec<&'a RawValue>,
    #[serde(borrow, deserialize_with = "lenient_raw_list")]
    backend_address_pools: Vec<&'a RawValue>,
    #[serde(borrow, deserialize_with = "lenient_raw_list")]
    inbound_nat_rules: Vec<&'a RawValue>,
    #[serde(borrow, deserialize_with = "lenient_raw_list")]
    inbound_nat_pools: Vec<&'a RawValue>,
    #[serde(borrow, deserialize_with = "lenient_raw_list")]
    load_balancing_rules: Vec<&'a RawValue>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PartRow {
    #[serde(deserialize_with = "lenient")]
    name: Option<String>,
    properties: Option<PartProps>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct PartProps {
    #[serde(rename = "frontendIPConfiguration", alias = "frontendIpConfiguration")]
    frontend_ip_configuration: Option<IdRef>,
    backend_address_pool: Option<IdRef>,
    #[serde(deserialize_with = "lenient_refs")]
    backend_address_pools: Vec<String>,
    #[serde(rename = "publicIPAddress")]
    public_ip_address: Option<IdRef>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SkuRow {
    sku: Option<NameOnly>,
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
    LoadBalancer {
        sku: Option<String>,
        parts: Vec<LbPart>,
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
    /// Backend pools it is a member of (lower-cased ids).
    pub(crate) pools: Vec<String>,
    /// Inbound NAT rules (NICs) or NAT pools (scale sets) that forward to it.
    pub(crate) nat: Vec<String>,
    pub(crate) asgs: Vec<String>,
    /// The IP configuration as written (private address, public IP configuration…).
    pub(crate) raw: String,
}

/// A part of a load balancer: a frontend, backend pool, NAT rule, NAT pool or LB rule.
#[derive(Debug)]
pub(crate) struct LbPart {
    /// `<load balancer id>/<kind>/<name>`, lower-cased.
    pub(crate) key: String,
    /// The ARM collection it sits in, e.g. `inboundNatRules`.
    pub(crate) kind: &'static str,
    pub(crate) raw: String,
    /// Rules: the frontend they listen on (lower-cased id).
    pub(crate) frontend: Option<String>,
    /// Rules: the backend pools they forward to.
    pub(crate) pools: Vec<String>,
    /// Frontends: their public IP.
    pub(crate) public_ip: Option<String>,
}

/// The IP configurations of a NIC (or scale set NIC configuration), raw and linked.
fn ip_configs(raws: &[&RawValue], scale_set: bool) -> Result<Vec<IpConfig>, serde_json::Error> {
    raws.iter()
        .map(|raw| {
            let row: IpConfigRow = serde_json::from_str(raw.get())?;
            let p = row.properties.unwrap_or_default();
            Ok(IpConfig {
                name: row.name,
                subnet: IdRef::key(&p.subnet),
                public_ip: if scale_set {
                    p.public_ip_address_configuration
                        .map(|c| c.name.unwrap_or_default())
                } else {
                    IdRef::key(&p.public_ip_address)
                },
                pools: p.load_balancer_backend_address_pools,
                nat: if scale_set {
                    p.load_balancer_inbound_nat_pools
                } else {
                    p.load_balancer_inbound_nat_rules
                },
                asgs: p.application_security_groups,
                raw: raw.get().to_string(),
            })
        })
        .collect()
}

/// The parts of a load balancer `lb` (its lower-cased id).
fn lb_parts(lb: &str, p: &LbProps) -> Result<Vec<LbPart>, serde_json::Error> {
    let mut parts = Vec::new();
    for (kind, list) in [
        ("frontendIPConfigurations", &p.frontend_ip_configurations),
        ("backendAddressPools", &p.backend_address_pools),
        ("inboundNatRules", &p.inbound_nat_rules),
        ("inboundNatPools", &p.inbound_nat_pools),
        ("loadBalancingRules", &p.load_balancing_rules),
    ] {
        for raw in list {
            let row: PartRow = serde_json::from_str(raw.get())?;
            let Some(name) = row.name.filter(|n| !n.is_empty()) else {
                continue;
            };
            let props = row.properties.unwrap_or_default();
            let mut pools = props.backend_address_pools;
            pools.extend(IdRef::key(&props.backend_address_pool));
            parts.push(LbPart {
                key: format!("{lb}/{}/{}", kind.to_lowercase(), name.to_lowercase()),
                kind,
                raw: raw.get().to_string(),
                frontend: IdRef::key(&props.frontend_ip_configuration),
                pools,
                public_ip: IdRef::key(&props.public_ip_address),
            });
        }
    }
    Ok(parts)
}

fn key(id: Option<String>) -> Option<String> {
    id.filter(|s| !s.is_empty()).map(|s| s.to_lowercase())
}

/// The image reference id of a VM or scale set row (the model's), as written; `None` for
/// other types and rows without one.
pub(crate) fn image_reference_id(kind: &str, json: &str) -> Option<String> {
    let p = serde_json::from_str::<Row<VmProps>>(json)
        .ok()?
        .properties?;
    let storage = match kind {
        "microsoft.compute/virtualmachines" => p.storage_profile,
        "microsoft.compute/virtualmachinescalesets" => p.virtual_machine_profile?.storage_profile,
        _ => None,
    };
    storage?.image_reference?.id.filter(|id| !id.is_empty())
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
            let mut nics = Vec::new();
            for c in configs.map(Vec::as_slice).unwrap_or_default() {
                let props = c.properties.as_ref();
                let ipcs = ip_configs(
                    props
                        .map(|p| p.ip_configurations.as_slice())
                        .unwrap_or_default(),
                    true,
                )?;
                nics.push((
                    c.name.clone(),
                    props.and_then(|p| IdRef::key(&p.network_security_group)),
                    ipcs,
                ));
            }
            Links::ScaleSet {
                image: image_link(model.as_ref().and_then(|m| m.storage_profile.as_ref())),
                nics,
            }
        }
        "microsoft.network/networkinterfaces" => {
            let row: Row<NicProps> = serde_json::from_str(json)?;
            let p = row.properties.unwrap_or_default();
            Links::Nic {
                nsg: IdRef::key(&p.network_security_group),
                ip_configurations: ip_configs(&p.ip_configurations, false)?,
            }
        }
        "microsoft.network/loadbalancers" => {
            let row: Row<LbProps> = serde_json::from_str(json)?;
            let sku: SkuRow = serde_json::from_str(json)?;
            Links::LoadBalancer {
                sku: sku.sku.and_then(|s| s.name),
                parts: lb_parts(id_key, &row.properties.unwrap_or_default())?,
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
