//! The `input` document each rule evaluation sees: `{"resource": <row>, "related": {…}}`.
//! Built from the rows' parsed fragments (see `parsed`); the shape of `related` per
//! resource type is documented in docs/policy-authoring.md.

use std::collections::HashMap;

use regorus::Value;

use super::links::{ImageLink, IpConfig, Links};
use super::parsed::{Doc, Obj, Parsed};
use super::Inventory;

/// What the evaluation of some resources worked out for the resources related to them, by
/// inventory index (`input.facts`).
pub(crate) type Facts = HashMap<usize, Value>;

impl Inventory {
    /// The input document for resource `i`, or why a fragment of it cannot be parsed.
    /// `facts` become `input.facts`, by the key `related` names their resource with.
    pub(crate) fn input(
        &self,
        i: usize,
        parsed: &mut Parsed,
        facts: &Facts,
    ) -> Result<Value, String> {
        let mut doc = Doc::new(parsed);
        let mut input = Obj::default();
        input.set("resource", doc.raw(self.resources[i].raw.json()));
        input.set("related", self.related(i, &mut doc));
        let mut known = Obj::default();
        for key in self.nsgs_of(i) {
            if let Some(fact) = self.index.get(key).and_then(|n| facts.get(n)) {
                known.set(key, fact.clone());
            }
        }
        input.set("facts", known.finish());
        // `true` when no value of the input is an IaC unknown (`{"kensa:unknown": …}`):
        // rules skip their unknown-value checks then (every live row, most IaC ones).
        input.set("known_values", Value::from(!doc.unknown));
        match doc.error {
            Some(e) => Err(e),
            None => Ok(input.finish()),
        }
    }

    /// The row and the `related` part of resource `i` as the rules receive them, as JSON
    /// (for `kensa inventory`), or why a fragment of them cannot be handed to the rules.
    pub(crate) fn shown(&self, i: usize) -> Result<[serde_json::Value; 2], String> {
        let input = self.input(i, &mut Parsed::default(), &Facts::new())?;
        let json = |part: &str| serde_json::to_value(&input[part]).map_err(|e| e.to_string());
        Ok([json("resource")?, json("related")?])
    }

    /// The inventory indexes of the NSGs on a machine's paths (see `nsgs_of`).
    pub(crate) fn shared_with(&self, i: usize) -> Vec<usize> {
        self.nsgs_of(i)
            .into_iter()
            .filter_map(|k| self.index.get(k).copied())
            .collect()
    }

    /// The NSGs on the paths of machine `i` (its NICs' or NIC configurations', and their
    /// subnets'), by key as `related` names them; none for other resources.
    fn nsgs_of(&self, i: usize) -> Vec<&str> {
        let subnet_nsg = |ipc: &IpConfig| {
            let subnet = ipc.subnet.as_deref().and_then(|s| self.subnets.get(s));
            subnet.and_then(|s| s.nsg.as_deref())
        };
        let nics: Vec<(&Option<String>, &[IpConfig])> = match &self.links[i] {
            Links::Vm { nics, .. } => nics
                .iter()
                .filter_map(|n| match &self.links[*self.index.get(n.as_str())?] {
                    Links::Nic {
                        nsg,
                        ip_configurations,
                    } => Some((nsg, ip_configurations.as_slice())),
                    _ => None,
                })
                .collect(),
            Links::ScaleSet { nics, .. } => nics
                .iter()
                .map(|(_, nsg, ipcs)| (nsg, ipcs.as_slice()))
                .collect(),
            _ => Vec::new(),
        };
        nics.into_iter()
            .flat_map(|(nsg, ipcs)| {
                nsg.as_deref()
                    .into_iter()
                    .chain(ipcs.iter().filter_map(subnet_nsg))
            })
            .collect()
    }

    fn row(&self, key: Option<&str>) -> Option<&str> {
        key.and_then(|k| self.get(k)).map(|r| r.raw.json())
    }

