//! Tokenizer. Comments, `#disable-next-line` directives and blanks are dropped; consecutive
//! line breaks collapse into one `Nl` token. Interpolated strings are split into pieces.

use super::syntax::ParseError;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Ident,
    Int(i64),
    /// A piece of a single-quoted string with escapes resolved. `open`: the piece starts with `'`
    /// (otherwise with the `}` ending an interpolation); `close`: it ends with `'` (otherwise `${`).
    Str {
        text: String,
        open: bool,
        close: bool,
    },
    /// `'''…'''` content (leading line break dropped).
    Multi(String),
    Sym(&'static str),
    Nl,
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub kind: Tok,
    pub start: usize,
    pub end: usize,
}

const SYMS: [&str; 34] = [
    "...", "::", "=>", "==", "=~", "!=", "!~", "<=", ">=", "&&", "||", "??", "(", ")", "[", "]",
    "{", "}", ",", ".", ":", "=", "!", "<", ">", "+", "-", "*", "/", "%", "?", "@", "|", "^",
];

fn err(offset: usize, message: impl Into<String>) -> ParseError {
    ParseError {
        offset,
        message: message.into(),
    }
}

pub(crate) fn lex(src: &str) -> Result<Vec<Token>, ParseError> {
    let b = src.as_bytes();
    let at = |j: usize| b.get(j).copied().unwrap_or(0);
    let mut toks: Vec<Token> = Vec::new();
    // One entry per open `{`: true when it is a string interpolation `${`.
    let mut braces: Vec<bool> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = at(i);
        let start = i;
        match c {
            b' ' | b'\t' | 0x0b | 0x0c => i += 1,
            0xEF if at(i + 1) == 0xBB && at(i + 2) == 0xBF => i += 3, // byte order mark
            b'\r' | b'\n' => {
                i += if c == b'\r' && at(i + 1) == b'\n' {
                    2
                } else {
                    1
                };
                if !matches!(toks.last(), Some(Token { kind: Tok::Nl, .. })) {
                    toks.push(Token {
                        kind: Tok::Nl,
                        start,
                        end: i,
                    });
                }
            }
            b'/' if at(i + 1) == b'/' => {
                while i < b.len() && at(i) != b'\n' && at(i) != b'\r' {
                    i += 1;
                }
            }
            b'/' if at(i + 1) == b'*' => match src.get(i + 2..).and_then(|s| s.find("*/")) {
                Some(p) => i += p + 4,
                None => {
                    return Err(err(
                        start,
                        "unterminated block comment: '/*' has no matching '*/'",
                    ))
                }
            },
            b'#' if matches!(toks.last(), None | Some(Token { kind: Tok::Nl, .. })) => {
                // `#disable-next-line …` and similar directives run to the end of the line.
                while i < b.len() && at(i) != b'\n' && at(i) != b'\r' {
                    i += 1;
                }
            }
            b'\'' if at(i + 1) == b'\'' && at(i + 2) == b'\'' => {
                let body = i + 3;
                let Some(mut p) = src
                    .get(body..)
                    .and_then(|s| s.find("'''"))
                    .map(|p| p + body)
                else {
                    return Err(err(
                        start,
                        "unterminated multi-line string: missing closing '''",
                    ));
                };
                // In a run of more than three quotes, the last three close the string.
                while at(p + 3) == b'\'' {
                    p += 1;
                }
                let raw = src.get(body..p).unwrap_or("");
                let text = raw
                    .strip_prefix("\r\n")
                    .or_else(|| raw.strip_prefix('\n'))
                    .unwrap_or(raw);
                i = p + 3;
                toks.push(Token {
                    kind: Tok::Multi(text.to_string()),
                    start,
                    end: i,
                });
            }
            // A string segment: from its opening quote, or from the `}` that ends an
            // interpolation, to the closing quote or the next `${`.
            b'\'' | b'}' if c == b'\'' || braces.last() == Some(&true) => {
                let open = c == b'\'';
                if !open {
                    braces.pop();
                }
                let (text, end, close) = scan_str(src, i + 1, start)?;
                if !close {
                    braces.push(true);
                }
                i = end;
                toks.push(Token {
                    kind: Tok::Str { text, open, close },
                    start,
                    end,
                });
            }
            b'0'..=b'9' => {
                while at(i).is_ascii_digit() {
                    i += 1;
                }
                let digits = src.get(start..i).unwrap_or("");
                let n = digits
                    .parse::<i64>()
                    .map_err(|_| err(start, format!("integer literal {digits} is too large")))?;
                toks.push(Token {
                    kind: Tok::Int(n),
                    start,
                    end: i,
                });
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                while matches!(at(i), b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_') {
                    i += 1;
                }
                toks.push(Token {
                    kind: Tok::Ident,
                    start,
                    end: i,
                });
            }
            b'$' if at(i + 1) == b'\'' => {
                return Err(err(
                    start,
                    "interpolated multi-line strings ($'''…''') are not supported",
                ));
            }
            _ => {
                let rest = src.get(i..).unwrap_or("");
                let Some(sym) = SYMS.iter().find(|s| rest.starts_with(**s)) else {
                    let ch = rest.chars().next().unwrap_or('?');
                    return Err(err(start, format!("unexpected character '{ch}'")));
                };
                if *sym == "{" {
                    braces.push(false);
                } else if *sym == "}" {
                    braces.pop();
                }
                i += sym.len();
                toks.push(Token {
                    kind: Tok::Sym(sym),
                    start,
                    end: i,
                });
            }
        }
    }
    toks.push(Token {
        kind: Tok::Eof,
        start: b.len(),
        end: b.len(),
    });
    Ok(toks)
}

