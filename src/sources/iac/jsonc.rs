//! JSON with `//` and `/* */` comments (as ARM and Packer accept it), parsed into a tree that
//! keeps the byte span of every value, so a finding can point at the offending line.
//! Written by hand: the crates that read JSONC either drop positions or recurse without a
//! limit, and a template nested a few thousand levels deep must not blow the stack.

use serde_json::{Map, Number, Value};

use crate::text::Span;

/// Deeper than any real template; beyond it the file is rejected, not the process.
pub(crate) const MAX_DEPTH: usize = 256;

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) span: Span,
    pub(crate) kind: Kind,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Node>),
    /// Members in file order; keys as written (ARM compares them case-insensitively).
    Object(Vec<(String, Node)>),
}

#[derive(Debug)]
pub(crate) struct ParseError {
    pub(crate) offset: usize,
    pub(crate) message: String,
}

impl Node {
    /// The member `key`, compared case-insensitively as ARM does.
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            Kind::Object(m) => m
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::String(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn members(&self) -> &[(String, Node)] {
        match &self.kind {
            Kind::Object(m) => m,
            _ => &[],
        }
    }

    pub(crate) fn items(&self) -> &[Node] {
        match &self.kind {
            Kind::Array(a) => a,
            _ => &[],
        }
    }

    /// The plain JSON value (positions dropped).
    pub(crate) fn to_value(&self) -> Value {
        match &self.kind {
            Kind::Null => Value::Null,
            Kind::Bool(b) => Value::Bool(*b),
            Kind::Number(n) => Value::Number(n.clone()),
            Kind::String(s) => Value::String(s.clone()),
            Kind::Array(a) => Value::Array(a.iter().map(Node::to_value).collect()),
            Kind::Object(m) => {
                let mut o = Map::new();
                for (k, v) in m {
                    o.insert(k.clone(), v.to_value());
                }
                Value::Object(o)
            }
        }
    }
}

pub(crate) fn parse(text: &str) -> Result<Node, ParseError> {
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        i: 0,
    };
    // A UTF-8 byte order mark is common in templates saved on Windows.
    if text.starts_with('\u{feff}') {
        p.i = 3;
    }
    let node = p.value(0)?;
    p.skip_ws()?;
    if p.i < p.s.len() {
        return Err(p.error("unexpected text after the end of the document"));
    }
    Ok(node)
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
}

