//! IP addresses and CIDR arithmetic (cidrsubnet, cidrhost, cidrnetmask), IPv4 and IPv6.

// ---------------------------------------------------------------- IP addresses

/// (address, address bits 32|128, prefix length)
pub(crate) fn parse_cidr(s: &str) -> Result<(u128, u32, u32), String> {
    let bad = || format!("invalid CIDR address {s:?}");
    let (ip, len) = s.split_once('/').ok_or_else(bad)?;
    let (addr, bits) = if ip.contains(':') {
        (parse_ipv6(ip).ok_or_else(bad)?, 128)
    } else {
        (parse_ipv4(ip).ok_or_else(bad)? as u128, 32)
    };
    let plen: u32 = len
        .parse()
        .ok()
        .filter(|p| *p <= bits && len.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(bad)?;
    Ok((addr & mask(plen, bits), bits, plen))
}

pub(crate) fn mask(plen: u32, bits: u32) -> u128 {
    if plen == 0 {
        0
    } else {
        (u128::MAX << (128 - plen)) >> (128 - bits)
    }
}

pub(crate) fn parse_ipv4(s: &str) -> Option<u32> {
    let parts: Vec<&str> = s.split('.').collect();
    let ok = parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()));
    ok.then(|| {
        parts
            .iter()
            .try_fold(0u32, |a, p| Some((a << 8) | p.parse::<u8>().ok()? as u32))
    })?
}

pub(crate) fn parse_ipv6(s: &str) -> Option<u128> {
    fn groups(part: &str, v4_ok: bool) -> Option<Vec<u16>> {
        let items: Vec<&str> = if part.is_empty() {
            vec![]
        } else {
            part.split(':').collect()
        };
        let mut g = Vec::new();
        for (i, it) in items.iter().enumerate() {
            if v4_ok && i == items.len() - 1 && it.contains('.') {
                let v4 = parse_ipv4(it)?;
                g.push((v4 >> 16) as u16);
                g.push(v4 as u16);
            } else if !it.is_empty() && it.len() <= 4 && it.bytes().all(|b| b.is_ascii_hexdigit()) {
                g.push(u16::from_str_radix(it, 16).ok()?);
            } else {
                return None;
            }
        }
        Some(g)
    }
    let g = match s.split_once("::") {
        Some((h, t)) => {
            let (mut g, t) = (groups(h, false)?, groups(t, true)?);
            (g.len() + t.len() <= 7).then_some(())?;
            g.resize(8 - t.len(), 0);
            g.extend(t);
            g
        }
        None => groups(s, true)?,
    };
    (g.len() == 8).then(|| g.iter().fold(0u128, |a, &x| (a << 16) | x as u128))
}

pub(crate) fn fmt_ip(a: u128, bits: u32) -> String {
    if bits == 32 {
        let a = a as u32;
        return format!(
            "{}.{}.{}.{}",
            a >> 24,
            (a >> 16) & 255,
            (a >> 8) & 255,
            a & 255
        );
    }
    let g: Vec<u16> = (0..8).map(|i| (a >> (112 - 16 * i)) as u16).collect();
    let (mut best, mut best_len, mut i) = (8, 1, 0);
    while i < 8 {
        let st = i;
        i += g[i..].iter().take_while(|x| **x == 0).count();
        if i - st > best_len {
            (best, best_len) = (st, i - st);
        }
        i = i.max(st + 1);
    }
    let hex = |r: &[u16]| {
        r.iter()
            .map(|x| format!("{x:x}"))
            .collect::<Vec<_>>()
            .join(":")
    };
    if best == 8 {
        hex(&g)
    } else {
        format!("{}::{}", hex(&g[..best]), hex(&g[best + best_len..]))
    }
}
