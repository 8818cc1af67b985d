//! The `input` document each rule evaluation sees: `{"resource": <row>, "related": {…}}`.
//! Written straight from the raw rows (no parse, no re-serialisation); the shape of
//! `related` per resource type is documented in docs/policy-authoring.md.

use super::links::{ImageLink, IpConfig, Links};
use super::Inventory;

impl Inventory {
    /// The input document for resource `i`.
    pub(crate) fn input_json(&self, i: usize) -> String {
        let mut out = String::with_capacity(self.resources[i].raw.json().len() * 4);
        let mut doc = Obj::new(&mut out);
        doc.raw("resource", self.resources[i].raw.json());
        doc.key("related");
        self.write_related(i, doc.out);
        // `true` when no value of the input is an IaC unknown (`{"kensa:unknown": …}`):
        // rules skip their unknown-value checks then (every live row, most IaC ones).
        let known = !crate::sources::iac::unknown::mentioned_in(doc.out);
        doc.raw("known_values", if known { "true" } else { "false" });
        doc.finish();
        out
    }

    /// Just the `related` part, as JSON (for `kensa inventory`).
    pub(crate) fn related_json(&self, i: usize) -> String {
        let mut out = String::new();
        self.write_related(i, &mut out);
        out
    }

    fn row(&self, key: Option<&str>) -> Option<&str> {
        key.and_then(|k| self.get(k)).map(|r| r.raw.json())
    }

    fn write_related(&self, i: usize, out: &mut String) {
        let mut rel = Obj::new(out);
        match &self.links[i] {
            Links::Vm {
                nics,
                os_disk,
                data_disks,
                image,
            } => {
                rel.key("nics");
                rel.out.push('[');
                for (n, nic) in nics.iter().enumerate() {
                    if n > 0 {
                        rel.out.push(',');
                    }
                    self.write_nic(nic, rel.out);
                }
                rel.out.push(']');
                rel.opt_raw("os_disk", self.row(os_disk.as_deref()));
                rel.raw_array(
                    "data_disks",
                    data_disks.iter().filter_map(|d| self.row(Some(d))),
                );
                self.write_image(&mut rel, image, os_disk.as_deref());
                let vm: &str = &self.resources[i].key;
                rel.opt_raw(
                    "patch_assessment",
                    self.assessments
                        .get(vm)
                        .map(|a| self.resources[*a].raw.json()),
                );
                let patches = self.patches.get(vm).map(Vec::as_slice).unwrap_or_default();
                rel.raw_array(
                    "software_patches",
                    patches.iter().map(|p| self.resources[*p].raw.json()),
                );
                rel.key("jit");
                rel.out.push('[');
                for (n, (policy, entry)) in self
                    .jit
                    .get(vm)
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .enumerate()
                {
                    if n > 0 {
                        rel.out.push(',');
                    }
                    let mut e = Obj::new(rel.out);
                    e.string("policy_id", Some(&self.resources[*policy].id));
                    e.raw("virtual_machine", entry.json());
                    e.finish();
                }
                rel.out.push(']');
                let extensions = self
                    .extensions
                    .get(vm)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                rel.raw_array(
                    "extensions",
                    extensions.iter().map(|e| self.resources[*e].raw.json()),
                );
                // Tables that failed for this VM's subscription: their absence is not news.
                rel.key("unread");
                let mut unread = Obj::new(rel.out);
                for relation in ["patch_assessments", "jit"] {
                    unread.string(relation, self.unread(relation, vm));
                }
                unread.finish();
            }
            Links::ScaleSet { image, nics } => {
                self.write_image(&mut rel, image, None);
                rel.key("nic_configurations");
                rel.out.push('[');
                for (n, (name, nsg, ipcs)) in nics.iter().enumerate() {
                    if n > 0 {
                        rel.out.push(',');
                    }
                    let mut o = Obj::new(rel.out);
                    o.string("name", name.as_deref());
                    o.string("nsg_id", nsg.as_deref());
                    o.opt_raw("nsg", self.row(nsg.as_deref()));
                    o.key("ip_configurations");
                    o.out.push('[');
                    for (m, ipc) in ipcs.iter().enumerate() {
                        if m > 0 {
                            o.out.push(',');
                        }
                        let mut c = Obj::new(o.out);
                        c.string("name", ipc.name.as_deref());
                        self.write_subnet(&mut c, ipc.subnet.as_deref());
                        c.string("public_ip_configuration", ipc.public_ip.as_deref());
                        self.write_paths(&mut c, ipc);
                        c.finish();
                    }
                    o.out.push(']');
                    o.finish();
                }
                rel.out.push(']');
            }
            Links::Disk { vm, .. } => rel.opt_raw("vm", self.row(vm.as_deref())),
            _ => {}
        }
        rel.finish();
    }

