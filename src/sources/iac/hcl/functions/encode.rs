//! Encodings: JSON as Terraform writes it, format() verbs, base64.

use serde_json::Value;

use super::*;

// ---------------------------------------------------------------- JSON encoding like Terraform

pub(super) fn json_quote(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

pub(super) fn json_encode(v: &Value, out: &mut String, depth: usize) {
    match v {
        _ if depth > MAX_DEPTH || out.len() > MAX_TOTAL_BYTES => out.push_str("null"),
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&num_str(n)),
        Value::String(s) => json_quote(s, out),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                out.push_str(if i > 0 { "," } else { "" });
                json_encode(x, out, depth + 1);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, x)) in sorted_entries(m).into_iter().enumerate() {
                out.push_str(if i > 0 { "," } else { "" });
                json_quote(k, out);
                out.push(':');
                json_encode(x, out, depth + 1);
            }
            out.push('}');
        }
    }
}

// ---------------------------------------------------------------- format()

pub(super) fn format_str(f: &str, args: &[&Value]) -> Result<String, String> {
    let ch: Vec<char> = f.chars().collect();
    let (mut out, mut i, mut next) = (String::new(), 0usize, 0usize);
    let mut used = vec![false; args.len()];
    let digits = |i: &mut usize| -> Option<usize> {
        let st = *i;
        while *i < ch.len() && ch[*i].is_ascii_digit() {
            *i += 1;
        }
        if *i == st {
            None
        } else {
            ch[st..*i]
                .iter()
                .collect::<String>()
                .parse()
                .ok()
                .or(Some(usize::MAX))
        }
    };
    while i < ch.len() {
        i += 1;
        if ch[i - 1] != '%' || ch.get(i) == Some(&'%') {
            i += (ch[i - 1] == '%') as usize;
            out.push(ch[i - 1]);
            continue;
        }
        let (mut minus, mut zero, mut plus, mut space, mut sharp) =
            (false, false, false, false, false);
        while let Some(&fl) = ch.get(i) {
            match fl {
                '-' => minus = true,
                '0' => zero = true,
                '+' => plus = true,
                ' ' => space = true,
                '#' => sharp = true,
                _ => break,
            }
            i += 1;
        }
        if ch.get(i) == Some(&'[') {
            i += 1;
            let n = digits(&mut i).unwrap_or(0);
            ensure!(
                ch.get(i) == Some(&']') && n > 0,
                "has an invalid explicit argument index"
            );
            (i, next) = (i + 1, n - 1);
        }
        let width = digits(&mut i).unwrap_or(0);
        let dot = ch.get(i) == Some(&'.');
        i += dot as usize;
        let prec = if dot {
            Some(digits(&mut i).unwrap_or(0))
        } else {
            None
        };
        ensure!(
            width <= MAX_STRING_BYTES && prec.unwrap_or(0) <= MAX_STRING_BYTES,
            "{TOO_LARGE}"
        );
        let verb = *ch
            .get(i)
            .ok_or("format string ends with an incomplete verb")?;
        i += 1;
        let arg = *args
            .get(next)
            .ok_or_else(|| format!("has not enough arguments for verb %{verb}"))?;
        (used[next], next) = (true, next + 1);
        ensure!(
            !arg.is_null() || verb == 'v',
            "cannot format null with %{verb}"
        );
        let (sign, body) = match verb {
            's' => {
                let s =
                    string(arg).map_err(|_| "%s expects a string, number or bool".to_string())?;
                (
                    String::new(),
                    s.chars().take(prec.unwrap_or(usize::MAX)).collect(),
                )
            }
            'v' if sharp || arg.is_array() || arg.is_object() || arg.is_null() => {
                (String::new(), canon(arg))
            }
            'v' => (String::new(), prim_str(arg).unwrap_or_default()),
            'q' => {
                let mut q = String::new();
                json_quote(&string(arg)?, &mut q);
                (String::new(), q)
            }
            't' => (String::new(), boolean(arg)?.to_string()),
            'd' | 'x' | 'X' | 'o' | 'b' => {
                let n = int(arg).map_err(|e| format!("%{verb} {e}"))?;
                let m = n.unsigned_abs();
                let body = match verb {
                    'd' => m.to_string(),
                    'x' => format!("{m:x}"),
                    'X' => format!("{m:X}"),
                    'o' => format!("{m:o}"),
                    _ => format!("{m:b}"),
                };
                (sign_of(n < 0, plus, space), body)
            }
            'f' | 'F' => {
                let x = number(arg)?;
                (
                    sign_of(x < 0.0, plus, space),
                    format!("{:.*}", prec.unwrap_or(6), x.abs()),
                )
            }
            _ => return Err(format!("has unsupported verb %{verb}")),
        };
        // padding: '-' pads on the right, '0' between sign and digits, else spaces on the left
        let pad = width.saturating_sub(sign.chars().count() + body.chars().count());
        let (left, zeros, right) = if minus {
            (0, 0, pad)
        } else if zero {
            (0, pad, 0)
        } else {
            (pad, 0, 0)
        };
        out.extend(
            std::iter::repeat_n(' ', left)
                .chain(sign.chars())
                .chain(std::iter::repeat_n('0', zeros))
                .chain(body.chars()),
        );
        out.extend(std::iter::repeat_n(' ', right));
        ensure!(out.len() <= MAX_STRING_BYTES, "{TOO_LARGE}");
    }
    ensure!(
        used.iter().all(|u| *u),
        "has too many arguments; no verbs expect them"
    );
    Ok(out)
}

pub(super) fn sign_of(neg: bool, plus: bool, space: bool) -> String {
    [(neg, "-"), (plus, "+"), (space, " ")]
        .iter()
        .find(|(c, _)| *c)
        .map_or("", |(_, s)| s)
        .to_string()
}

// ---------------------------------------------------------------- base64

pub(super) const B64: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub(super) fn b64_encode(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len().div_ceil(3) * 4);
    for c in b.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for k in 0..4 {
            out.push(if k <= c.len() {
                B64[(n >> (18 - 6 * k)) as usize & 63] as char
            } else {
                '='
            });
        }
    }
    out
}

pub(super) fn b64_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    b.len().is_multiple_of(4).then_some(())?;
    let mut out = Vec::with_capacity(b.len() / 4 * 3);
    for (ci, c) in b.chunks(4).enumerate() {
        let pad = c.iter().rev().take_while(|&&x| x == b'=').count();
        (pad <= 2 && (pad == 0 || ci == b.len() / 4 - 1)).then_some(())?;
        let mut n = 0u32;
        for &x in &c[..4 - pad] {
            n = n << 6 | B64.iter().position(|&y| y == x)? as u32;
        }
        n <<= 6 * pad as u32;
        out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8][..3 - pad]);
    }
    Some(out)
}
