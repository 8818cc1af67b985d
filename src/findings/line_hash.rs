//! GitHub's `primaryLocationLineHash`: a rolling hash over each line's text (whitespace
//! dropped, line ends normalised), 100-character windows, `<hex>:<occurrence>`. A port of
//! github/codeql-action's fingerprints.ts, checked against its test vectors.

const BLOCK: usize = 100;
const MOD: u64 = 37;

/// The hash of every line, in order (index 0 = line 1).
pub fn rolling_hashes(text: &str) -> Vec<String> {
    let first_mod = (0..BLOCK).fold(1u64, |m, _| m.wrapping_mul(MOD));
    let mut window = [0u64; BLOCK];
    let mut line_numbers = [usize::MAX; BLOCK];
    let mut hash: u64 = 0;
    let mut index = 0;
    let mut line = 0usize;
    let mut line_start = true;
    let mut prev_cr = false;
    let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut out: Vec<String> = Vec::new();

    let mut output = |hash: u64, ln: usize, out: &mut Vec<String>| {
        let hex = format!("{hash:x}");
        let c = counts.entry(hex.clone()).or_insert(0);
        *c += 1;
        if out.len() < ln {
            out.resize(ln, String::new());
        }
        out[ln - 1] = format!("{hex}:{c}");
    };
    let mut process = |current: u64,
                       hash: &mut u64,
                       index: &mut usize,
                       window: &mut [u64; BLOCK],
                       line_numbers: &mut [usize; BLOCK],
                       out: &mut Vec<String>| {
        let mut current = current;
        if current == 0x20 || current == 0x09 || (prev_cr && current == 0x0a) {
            prev_cr = false;
            return;
        }
        if current == 0x0d {
            current = 0x0a;
            prev_cr = true;
        } else {
            prev_cr = false;
        }
        if line_numbers[*index] != usize::MAX {
            output(*hash, line_numbers[*index], out);
            line_numbers[*index] = usize::MAX;
        }
        if line_start {
            line_start = false;
            line += 1;
            line_numbers[*index] = line;
        }
        if current == 0x0a {
            line_start = true;
        }
        let begin = window[*index];
        window[*index] = current;
        *hash = MOD
            .wrapping_mul(*hash)
            .wrapping_add(current)
            .wrapping_sub(first_mod.wrapping_mul(begin));
        *index = (*index + 1) % BLOCK;
    };
    // UTF-16 code units, as JavaScript's charCodeAt sees the text.
    for unit in text.encode_utf16() {
        process(
            u64::from(unit),
            &mut hash,
            &mut index,
            &mut window,
            &mut line_numbers,
            &mut out,
        );
    }
    process(
        65535,
        &mut hash,
        &mut index,
        &mut window,
        &mut line_numbers,
        &mut out,
    );
    for _ in 0..BLOCK {
        if line_numbers[index] != usize::MAX {
            output(hash, line_numbers[index], &mut out);
            line_numbers[index] = usize::MAX;
        }
        let begin = window[index];
        window[index] = 0;
        hash = MOD
            .wrapping_mul(hash)
            .wrapping_sub(first_mod.wrapping_mul(begin));
        index = (index + 1) % BLOCK;
    }
    out
}