impl Parser<'_> {
    fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError {
            offset: self.i.min(self.s.len()),
            message: message.into(),
        }
    }

    fn skip_ws(&mut self) -> Result<(), ParseError> {
        loop {
            match self.s.get(self.i) {
                Some(b' ' | b'\t' | b'\n' | b'\r') => self.i += 1,
                Some(b'/') if self.s.get(self.i + 1) == Some(&b'/') => {
                    while self.i < self.s.len() && self.s[self.i] != b'\n' {
                        self.i += 1;
                    }
                }
                Some(b'/') if self.s.get(self.i + 1) == Some(&b'*') => {
                    let start = self.i;
                    self.i += 2;
                    loop {
                        if self.i + 1 >= self.s.len() {
                            self.i = start;
                            return Err(self.error("unterminated /* comment"));
                        }
                        if self.s[self.i] == b'*' && self.s[self.i + 1] == b'/' {
                            self.i += 2;
                            break;
                        }
                        self.i += 1;
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.error(format!("nested deeper than {MAX_DEPTH} levels")));
        }
        self.skip_ws()?;
        let start = self.i;
        let kind = match self.s.get(self.i) {
            None => return Err(self.error("unexpected end of file")),
            Some(b'{') => self.object(depth)?,
            Some(b'[') => self.array(depth)?,
            Some(b'"') => Kind::String(self.string()?),
            Some(b't') => self.word("true", Kind::Bool(true))?,
            Some(b'f') => self.word("false", Kind::Bool(false))?,
            Some(b'n') => self.word("null", Kind::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(_) => return Err(self.error("expected a value")),
        };
        Ok(Node {
            span: Span { start, end: self.i },
            kind,
        })
    }

    fn word(&mut self, w: &str, kind: Kind) -> Result<Kind, ParseError> {
        if self.s[self.i..].starts_with(w.as_bytes()) {
            self.i += w.len();
            Ok(kind)
        } else {
            Err(self.error("expected a value"))
        }
    }

    fn number(&mut self) -> Result<Kind, ParseError> {
        let start = self.i;
        while let Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') = self.s.get(self.i) {
            self.i += 1;
        }
        let text = &self.text[start..self.i];
        let n: Number = serde_json::from_str(text).map_err(|_| {
            self.i = start;
            self.error(format!("{text:?} is not a number"))
        })?;
        Ok(Kind::Number(n))
    }

    fn string(&mut self) -> Result<String, ParseError> {
        let start = self.i;
        self.i += 1;
        let mut out = String::new();
        loop {
            let run = self.i;
            while let Some(&c) = self.s.get(self.i) {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.i += 1;
            }
            out.push_str(&self.text[run..self.i]);
            match self.s.get(self.i) {
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    let c = self.s.get(self.i).copied();
                    self.i += 1;
                    match c {
                        Some(b'"') => out.push('"'),
                        Some(b'\\') => out.push('\\'),
                        Some(b'/') => out.push('/'),
                        Some(b'b') => out.push('\u{8}'),
                        Some(b'f') => out.push('\u{c}'),
                        Some(b'n') => out.push('\n'),
                        Some(b'r') => out.push('\r'),
                        Some(b't') => out.push('\t'),
                        Some(b'u') => out.push(self.unicode()?),
                        _ => return Err(self.error("invalid escape in a string")),
                    }
                }
                Some(b'\n') | None => {
                    self.i = start;
                    return Err(self.error("unterminated string"));
                }
                // Raw tabs and other control characters: tolerated, as ARM does.
                Some(_) => {
                    out.push(self.s[self.i] as char);
                    self.i += 1;
                }
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let h = self
            .text
            .get(self.i..self.i + 4)
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .ok_or_else(|| self.error("invalid \\u escape"))?;
        self.i += 4;
        Ok(h)
    }

    fn unicode(&mut self) -> Result<char, ParseError> {
        let hi = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&hi) && self.s[self.i..].starts_with(b"\\u") {
            self.i += 2;
            let lo = self.hex4()?;
            0x10000 + ((hi - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF)
        } else {
            hi
        };
        Ok(char::from_u32(code).unwrap_or('\u{FFFD}'))
    }

    fn array(&mut self, depth: usize) -> Result<Kind, ParseError> {
        self.i += 1;
        let mut items = Vec::new();
        loop {
            self.skip_ws()?;
            if self.s.get(self.i) == Some(&b']') {
                self.i += 1;
                return Ok(Kind::Array(items));
            }
            items.push(self.value(depth + 1)?);
            self.skip_ws()?;
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b']') => {}
                _ => return Err(self.error("expected ',' or ']'")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Kind, ParseError> {
        self.i += 1;
        let mut members = Vec::new();
        loop {
            self.skip_ws()?;
            match self.s.get(self.i) {
                Some(b'}') => {
                    self.i += 1;
                    return Ok(Kind::Object(members));
                }
                Some(b'"') => {}
                _ => return Err(self.error("expected a quoted member name or '}'")),
            }
            let key = self.string()?;
            self.skip_ws()?;
            if self.s.get(self.i) != Some(&b':') {
                return Err(self.error("expected ':' after the member name"));
            }
            self.i += 1;
            let value = self.value(depth + 1)?;
            members.push((key, value));
            self.skip_ws()?;
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b'}') => {}
                _ => return Err(self.error("expected ',' or '}'")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_positions() {
        let text = "{\n  // a comment\n  \"a\": [1, /* two */ \"x\"],\n  \"b\": {\"C\": true}\n}";
        let n = parse(text).expect("parses");
        let a = n.get("A").expect("case-insensitive");
        assert_eq!(&text[a.span.start..a.span.end], "[1, /* two */ \"x\"]");
        assert_eq!(a.items()[1].as_str(), Some("x"));
        assert_eq!(
            n.get("b").and_then(|b| b.get("c")).map(|c| c.to_value()),
            Some(Value::Bool(true))
        );
    }

    #[test]
    fn errors_carry_offsets_and_depth_is_bounded() {
        let e = parse("{\"a\": }").expect_err("no value");
        assert_eq!(e.offset, 6);
        let deep = "[".repeat(100_000);
        let e = parse(&deep).expect_err("too deep");
        assert!(e.message.contains("nested deeper"));
        assert!(parse("{\"a\": 1} x").is_err());
        assert!(parse("\"abc").is_err());
    }

    #[test]
    fn escapes() {
        let n = parse(r#""a\"b\u00e9\ud83d\ude00""#).expect("parses");
        assert_eq!(n.as_str(), Some("a\"bé😀"));
    }
}
