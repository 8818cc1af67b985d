//! Address functions: parseCidr, cidrSubnet, cidrHost (IPv4 and IPv6), on the IP arithmetic
//! shared with the HCL library.

use serde_json::{json, Value};

use super::{arity, int, s};
use crate::sources::iac::expr::{EvalResult, ExprError};
use crate::sources::iac::net::{fmt_ip, mask, parse_cidr};

pub(super) const NAMES: &[&str] = &["parsecidr", "cidrsubnet", "cidrhost"];

pub(super) fn call(name: &str, a: &[Value]) -> EvalResult {
    let bad = |e: String| ExprError::Value(format!("{name}(): {e}"));
    match name {
        "parsecidr" => {
            arity(name, a, 1, 1)?;
            let (addr, bits, plen) = parse_cidr(s(name, &a[0])?).map_err(bad)?;
            let net = addr & mask(plen, bits);
            let last = net | !mask(plen, bits) & mask(bits, bits);
            let (first_usable, last_usable) = match (bits, plen) {
                (32, 31..=32) | (128, 127..=128) => (net, last),
                (32, _) => (net + 1, last - 1),
                _ => (net, last),
            };
            let mut out = json!({
                "network": fmt_ip(net, bits),
                "cidr": plen,
                "firstUsable": fmt_ip(first_usable, bits),
                "lastUsable": fmt_ip(last_usable, bits),
            });
            if bits == 32 {
                out["netmask"] = json!(fmt_ip(mask(plen, bits), bits));
                out["broadcast"] = json!(fmt_ip(last, bits));
            }
            Ok(out)
        }
        "cidrsubnet" => {
            arity(name, a, 3, 3)?;
            let (addr, bits, plen) = parse_cidr(s(name, &a[0])?).map_err(bad)?;
            let new =
                u32::try_from(int(name, &a[1])?).map_err(|_| bad("bad prefix length".into()))?;
            let index = u128::try_from(int(name, &a[2])?).map_err(|_| bad("bad index".into()))?;
            if new < plen || new > bits || (new - plen < 128 && index >= 1u128 << (new - plen)) {
                return Err(bad(format!(
                    "/{new} subnet {index} does not fit in /{plen}"
                )));
            }
            let net = (addr & mask(plen, bits)) | (index << (bits - new));
            Ok(json!(format!("{}/{new}", fmt_ip(net, bits))))
        }
        _ => {
            arity(name, a, 2, 2)?;
            let (addr, bits, plen) = parse_cidr(s(name, &a[0])?).map_err(bad)?;
            let host =
                u128::try_from(int(name, &a[1])?).map_err(|_| bad("bad host number".into()))?;
            let net = addr & mask(plen, bits);
            // ARM counts usable hosts: host 0 is the first address after the network's.
            let h = if bits == 32 { host + 1 } else { host };
            if bits - plen < 128 && h >= 1u128 << (bits - plen) {
                return Err(bad(format!("host {host} is outside /{plen}")));
            }
            Ok(json!(fmt_ip(net | h, bits)))
        }
    }
}