    fn related(&self, i: usize, doc: &mut Doc) -> Value {
        let mut rel = Obj::default();
        match &self.links[i] {
            Links::Vm {
                nics,
                os_disk,
                data_disks,
                image,
            } => {
                let nics = nics
                    .iter()
                    .map(|nic| self.nic(nic, doc))
                    .collect::<Vec<_>>();
                rel.set("nics", Value::from(nics));
                rel.set("os_disk", doc.opt_raw(self.row(os_disk.as_deref())));
                rel.set(
                    "data_disks",
                    doc.raw_array(data_disks.iter().filter_map(|d| self.row(Some(d)))),
                );
                self.image(&mut rel, doc, image, os_disk.as_deref());
                let vm: &str = &self.resources[i].key;
                rel.set(
                    "patch_assessment",
                    doc.opt_raw(
                        self.assessments
                            .get(vm)
                            .map(|a| self.resources[*a].raw.json()),
                    ),
                );
                let patches = self.patches.get(vm).map(Vec::as_slice).unwrap_or_default();
                rel.set(
                    "software_patches",
                    doc.raw_array(patches.iter().map(|p| self.resources[*p].raw.json())),
                );
                let jit = self
                    .jit
                    .get(vm)
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .map(|(policy, entry)| {
                        let mut e = Obj::default();
                        e.set("policy_id", doc.string(Some(&self.resources[*policy].id)));
                        e.set("virtual_machine", doc.raw(entry.json()));
                        e.finish()
                    })
                    .collect::<Vec<_>>();
                rel.set("jit", Value::from(jit));
                let extensions = self
                    .extensions
                    .get(vm)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                rel.set(
                    "extensions",
                    doc.raw_array(extensions.iter().map(|e| self.resources[*e].raw.json())),
                );
                // Tables that failed for this VM's subscription: their absence is not news.
                let mut unread = Obj::default();
                for relation in ["patch_assessments", "jit"] {
                    unread.set(relation, doc.string(self.unread(relation, vm)));
                }
                rel.set("unread", unread.finish());
            }
            Links::ScaleSet { image, nics } => {
                self.image(&mut rel, doc, image, None);
                let configurations = nics
                    .iter()
                    .map(|(name, nsg, ipcs)| {
                        let mut o = Obj::default();
                        o.set("name", doc.string(name.as_deref()));
                        self.nsg(&mut o, doc, nsg.as_deref());
                        let ipcs = ipcs
                            .iter()
                            .map(|ipc| {
                                self.ip_configuration(doc, ipc, |c, doc| {
                                    let model = doc.string(ipc.public_ip.as_deref());
                                    c.set("public_ip_configuration", model);
                                })
                            })
                            .collect::<Vec<_>>();
                        o.set("ip_configurations", Value::from(ipcs));
                        o.finish()
                    })
                    .collect::<Vec<_>>();
                rel.set("nic_configurations", Value::from(configurations));
            }
            Links::Disk { vm, .. } => rel.set("vm", doc.opt_raw(self.row(vm.as_deref()))),
            _ => {}
        }
        rel.finish()
    }

    fn nic(&self, nic: &str, doc: &mut Doc) -> Value {
        let mut o = Obj::default();
        o.set("id", doc.string(Some(nic)));
        let Some(r) = self.get(nic) else {
            o.set("resource", Value::Null);
            o.set("nsg_id", Value::Null);
            o.set("nsg", Value::Null);
            o.set("ip_configurations", Value::new_array());
            return o.finish();
        };
        o.set("resource", doc.raw(r.raw.json()));
        // An id that resolves to something other than a NIC gets no IP configurations.
        let (nsg, ip_configurations) = match &self.links[self.index[nic]] {
            Links::Nic {
                nsg,
                ip_configurations,
            } => (nsg, ip_configurations.as_slice()),
            _ => (&None, &[][..]),
        };
        self.nsg(&mut o, doc, nsg.as_deref());
        let ipcs = ip_configurations
            .iter()
            .map(|ipc| {
                self.ip_configuration(doc, ipc, |c, doc| {
                    c.set("public_ip_id", doc.string(ipc.public_ip.as_deref()));
                    c.set("public_ip", doc.opt_raw(self.row(ipc.public_ip.as_deref())));
                })
            })
            .collect::<Vec<_>>();
        o.set("ip_configurations", Value::from(ipcs));
        o.finish()
    }

    /// `nsg_id` and `nsg` (its row).
    fn nsg(&self, o: &mut Obj, doc: &mut Doc, id: Option<&str>) {
        o.set("nsg_id", doc.string(id));
        o.set("nsg", doc.opt_raw(self.row(id)));
    }

    /// One IP configuration: name, subnet, its public IP as `public` writes it (a NIC's
    /// resolved address, a scale set model's configuration), load balancer paths.
    fn ip_configuration(
        &self,
        doc: &mut Doc,
        ipc: &IpConfig,
        public: impl FnOnce(&mut Obj, &mut Doc),
    ) -> Value {
        let mut c = Obj::default();
        c.set("name", doc.string(ipc.name.as_deref()));
        self.subnet(&mut c, doc, ipc.subnet.as_deref());
        public(&mut c, doc);
        self.paths(&mut c, doc, ipc);
        c.finish()
    }

    /// `config` (the IP configuration as written), `asg_ids`, and `load_balancer_paths`:
    /// every load balancer rule that forwards to it — NAT rules and NAT pools it names, and
    /// the rules of the backend pools it is a member of.
    fn paths(&self, c: &mut Obj, doc: &mut Doc, ipc: &IpConfig) {
        c.set("config", doc.raw(&ipc.raw));
        let asgs = ipc
            .asgs
            .iter()
            .map(|a| doc.string(Some(a)))
            .collect::<Vec<_>>();
        c.set("asg_ids", Value::from(asgs));
        let mut paths = Vec::new();
        for nat in &ipc.nat {
            paths.push(self.lb_path(doc, nat, None));
        }
        for pool in &ipc.pools {
            match self.pool_rules.get(pool) {
                Some(rules) => rules
                    .iter()
                    .for_each(|r| paths.push(self.lb_path(doc, r, Some(pool)))),
                // A pool of a load balancer not in the inventory: the policies say so.
                None if !self.lb_parts.contains_key(pool) => {
                    paths.push(self.lb_path(doc, pool, None))
                }
                None => {}
            }
        }
        c.set("load_balancer_paths", Value::from(paths));
    }