    fn write_nic(&self, nic: &str, out: &mut String) {
        let mut o = Obj::new(out);
        o.string("id", Some(nic));
        let Some(r) = self.get(nic) else {
            o.null("resource");
            o.null("nsg_id");
            o.null("nsg");
            o.raw("ip_configurations", "[]");
            o.finish();
            return;
        };
        o.raw("resource", r.raw.json());
        // An id that resolves to something other than a NIC gets no IP configurations.
        let (nsg, ip_configurations) = match &self.links[self.index[nic]] {
            Links::Nic {
                nsg,
                ip_configurations,
            } => (nsg, ip_configurations.as_slice()),
            _ => (&None, &[][..]),
        };
        o.string("nsg_id", nsg.as_deref());
        o.opt_raw("nsg", self.row(nsg.as_deref()));
        o.key("ip_configurations");
        o.out.push('[');
        for (n, ipc) in ip_configurations.iter().enumerate() {
            if n > 0 {
                o.out.push(',');
            }
            let mut c = Obj::new(o.out);
            c.string("name", ipc.name.as_deref());
            self.write_subnet(&mut c, ipc.subnet.as_deref());
            c.string("public_ip_id", ipc.public_ip.as_deref());
            c.opt_raw("public_ip", self.row(ipc.public_ip.as_deref()));
            self.write_paths(&mut c, ipc);
            c.finish();
        }
        o.out.push(']');
        o.finish();
    }

    /// `config` (the IP configuration as written), `asg_ids`, and `load_balancer_paths`:
    /// every load balancer rule that forwards to it — NAT rules and NAT pools it names, and
    /// the rules of the backend pools it is a member of.
    fn write_paths(&self, c: &mut Obj, ipc: &IpConfig) {
        c.raw("config", &ipc.raw);
        c.key("asg_ids");
        c.out
            .push_str(&serde_json::Value::from(ipc.asgs.clone()).to_string());
        c.key("load_balancer_paths");
        c.out.push('[');
        let mut n = 0;
        let mut path = |out: &mut String, key: &str, pool: Option<&str>| {
            if n > 0 {
                out.push(',');
            }
            n += 1;
            self.write_lb_path(out, key, pool);
        };
        for nat in &ipc.nat {
            path(c.out, nat, None);
        }
        for pool in &ipc.pools {
            match self.pool_rules.get(pool) {
                Some(rules) => rules.iter().for_each(|r| path(c.out, r, Some(pool))),
                // A pool of a load balancer not in the inventory: the policies say so.
                None if !self.lb_parts.contains_key(pool) => path(c.out, pool, None),
                None => {}
            }
        }
        c.out.push(']');
    }

