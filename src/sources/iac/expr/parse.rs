//! ARM's string syntax for expressions: `[func(args).prop[index]]`, parsed into an `Expr`.

use super::{Expr, ExprError};

/// Deeper than any real expression; beyond it the expression is rejected.
const MAX_DEPTH: usize = 64;

/// A string value is an expression when it is wrapped in `[` `]` and does not start with
/// `[[` (the escape for a literal bracket).
pub(crate) fn expression_text(s: &str) -> Option<&str> {
    let t = s.trim();
    if t.starts_with('[') && t.ends_with(']') && !t.starts_with("[[") && t.len() >= 2 {
        Some(&t[1..t.len() - 1])
    } else {
        None
    }
}

/// A literal string: `[[x]` stands for `[x]`.
pub(crate) fn literal(s: &str) -> &str {
    if s.starts_with("[[") {
        &s[1..]
    } else {
        s
    }
}

pub(crate) fn parse(text: &str) -> Result<Expr, ExprError> {
    parse_text(text).map_err(ExprError::Syntax)
}

fn parse_text(text: &str) -> Result<Expr, String> {
    let mut p = P {
        s: text.as_bytes(),
        text,
        i: 0,
    };
    let e = p.expr(0)?;
    p.ws();
    if p.i != p.s.len() {
        return Err(format!(
            "unexpected {:?} at character {} of the expression",
            &text[p.i..].chars().next().unwrap_or(' '),
            p.i + 1
        ));
    }
    Ok(e)
}

struct P<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
}

impl P<'_> {
    fn ws(&mut self) {
        while matches!(self.s.get(self.i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn expr(&mut self, depth: usize) -> Result<Expr, String> {
        if depth > MAX_DEPTH {
            return Err(format!("expression nested deeper than {MAX_DEPTH} levels"));
        }
        self.ws();
        let mut e = match self.s.get(self.i) {
            Some(b'\'') => Expr::Str(self.string()?),
            Some(b'-' | b'0'..=b'9') => self.int()?,
            Some(c) if c.is_ascii_alphabetic() || *c == b'_' => self.call(depth)?,
            Some(_) => {
                return Err(format!(
                    "unexpected {:?} at character {} of the expression",
                    &self.text[self.i..].chars().next().unwrap_or(' '),
                    self.i + 1
                ))
            }
            None => return Err("the expression ends too early".into()),
        };
        loop {
            self.ws();
            match self.s.get(self.i) {
                Some(b'.') => {
                    self.i += 1;
                    self.ws();
                    let name = self.ident();
                    if name.is_empty() {
                        return Err(format!(
                            "a property name is missing after '.' at character {}",
                            self.i
                        ));
                    }
                    e = Expr::Prop(Box::new(e), name);
                }
                Some(b'[') => {
                    self.i += 1;
                    let idx = self.expr(depth + 1)?;
                    self.ws();
                    if self.s.get(self.i) != Some(&b']') {
                        return Err(format!("expected ']' at character {}", self.i + 1));
                    }
                    self.i += 1;
                    e = Expr::Index(Box::new(e), Box::new(idx));
                }
                _ => return Ok(e),
            }
        }
    }

    fn ident(&mut self) -> String {
        let start = self.i;
        while matches!(self.s.get(self.i), Some(c) if c.is_ascii_alphanumeric() || *c == b'_' || *c == b'$')
        {
            self.i += 1;
        }
        self.text[start..self.i].to_string()
    }

    fn call(&mut self, depth: usize) -> Result<Expr, String> {
        let mut name = self.ident();
        // A user-defined function: `namespace.member(`.
        if self.s.get(self.i) == Some(&b'.') {
            let save = self.i;
            self.i += 1;
            let member = self.ident();
            self.ws();
            if !member.is_empty() && self.s.get(self.i) == Some(&b'(') {
                name = format!("{name}.{member}");
            } else {
                self.i = save;
            }
        }
        self.ws();
        if self.s.get(self.i) != Some(&b'(') {
            return Err(format!(
                "'{name}' must be a function call (expected '(' at character {})",
                self.i + 1
            ));
        }
        self.i += 1;
        let mut args = Vec::new();
        self.ws();
        if self.s.get(self.i) == Some(&b')') {
            self.i += 1;
        } else {
            loop {
                args.push(self.expr(depth + 1)?);
                self.ws();
                match self.s.get(self.i) {
                    Some(b',') => self.i += 1,
                    Some(b')') => {
                        self.i += 1;
                        break;
                    }
                    _ => {
                        return Err(format!(
                            "expected ',' or ')' in the arguments of {name}() at character {}",
                            self.i + 1
                        ))
                    }
                }
            }
        }
        Ok(Expr::Call(name.to_lowercase(), args))
    }

    fn string(&mut self) -> Result<String, String> {
        self.i += 1;
        let mut out = String::new();
        loop {
            let start = self.i;
            while matches!(self.s.get(self.i), Some(c) if *c != b'\'') {
                self.i += 1;
            }
            out.push_str(&self.text[start..self.i]);
            if self.i >= self.s.len() {
                return Err("unterminated string literal".into());
            }
            self.i += 1;
            // '' is an escaped quote.
            if self.s.get(self.i) == Some(&b'\'') {
                out.push('\'');
                self.i += 1;
            } else {
                return Ok(out);
            }
        }
    }

    fn int(&mut self) -> Result<Expr, String> {
        let start = self.i;
        if self.s[self.i] == b'-' {
            self.i += 1;
        }
        while matches!(self.s.get(self.i), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        self.text[start..self.i]
            .parse()
            .map(Expr::Int)
            .map_err(|_| format!("{:?} is not an integer", &self.text[start..self.i]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_calls_properties_and_indexes() {
        let e = parse("variables('x')[parameters('Y')].a").expect("parses");
        assert_eq!(
            e,
            Expr::Prop(
                Box::new(Expr::Index(
                    Box::new(Expr::Call("variables".into(), vec![Expr::Str("x".into())])),
                    Box::new(Expr::Call("parameters".into(), vec![Expr::Str("Y".into())]))
                )),
                "a".into()
            )
        );
        assert_eq!(
            parse("concat('it''s', -1)").expect("parses"),
            Expr::Call(
                "concat".into(),
                vec![Expr::Str("it's".into()), Expr::Int(-1)]
            )
        );
        assert!(matches!(parse("ns.fn(1)"), Ok(Expr::Call(n, _)) if n == "ns.fn"));
        assert!(parse("concat('a'").is_err());
        assert!(parse("foo").is_err());
        assert!(parse(&"f(".repeat(500)).is_err());
    }

    #[test]
    fn brackets() {
        assert_eq!(expression_text("[concat('a')]"), Some("concat('a')"));
        assert_eq!(expression_text("[[literal]"), None);
        assert_eq!(literal("[[literal]"), "[literal]");
        assert_eq!(expression_text("plain"), None);
    }
}