    /// One load balancer path: the rule (or the unresolved reference), its load balancer,
    /// and the frontend it listens on with that frontend's public IP.
    fn lb_path(&self, doc: &mut Doc, key: &str, pool: Option<&str>) -> Value {
        let mut o = Obj::default();
        o.set("id", doc.string(Some(key)));
        o.set("pool_id", doc.string(pool));
        let found = self
            .lb_parts
            .get(key)
            .and_then(|(lb, j)| match &self.links[*lb] {
                Links::LoadBalancer { sku, parts } => Some((*lb, sku, &parts[*j])),
                _ => None,
            });
        let Some((lb, sku, part)) = found else {
            o.set("kind", Value::Null);
            o.set("rule", Value::Null);
            return o.finish();
        };
        o.set("kind", doc.string(Some(part.kind)));
        o.set("rule", doc.raw(&part.raw));
        o.set("load_balancer_id", doc.string(Some(&self.resources[lb].id)));
        o.set(
            "load_balancer_name",
            doc.string(Some(&self.resources[lb].name)),
        );
        o.set("load_balancer_sku", doc.string(sku.as_deref()));
        let frontend = part.frontend.as_deref().and_then(|f| {
            let (lb, j) = self.lb_parts.get(f)?;
            match &self.links[*lb] {
                Links::LoadBalancer { parts, .. } => Some(&parts[*j]),
                _ => None,
            }
        });
        o.set("frontend_id", doc.string(part.frontend.as_deref()));
        o.set("frontend", doc.opt_raw(frontend.map(|f| f.raw.as_str())));
        let pip = frontend.and_then(|f| f.public_ip.as_deref());
        o.set("frontend_public_ip_id", doc.string(pip));
        o.set("frontend_public_ip", doc.opt_raw(self.row(pip)));
        o.finish()
    }

    /// `subnet_id`, `subnet` (from its VNet row), `subnet_nsg_id`, `subnet_nsg`.
    fn subnet(&self, c: &mut Obj, doc: &mut Doc, id: Option<&str>) {
        let subnet = id.and_then(|s| self.subnets.get(s));
        let nsg = subnet.and_then(|s| s.nsg.as_deref());
        c.set("subnet_id", doc.string(id));
        c.set("subnet", doc.opt_raw(subnet.map(|s| s.raw.json())));
        c.set("subnet_nsg_id", doc.string(nsg));
        c.set("subnet_nsg", doc.opt_raw(self.row(nsg)));
    }

    /// The gallery image version the machine actually runs: the pinned reference, else
    /// `exactVersion`, else what its OS disk was created from.
    pub(crate) fn running_image_version(
        &self,
        image: &ImageLink,
        os_disk: Option<&str>,
    ) -> Option<(String, &'static str)> {
        if let Some(id) = image.id.as_deref().filter(|id| id.contains("/galleries/")) {
            match id.find("/versions/") {
                Some(at) if !matches!(&id[at + 10..], "" | "latest") => {
                    return Some((id.to_string(), "reference"))
                }
                Some(_) => {}
                None => {
                    if let Some(v) = image.exact_version.as_deref() {
                        return Some((
                            format!("{id}/versions/{}", v.to_lowercase()),
                            "exactVersion",
                        ));
                    }
                }
            }
            let disk = os_disk
                .and_then(|d| self.index.get(d))
                .map(|d| &self.links[*d]);
            if let Some(Links::Disk {
                gallery_image_version: Some(v),
                ..
            }) = disk
            {
                return Some((v.clone(), "osDisk"));
            }
        }
        None
    }

    fn image(&self, rel: &mut Obj, doc: &mut Doc, image: &ImageLink, os_disk: Option<&str>) {
        let running = self.running_image_version(image, os_disk);
        let version_id = running.as_ref().map(|(id, _)| id.as_str());
        rel.set("image_version_id", doc.string(version_id));
        rel.set(
            "image_version_source",
            doc.string(running.as_ref().map(|(_, s)| *s)),
        );
        rel.set("image_version", doc.opt_raw(self.row(version_id)));
        // The definition: from the running version, else from a gallery reference without one.
        let definition = version_id
            .and_then(|v| v.find("/versions/").map(|at| &v[..at]))
            .or_else(|| {
                image
                    .id
                    .as_deref()
                    .filter(|id| id.contains("/galleries/") && !id.contains("/versions/"))
            });
        rel.set("image_definition", doc.opt_raw(self.row(definition)));
        let siblings = definition
            .and_then(|d| self.versions.get(d))
            .map(Vec::as_slice)
            .unwrap_or_default();
        rel.set(
            "image_versions",
            doc.raw_array(siblings.iter().map(|v| self.resources[*v].raw.json())),
        );
    }
}