/// Scan one string piece starting at byte `i` (just past `'` or `}`), up to and including the
/// closing `'` or the `${` opening an interpolation. Returns (text, end offset, closed by quote).
fn scan_str(
    src: &str,
    mut i: usize,
    tok_start: usize,
) -> Result<(String, usize, bool), ParseError> {
    let b = src.as_bytes();
    let at = |j: usize| b.get(j).copied();
    let mut out = String::new();
    let mut run = i;
    loop {
        match at(i) {
            None | Some(b'\n') | Some(b'\r') => {
                return Err(err(
                    tok_start,
                    "unterminated string: a '…' string must end on the same line (use '''…''' for multi-line text)",
                ));
            }
            Some(b'\'') => {
                out.push_str(src.get(run..i).unwrap_or(""));
                return Ok((out, i + 1, true));
            }
            Some(b'$') if at(i + 1) == Some(b'{') => {
                out.push_str(src.get(run..i).unwrap_or(""));
                return Ok((out, i + 2, false));
            }
            Some(b'\\') => {
                out.push_str(src.get(run..i).unwrap_or(""));
                let esc = i;
                i += 2;
                match at(esc + 1) {
                    Some(b'\'') => out.push('\''),
                    Some(b'\\') => out.push('\\'),
                    Some(b'n') => out.push('\n'),
                    Some(b'r') => out.push('\r'),
                    Some(b't') => out.push('\t'),
                    Some(b'$') => out.push('$'),
                    Some(b'u') if at(i) == Some(b'{') => {
                        let hex_start = i + 1;
                        let mut j = hex_start;
                        while at(j).is_some_and(|c| c.is_ascii_hexdigit()) {
                            j += 1;
                        }
                        let ch = src
                            .get(hex_start..j)
                            .filter(|h| !h.is_empty() && h.len() <= 6 && at(j) == Some(b'}'))
                            .and_then(|h| u32::from_str_radix(h, 16).ok())
                            .and_then(char::from_u32)
                            .ok_or_else(|| {
                                err(esc, "invalid unicode escape: expected \\u{hex digits} naming a valid code point")
                            })?;
                        out.push(ch);
                        i = j + 1;
                    }
                    None | Some(b'\n') | Some(b'\r') => {
                        return Err(err(tok_start, "unterminated string: missing closing '"));
                    }
                    Some(_) => {
                        return Err(err(
                            esc,
                            "invalid escape sequence: use \\' \\\\ \\n \\r \\t \\$ or \\u{…}",
                        ));
                    }
                }
                run = i;
            }
            Some(_) => i += 1,
        }
    }
}