    /// One load balancer path: the rule (or the unresolved reference), its load balancer,
    /// and the frontend it listens on with that frontend's public IP.
    fn write_lb_path(&self, out: &mut String, key: &str, pool: Option<&str>) {
        let mut o = Obj::new(out);
        o.string("id", Some(key));
        o.string("pool_id", pool);
        let found = self
            .lb_parts
            .get(key)
            .and_then(|(lb, j)| match &self.links[*lb] {
                Links::LoadBalancer { sku, parts } => Some((*lb, sku, &parts[*j])),
                _ => None,
            });
        let Some((lb, sku, part)) = found else {
            o.null("kind");
            o.null("rule");
            o.finish();
            return;
        };
        o.string("kind", Some(part.kind));
        o.raw("rule", &part.raw);
        o.string("load_balancer_id", Some(&self.resources[lb].id));
        o.string("load_balancer_name", Some(&self.resources[lb].name));
        o.string("load_balancer_sku", sku.as_deref());
        let frontend = part.frontend.as_deref().and_then(|f| {
            let (lb, j) = self.lb_parts.get(f)?;
            match &self.links[*lb] {
                Links::LoadBalancer { parts, .. } => Some(&parts[*j]),
                _ => None,
            }
        });
        o.string("frontend_id", part.frontend.as_deref());
        o.opt_raw("frontend", frontend.map(|f| f.raw.as_str()));
        let pip = frontend.and_then(|f| f.public_ip.as_deref());
        o.string("frontend_public_ip_id", pip);
        o.opt_raw("frontend_public_ip", self.row(pip));
        o.finish();
    }

    /// `subnet_id`, `subnet` (from its VNet row), `subnet_nsg_id`, `subnet_nsg`.
    fn write_subnet(&self, c: &mut Obj, id: Option<&str>) {
        let subnet = id.and_then(|s| self.subnets.get(s));
        let nsg = subnet.and_then(|s| s.nsg.as_deref());
        c.string("subnet_id", id);
        c.opt_raw("subnet", subnet.map(|s| s.raw.json()));
        c.string("subnet_nsg_id", nsg);
        c.opt_raw("subnet_nsg", self.row(nsg));
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

    fn write_image(&self, rel: &mut Obj, image: &ImageLink, os_disk: Option<&str>) {
        let running = self.running_image_version(image, os_disk);
        let version_id = running.as_ref().map(|(id, _)| id.as_str());
        rel.string("image_version_id", version_id);
        rel.string("image_version_source", running.as_ref().map(|(_, s)| *s));
        rel.opt_raw("image_version", self.row(version_id));
        // The definition: from the running version, else from a gallery reference without one.
        let definition = version_id
            .and_then(|v| v.find("/versions/").map(|at| &v[..at]))
            .or_else(|| {
                image
                    .id
                    .as_deref()
                    .filter(|id| id.contains("/galleries/") && !id.contains("/versions/"))
            });
        rel.opt_raw("image_definition", self.row(definition));
        let siblings = definition
            .and_then(|d| self.versions.get(d))
            .map(Vec::as_slice)
            .unwrap_or_default();
        rel.raw_array(
            "image_versions",
            siblings.iter().map(|v| self.resources[*v].raw.json()),
        );
    }
}

/// Writes one JSON object field by field.
struct Obj<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Obj<'a> {
    fn new(out: &'a mut String) -> Obj<'a> {
        out.push('{');
        Obj { out, first: true }
    }

    fn key(&mut self, key: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        self.out.push('"');
        self.out.push_str(key);
        self.out.push_str("\":");
    }

    fn raw(&mut self, key: &str, json: &str) {
        self.key(key);
        self.out.push_str(json);
    }

    fn null(&mut self, key: &str) {
        self.raw(key, "null");
    }

    fn opt_raw(&mut self, key: &str, json: Option<&str>) {
        self.raw(key, json.unwrap_or("null"));
    }

    fn string(&mut self, key: &str, value: Option<&str>) {
        self.key(key);
        match value {
            Some(v) => self.out.push_str(&serde_json::Value::from(v).to_string()),
            None => self.out.push_str("null"),
        }
    }

    fn raw_array<'r>(&mut self, key: &str, items: impl Iterator<Item = &'r str>) {
        self.key(key);
        self.out.push('[');
        for (n, item) in items.enumerate() {
            if n > 0 {
                self.out.push(',');
            }
            self.out.push_str(item);
        }
        self.out.push(']');
    }

    fn finish(self) {
        self.out.push('}');
    }
}
