//! GitHub's `primaryLocationLineHash`: a rolling hash over each line's text (whitespace
//! dropped, line ends normalised), 100-character windows, `<hex>:<occurrence>`. A port of
//! github/codeql-action's fingerprints.ts, checked against its test vectors.

const BLOCK: usize = 100;
const MOD: u64 = 37;

/// The hash of every line, in order (index 0 = line 1).
pub(crate) fn rolling_hashes(text: &str) -> Vec<String> {
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

#[cfg(test)]
mod tests {
    use super::rolling_hashes;

    // The vectors of sarif-sdk's rollingHash.test.js (from codeql-action's fingerprints tests).
    #[test]
    fn matches_the_reference_vectors() {
        assert_eq!(rolling_hashes(""), ["c129715d7a2bc9a3:1"]);
        assert_eq!(
            rolling_hashes(" a\nb\n  \t\tc\n d"),
            [
                "271789c17abda88f:1",
                "54703d4cd895b18:1",
                "180aee12dab6264:1",
                "a23a3dc5e078b07b:1"
            ]
        );
        let expected = [
            "e9496ae3ebfced30:1",
            "fb7c023a8b9ccb3f:1",
            "ce8ba1a563dcdaca:1",
            "e20e36e16fcb0cc8:1",
            "b3edc88f2938467e:1",
            "c8e28b0b4002a3a0:1",
            "c129715d7a2bc9a3:1",
        ];
        assert_eq!(
            rolling_hashes(" hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End\n"),
            expected
        );
        assert_eq!(
            rolling_hashes("hello; \t\nworld!!!\r\r\r  \t\tGreetings\r End\r"),
            expected
        );
        assert_eq!(
            rolling_hashes(" hello; \t\r\nworld!!!\r\n\r\n\r\n  \t\tGreetings\r\n End\r\n"),
            expected
        );
        assert_eq!(
            rolling_hashes(" hello; \t\nworld!!!\r\n\n\r  \t\tGreetings\r End\r\n"),
            expected
        );
        assert_eq!(
            rolling_hashes(" hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End"),
            [
                "8b7cf3e952e7aeb2:1",
                "b1ae1287ec4718d9:1",
                "bff680108adb0fcc:1",
                "c6805c5e1288b612:1",
                "b86d3392aea1be30:1",
                "e6ceba753e1a442:1"
            ]
        );
        let ten = rolling_hashes(&"Lorem ipsum dolor sit amet.\n".repeat(10));
        assert_eq!(
            ten,
            [
                "a7f2ff13bc495cf2:1",
                "a7f2ff13bc495cf2:2",
                "a7f2ff13bc495cf2:3",
                "a7f2ff13bc495cf2:4",
                "a7f2ff13bc495cf2:5",
                "a7f2ff13bc495cf2:6",
                "a7f2ff1481e87703:1",
                "a9cf91f7bbf1862b:1",
                "55ec222b86bcae53:1",
                "cc97dc7b1d7d8f7b:1",
                "c129715d7a2bc9a3:1"
            ]
        );
    }
}
