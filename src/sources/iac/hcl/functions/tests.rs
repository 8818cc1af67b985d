use super::*;
use crate::sources::iac::net::{fmt_ip, parse_ipv6};
use serde_json::json;

/// Calls `name` with the elements of the JSON array `args`.
fn c(name: &str, args: Value) -> Value {
    call(name, args.as_array().expect("args must be an array")).unwrap_or_else(unknown)
}

fn reason(v: &Value) -> String {
    unknown_reason(v)
        .unwrap_or_else(|| panic!("expected unknown, got {v}"))
        .to_string()
}

fn assert_unknown(v: Value, needle: &str) {
    let r = reason(&v);
    assert!(
        r.contains(needle),
        "reason {r:?} does not contain {needle:?}"
    );
}

// ------------------------------------------------------------------ unknowns

#[test]
fn unknown_representation() {
    let u = unknown("from a resource");
    assert_eq!(u, json!({"kensa:unknown": "from a resource"}));
    assert_eq!(unknown_reason(&u), Some("from a resource"));
    assert_eq!(
        unknown_reason(&json!({"kensa:unknown": "x", "other": 1})),
        None
    );
    assert_eq!(unknown_reason(&json!("kensa:unknown")), None);
    assert!(unknown_reason(&u).is_some());
    assert_eq!(
        first_unknown_deep(&json!([1, {"a": [u]}])),
        Some("from a resource")
    );
}

#[test]
fn unknown_propagates_top_level() {
    let u1 = unknown("first");
    let u2 = unknown("second");
    assert_eq!(c("upper", json!([u1.clone()])), u1);
    assert_eq!(c("join", json!([",", u1.clone(), u2])), u1);
    assert_eq!(c("cidrsubnet", json!(["10.0.0.0/16", 8, u1.clone()])), u1);
    // unknown beats "unsupported function"
    assert_eq!(c("templatefile", json!(["a.tpl", u1.clone()])), u1);
}

#[test]
fn unknown_propagates_deep_for_whole_value_functions() {
    let u = unknown("deep");
    for f in [
        "length",
        "keys",
        "jsonencode",
        "flatten",
        "distinct",
        "toset",
        "contains",
        "sort",
        "join",
    ] {
        let args = match f {
            "contains" => json!([["a", u.clone()], "b"]),
            "join" => json!([",", ["a", u.clone()]]),
            "keys" | "jsonencode" => json!([{"a": {"b": u.clone()}}]),
            _ => json!([["a", [u.clone()]]]),
        };
        assert_eq!(reason(&c(f, args)), "deep", "{f}");
    }
}

#[test]
fn shallow_functions_keep_nested_unknowns() {
    let u = unknown("nested");
    assert_eq!(
        c("lookup", json!([{"a": u.clone(), "b": 1}, "b"])),
        json!(1)
    );
    assert_eq!(c("lookup", json!([{"a": u.clone()}, "a"])), u);
    assert_eq!(
        c("concat", json!([[u.clone()], [1]])),
        json!([u.clone(), 1])
    );
    assert_eq!(
        c("merge", json!([{"a": u.clone()}, {"b": 2}])),
        json!({"a": u.clone(), "b": 2})
    );
    assert_eq!(c("element", json!([["x", u.clone()], 0])), json!("x"));
    assert_eq!(
        c("zipmap", json!([["k"], [u.clone()]])),
        json!({"k": u.clone()})
    );
    assert_eq!(reason(&c("zipmap", json!([[u.clone()], [1]]))), "nested");
    assert_eq!(reason(&c("merge", json!([{"a": 1}, u.clone()]))), "nested");
}

#[test]
fn unsupported_and_runtime_functions() {
    assert_unknown(
        c("templatefile", json!(["x.tpl", {}])),
        "templatefile() reads files",
    );
    assert_unknown(c("file", json!(["x"])), "file() reads files");
    assert_unknown(c("filebase64", json!(["x"])), "filebase64()");
    assert_unknown(
        c("uuid", json!([])),
        "uuid() is only known when Terraform runs",
    );
    assert_unknown(c("timestamp", json!([])), "only known when Terraform runs");
    assert_unknown(c("sha256", json!(["x"])), "sha256()");
    assert_unknown(c("md5", json!(["x"])), "md5()");
    assert_unknown(
        c("provider::aws::arn_parse", json!(["x"])),
        "provider::aws::arn_parse() is a provider function",
    );
    assert_unknown(
        c("no_such_function", json!([])),
        "no_such_function() is not evaluated",
    );
    assert_unknown(c("try", json!([1])), "try()");
    assert_unknown(c("can", json!([1])), "can()");
    assert_unknown(c("regex", json!(["a", "b"])), "regex()");
}

#[test]
fn wrong_arity_is_unknown() {
    assert_unknown(
        c("upper", json!([])),
        "upper() expects 1 argument(s), got 0",
    );
    assert_unknown(c("lookup", json!([{}])), "lookup() expects 2 to 3");
    assert_unknown(c("element", json!([["a"], 1, 2])), "element()");
    assert_unknown(c("format", json!([])), "format() expects at least 1");
    assert_unknown(c("range", json!([])), "range()");
    assert_unknown(c("setsubtract", json!([["a"]])), "setsubtract()");
}

#[test]
fn wrong_types_never_panic() {
    let odd = [
        json!(null),
        json!(true),
        json!(-1.5),
        json!("s"),
        json!([1, [2]]),
        json!({"a": {"b": null}}),
        json!(1e300),
    ];
    let names = [
        "lookup",
        "merge",
        "concat",
        "flatten",
        "distinct",
        "keys",
        "values",
        "length",
        "contains",
        "coalesce",
        "coalescelist",
        "tostring",
        "tonumber",
        "tobool",
        "toset",
        "tolist",
        "tomap",
        "format",
        "formatlist",
        "join",
        "split",
        "replace",
        "lower",
        "upper",
        "title",
        "trimspace",
        "trim",
        "trimprefix",
        "trimsuffix",
        "substr",
        "element",
        "index",
        "zipmap",
        "range",
        "cidrsubnet",
        "cidrhost",
        "cidrnetmask",
        "jsonencode",
        "jsondecode",
        "abs",
        "ceil",
        "floor",
        "max",
        "min",
        "one",
        "slice",
        "reverse",
        "sort",
        "setunion",
        "setintersection",
        "setsubtract",
        "startswith",
        "endswith",
        "strcontains",
        "compact",
        "chunklist",
        "transpose",
        "matchkeys",
        "alltrue",
        "anytrue",
        "sum",
        "base64encode",
        "base64decode",
        "indent",
        "pow",
        "parseint",
        "signum",
        "strrev",
        "chomp",
    ];
    for n in names {
        for x in &odd {
            for y in &odd {
                for args in [
                    vec![],
                    vec![x.clone()],
                    vec![x.clone(), y.clone()],
                    vec![x.clone(), y.clone(), x.clone()],
                ] {
                    let _ = call(n, &args);
                }
            }
        }
    }
    assert_unknown(c("element", json!(["ab", 1])), "element() expects a list");
    assert_unknown(c("keys", json!([["a"]])), "keys() expects a map");
    assert_unknown(c("upper", json!([["a"]])), "upper() expects a string");
    assert_unknown(c("abs", json!(["x"])), "abs() cannot convert");
    assert_unknown(c("length", json!([5])), "length()");
    assert_unknown(c("length", json!([null])), "length()");
}

// ------------------------------------------------------------------ maps and lists

#[test]
fn lookup() {
    assert_eq!(c("lookup", json!([{"a": "x"}, "a"])), json!("x"));
    assert_eq!(c("lookup", json!([{"a": "x"}, "b", "d"])), json!("d"));
    assert_eq!(c("lookup", json!([{"a": "x"}, "a", "d"])), json!("x"));
    assert_eq!(c("lookup", json!([{"1": "one"}, 1])), json!("one"));
    assert_eq!(c("lookup", json!([{"a": null}, "a", "d"])), json!(null));
    assert_unknown(
        c("lookup", json!([{"a": "x"}, "b"])),
        "lookup() found no key",
    );
    assert_unknown(
        c("lookup", json!([["a"], "b", 1])),
        "lookup() expects a map",
    );
}

#[test]
fn merge() {
    assert_eq!(
        c(
            "merge",
            json!([{"a": 1, "b": 2}, {"b": 3}, null, {"c": [1]}])
        ),
        json!({"a": 1, "b": 3, "c": [1]})
    );
    assert_eq!(c("merge", json!([])), json!({}));
    assert_unknown(c("merge", json!([{"a": 1}, ["x"]])), "merge() expects maps");
}

#[test]
fn concat_and_flatten() {
    assert_eq!(
        c("concat", json!([["a"], [], ["b", "c"]])),
        json!(["a", "b", "c"])
    );
    assert_eq!(c("concat", json!([])), json!([]));
    assert_unknown(c("concat", json!([["a"], "b"])), "concat() expects a list");
    assert_eq!(c("flatten", json!([[[1, [2]], 3]])), json!([1, 2, 3]));
    assert_eq!(
        c("flatten", json!([[[], [[[]]], ["a", {"m": [1]}]]])),
        json!(["a", {"m": [1]}])
    );
    assert_unknown(c("flatten", json!(["a"])), "flatten() expects a list");
}

#[test]
fn distinct_keys_values_length() {
    assert_eq!(
        c("distinct", json!([["a", "b", "a", 1, 1.0, [1], [1]]])),
        json!(["a", "b", 1, [1]])
    );
    assert_eq!(
        c("keys", json!([{"b": 1, "a": 2, "C": 3}])),
        json!(["C", "a", "b"])
    );
    assert_eq!(c("values", json!([{"b": 1, "a": 2}])), json!([2, 1]));
    assert_eq!(c("keys", json!([{}])), json!([]));
    assert_eq!(c("length", json!(["héllo"])), json!(5));
    assert_eq!(c("length", json!([""])), json!(0));
    assert_eq!(c("length", json!([[1, 2, 3]])), json!(3));
    assert_eq!(c("length", json!([{"a": 1}])), json!(1));
}

#[test]
fn contains_index() {
    assert!(c("contains", json!([["a", "b"], "b"])) == json!(true));
    assert_eq!(c("contains", json!([["a", "b"], "c"])), json!(false));
    assert_eq!(c("contains", json!([["22", "3389"], 22])), json!(true));
    assert_eq!(c("contains", json!([[1, 2], 2.0])), json!(true));
    assert_eq!(c("contains", json!([[{"a": 1}], {"a": 1}])), json!(true));
    assert_eq!(c("index", json!([["a", "b", "c"], "b"])), json!(1));
    assert_unknown(c("index", json!([["a"], "z"])), "index() item not found");
}

#[test]
fn coalesce() {
    assert_eq!(c("coalesce", json!([null, "", "b", "c"])), json!("b"));
    assert_eq!(c("coalesce", json!([1, 2])), json!(1));
    assert_eq!(c("coalesce", json!([null, 3, "x"])), json!("3"));
    assert_unknown(
        c("coalesce", json!([null, ""])),
        "coalesce() has no non-null",
    );
    assert_eq!(c("coalescelist", json!([[], ["a"], ["b"]])), json!(["a"]));
    assert_unknown(c("coalescelist", json!([[], []])), "coalescelist()");
    assert_unknown(
        c("coalescelist", json!(["a"])),
        "coalescelist() expects a list",
    );
}

#[test]
fn conversions() {
    assert_eq!(c("tostring", json!([5])), json!("5"));
    assert_eq!(c("tostring", json!([1.5])), json!("1.5"));
    assert_eq!(c("tostring", json!([true])), json!("true"));
    assert_eq!(c("tostring", json!([null])), json!(null));
    assert_unknown(c("tostring", json!([[1]])), "tostring()");
    assert_eq!(c("tonumber", json!(["42"])), json!(42));
    assert_eq!(c("tonumber", json!(["2.50"])), json!(2.5));
    assert_eq!(c("tonumber", json!([3.0])), json!(3));
    assert_unknown(c("tonumber", json!(["x"])), "tonumber()");
    assert_unknown(c("tonumber", json!(["inf"])), "tonumber()");
    assert_eq!(c("tobool", json!(["true"])), json!(true));
    assert_eq!(c("tobool", json!([false])), json!(false));
    assert_unknown(c("tobool", json!(["yes"])), "tobool()");
    assert_eq!(
        c("toset", json!([["b", "a", "b", "c"]])),
        json!(["a", "b", "c"])
    );
    assert_eq!(c("toset", json!([["b", 1, "1"]])), json!(["1", "b"]));
    assert_eq!(c("toset", json!([[10, 9, 10]])), json!([9, 10]));
    assert_eq!(c("tolist", json!([["a", 1]])), json!(["a", "1"]));
    assert_unknown(c("tolist", json!([{"a": 1}])), "tolist() expects a list");
    assert_eq!(
        c("tomap", json!([{"a": 1, "b": "x"}])),
        json!({"a": "1", "b": "x"})
    );
    assert_unknown(c("tomap", json!([["a"]])), "tomap() expects a map");
    assert_eq!(c("sensitive", json!(["s"])), json!("s"));
}

// ------------------------------------------------------------------ strings

#[test]
fn format() {
    assert_eq!(c("format", json!(["%03d-%s", 7, "x"])), json!("007-x"));
    assert_eq!(
        c("format", json!(["Hello, %s!", "Ander"])),
        json!("Hello, Ander!")
    );
    assert_eq!(c("format", json!(["%d%%", 50])), json!("50%"));
    assert_eq!(
        c("format", json!(["%5s|%-5s|", "ab", "cd"])),
        json!("   ab|cd   |")
    );
    assert_eq!(
        c("format", json!(["%v %v %v", "s", 2, [1, "a"]])),
        json!("s 2 [1,\"a\"]")
    );
    assert_eq!(c("format", json!(["%q", "a\"b"])), json!("\"a\\\"b\""));
    assert_eq!(c("format", json!(["%.2f", 1.23456])), json!("1.23"));
    assert_eq!(c("format", json!(["%05d", -42])), json!("-0042"));
    assert_eq!(
        c("format", json!(["%+d %x %X %o %b", 5, 255, 255, 8, 5])),
        json!("+5 ff FF 10 101")
    );
    assert_eq!(c("format", json!(["%[2]s-%[1]s", "a", "b"])), json!("b-a"));
    assert_eq!(c("format", json!(["%d", "12"])), json!("12"));
    assert_eq!(c("format", json!(["%s", 1.5])), json!("1.5"));
    assert_eq!(c("format", json!(["%.3s", "abcdef"])), json!("abc"));
    assert_eq!(c("format", json!(["%t", true])), json!("true"));
    assert_eq!(c("format", json!(["no verbs"])), json!("no verbs"));
    assert_unknown(
        c("format", json!(["%d", 1.5])),
        "format() %d expects a whole number",
    );
    assert_unknown(
        c("format", json!(["%s %s", "a"])),
        "format() has not enough arguments",
    );
    assert_unknown(
        c("format", json!(["%s", "a", "b"])),
        "format() has too many arguments",
    );
    assert_unknown(c("format", json!(["%s", ["a"]])), "format()");
    assert_unknown(
        c("format", json!(["%s", null])),
        "format() cannot format null",
    );
    assert_unknown(
        c("format", json!(["%z", 1])),
        "format() has unsupported verb %z",
    );
    assert_unknown(c("format", json!(["abc %"])), "format()");
    assert_unknown(c("format", json!(["%999999999d", 1])), "result too large");
}

#[test]
fn formatlist() {
    assert_eq!(
        c("formatlist", json!(["%s-%d", ["a", "b"], 1])),
        json!(["a-1", "b-1"])
    );
    assert_eq!(
        c("formatlist", json!(["%s=%s", ["a", "b"], ["x", "y"]])),
        json!(["a=x", "b=y"])
    );
    assert_eq!(c("formatlist", json!(["%s", []])), json!([]));
    assert_eq!(c("formatlist", json!(["x%s", "y"])), json!(["xy"]));
    assert_unknown(
        c("formatlist", json!(["%s%s", ["a"], ["b", "c"]])),
        "same length",
    );
}

#[test]
fn join_split() {
    assert_eq!(c("join", json!([", ", ["a", "b", "c"]])), json!("a, b, c"));
    assert_eq!(c("join", json!(["-", ["a"], [1, true]])), json!("a-1-true"));
    assert_eq!(c("join", json!([",", []])), json!(""));
    assert_unknown(c("join", json!([",", ["a", null]])), "join()");
    assert_unknown(c("join", json!([",", [["a"]]])), "join()");
    assert_eq!(
        c("split", json!([",", "a,b,,c"])),
        json!(["a", "b", "", "c"])
    );
    assert_eq!(c("split", json!([",", ""])), json!([""]));
    assert_eq!(c("split", json!(["", "ab"])), json!(["a", "b"]));
}

#[test]
fn replace() {
    assert_eq!(
        c("replace", json!(["1 + 2 + 3", "+", "-"])),
        json!("1 - 2 - 3")
    );
    assert_eq!(c("replace", json!(["hello", "x", "y"])), json!("hello"));
    assert_eq!(c("replace", json!(["/path/", "/", "_"])), json!("_path_"));
    // not /slashed/: a plain string even if it looks like a regex (terraform-azurerm-windows-vm locals.tf:10)
    assert_eq!(
        c("replace", json!(["a&b&[^#]", "&[^#]", "&#38;"])),
        json!("a&b&#38;")
    );
    assert_unknown(
        c("replace", json!(["hello world", "/w.*d/", "everybody"])),
        "regex replace is not evaluated",
    );
    assert_unknown(c("replace", json!([["a"], "a", "b"])), "replace()");
}

#[test]
fn case_and_trim() {
    assert_eq!(c("lower", json!(["HeLLo"])), json!("hello"));
    assert_eq!(c("upper", json!(["héllo"])), json!("HÉLLO"));
    assert_eq!(
        c("title", json!(["hello world-wide web_x"])),
        json!("Hello World-Wide Web_x")
    );
    assert_eq!(c("trimspace", json!(["  \n hi \t"])), json!("hi"));
    assert_eq!(c("trim", json!(["?!hello?!", "!?"])), json!("hello"));
    assert_eq!(
        c("trimprefix", json!(["helloworld", "hello"])),
        json!("world")
    );
    assert_eq!(
        c("trimprefix", json!(["hellohello", "hello"])),
        json!("hello")
    );
    assert_eq!(
        c("trimsuffix", json!(["helloworld", "world"])),
        json!("hello")
    );
    assert_eq!(c("trimsuffix", json!(["hello", "x"])), json!("hello"));
    assert_eq!(c("chomp", json!(["a\r\n\n"])), json!("a"));
    assert_eq!(c("strrev", json!(["abc"])), json!("cba"));
    assert_eq!(c("indent", json!([2, "a\nb"])), json!("a\n  b"));
}

#[test]
fn substr() {
    assert_eq!(c("substr", json!(["hello world", 1, 4])), json!("ello"));
    assert_eq!(c("substr", json!(["hello", -3, -1])), json!("llo"));
    assert_eq!(c("substr", json!(["hello", 0, 100])), json!("hello"));
    assert_eq!(c("substr", json!(["hello", 10, 2])), json!(""));
    assert_eq!(c("substr", json!(["hello", -10, 2])), json!("he"));
    assert_eq!(c("substr", json!(["héllo", 1, 1])), json!("é"));
    assert_unknown(
        c("substr", json!(["hello", 1.5, 1])),
        "substr() expects a whole number",
    );
}

#[test]
fn string_predicates() {
    assert_eq!(c("startswith", json!(["hello", "he"])), json!(true));
    assert_eq!(c("startswith", json!(["hello", "lo"])), json!(false));
    assert_eq!(c("endswith", json!(["hello", "lo"])), json!(true));
    assert_eq!(c("strcontains", json!(["hello", "ell"])), json!(true));
    assert_eq!(c("strcontains", json!(["hello", "x"])), json!(false));
    assert_unknown(c("startswith", json!([null, "a"])), "startswith()");
}

// ------------------------------------------------------------------ collections

#[test]
fn element() {
    assert_eq!(c("element", json!([["a", "b"], 3])), json!("b"));
    assert_eq!(c("element", json!([["a", "b", "c"], 1])), json!("b"));
    assert_eq!(c("element", json!([["a", "b"], "0"])), json!("a"));
    assert_unknown(
        c("element", json!([[], 0])),
        "element() cannot be used with an empty list",
    );
    assert_unknown(c("element", json!([["a"], -1])), "negative index");
    assert_unknown(
        c("element", json!([{"a": 1}, 0])),
        "element() expects a list",
    );
}

#[test]
fn zipmap() {
    assert_eq!(
        c("zipmap", json!([["a", "b"], [1, 2]])),
        json!({"a": 1, "b": 2})
    );
    assert_eq!(c("zipmap", json!([[], []])), json!({}));
    assert_unknown(c("zipmap", json!([["a"], [1, 2]])), "zipmap()");
}

#[test]
fn range() {
    assert_eq!(c("range", json!([3])), json!([0, 1, 2]));
    assert_eq!(c("range", json!([1, 4])), json!([1, 2, 3]));
    assert_eq!(c("range", json!([4, 1])), json!([4, 3, 2]));
    assert_eq!(c("range", json!([0, 10, 3])), json!([0, 3, 6, 9]));
    assert_eq!(c("range", json!([0, 1, 0.25])), json!([0, 0.25, 0.5, 0.75]));
    assert_eq!(c("range", json!([0])), json!([]));
    assert_eq!(c("range", json!([1, 4, -1])), json!([]));
    assert_eq!(
        c("range", json!([10000])).as_array().map(Vec::len),
        Some(10000)
    );
    assert_unknown(c("range", json!([10001])), "result too large");
    assert_unknown(c("range", json!([0, 1e18, 1])), "result too large");
    assert_unknown(
        c("range", json!([0, 5, 0])),
        "range() step must not be zero",
    );
}

#[test]
fn one_slice_reverse_sort() {
    assert_eq!(c("one", json!([[]])), json!(null));
    assert_eq!(c("one", json!([["a"]])), json!("a"));
    assert_eq!(c("one", json!([null])), json!(null));
    assert_unknown(c("one", json!([["a", "b"]])), "one()");
    assert_eq!(
        c("slice", json!([["a", "b", "c", "d"], 1, 3])),
        json!(["b", "c"])
    );
    assert_eq!(c("slice", json!([["a"], 1, 1])), json!([]));
    assert_unknown(c("slice", json!([["a"], 0, 2])), "slice() indexes 0..2");
    assert_unknown(c("slice", json!([["a", "b"], 2, 1])), "slice()");
    assert_eq!(c("reverse", json!([[1, 2, 3]])), json!([3, 2, 1]));
    assert_eq!(
        c("sort", json!([["e", "d", "a", "x"]])),
        json!(["a", "d", "e", "x"])
    );
    assert_eq!(c("sort", json!([[11, 3]])), json!(["11", "3"]));
    assert_unknown(c("sort", json!([[["a"]]])), "sort()");
}

#[test]
fn sets() {
    assert_eq!(
        c("setunion", json!([["a", "b"], ["b", "c"], ["d"]])),
        json!(["a", "b", "c", "d"])
    );
    assert_eq!(
        c(
            "setintersection",
            json!([["a", "b", "c"], ["b", "c", "d"], ["c", "b"]])
        ),
        json!(["b", "c"])
    );
    assert_eq!(
        c("setsubtract", json!([["a", "b", "c"], ["a", "c"]])),
        json!(["b"])
    );
    assert_eq!(c("setunion", json!([[3, 1], [2]])), json!([1, 2, 3]));
    assert_eq!(c("setintersection", json!([["22"], [22]])), json!(["22"]));
    assert_unknown(
        c("setunion", json!([["a"], "b"])),
        "setunion() expects a list",
    );
}

#[test]
fn compact_chunklist() {
    assert_eq!(
        c("compact", json!([["a", "", "b", null, "c"]])),
        json!(["a", "b", "c"])
    );
    assert_eq!(c("compact", json!([[]])), json!([]));
    assert_unknown(c("compact", json!([[["a"]]])), "compact()");
    assert_eq!(
        c("chunklist", json!([["a", "b", "c", "d", "e"], 2])),
        json!([["a", "b"], ["c", "d"], ["e"]])
    );
    assert_eq!(c("chunklist", json!([["a", "b"], 0])), json!([["a", "b"]]));
    assert_eq!(c("chunklist", json!([[], 3])), json!([]));
    assert_unknown(c("chunklist", json!([["a"], -1])), "chunklist()");
}

#[test]
fn transpose_matchkeys() {
    assert_eq!(
        c("transpose", json!([{"a": ["1", "2"], "b": ["2", "3"]}])),
        json!({"1": ["a"], "2": ["a", "b"], "3": ["b"]})
    );
    assert_unknown(c("transpose", json!([{"a": "1"}])), "transpose()");
    assert_eq!(
        c(
            "matchkeys",
            json!([
                ["i-123", "i-abc", "i-def"],
                ["us-west", "us-east", "us-east"],
                ["us-east"]
            ])
        ),
        json!(["i-abc", "i-def"])
    );
    assert_unknown(c("matchkeys", json!([["a"], [], []])), "matchkeys()");
}

#[test]
fn bool_aggregates_and_sum() {
    assert_eq!(c("alltrue", json!([[true, "true"]])), json!(true));
    assert_eq!(c("alltrue", json!([[true, false]])), json!(false));
    assert_eq!(c("alltrue", json!([[]])), json!(true));
    assert_eq!(c("anytrue", json!([[false, true]])), json!(true));
    assert_eq!(c("anytrue", json!([[]])), json!(false));
    assert_unknown(c("anytrue", json!([[1]])), "anytrue()");
    assert_eq!(c("sum", json!([[1, 2, 3.5]])), json!(6.5));
    assert_eq!(c("sum", json!([[1.5, 1.5]])), json!(3));
    assert_unknown(c("sum", json!([[]])), "sum()");
    assert_unknown(c("sum", json!([["a"]])), "sum()");
}

// ------------------------------------------------------------------ numbers

#[test]
fn numbers() {
    assert_eq!(c("abs", json!([-3])), json!(3));
    assert_eq!(c("abs", json!([-1.5])), json!(1.5));
    assert_eq!(c("ceil", json!([4.1])), json!(5));
    assert_eq!(c("floor", json!([-4.1])), json!(-5));
    assert_eq!(c("floor", json!(["4.9"])), json!(4));
    assert_eq!(c("max", json!([12, 54, 3])), json!(54));
    assert_eq!(c("min", json!([12, 54, 3])), json!(3));
    assert_eq!(c("max", json!([1.5, "2"])), json!(2));
    assert_unknown(c("max", json!([])), "max()");
    assert_eq!(c("pow", json!([2, 10])), json!(1024));
    assert_eq!(c("signum", json!([-7])), json!(-1));
    assert_eq!(c("parseint", json!(["ff", 16])), json!(255));
    assert_unknown(c("parseint", json!(["zz", 10])), "parseint()");
    assert_unknown(c("pow", json!([10, 400])), "not a finite number");
}

// ------------------------------------------------------------------ networking

#[test]
fn cidrsubnet() {
    assert_eq!(
        c("cidrsubnet", json!(["10.0.0.0/16", 8, 2])),
        json!("10.0.2.0/24")
    );
    assert_eq!(
        c("cidrsubnet", json!(["172.16.0.0/12", 4, 2])),
        json!("172.18.0.0/16")
    );
    assert_eq!(
        c("cidrsubnet", json!(["10.1.2.0/24", 4, 15])),
        json!("10.1.2.240/28")
    );
    assert_eq!(
        c("cidrsubnet", json!(["10.0.0.0/8", 0, 0])),
        json!("10.0.0.0/8")
    );
    assert_eq!(
        c("cidrsubnet", json!(["10.0.5.9/16", 8, "3"])),
        json!("10.0.3.0/24")
    );
    // newbits are appended after the /56 prefix: netnum 162 = 0x00a2 spans bits 56..72,
    // i.e. the low byte of the 4th group (00) and the high byte of the 5th (a2 -> a200).
    assert_eq!(
        c("cidrsubnet", json!(["fd00:fd12:3456:7890::/56", 16, 162])),
        json!("fd00:fd12:3456:7800:a200::/72")
    );
    assert_eq!(
        c("cidrsubnet", json!(["2001:db8::/32", 16, 1])),
        json!("2001:db8:1::/48")
    );
    assert_eq!(c("cidrsubnet", json!(["::/0", 0, 0])), json!("::/0"));
    assert_unknown(
        c("cidrsubnet", json!(["10.0.0.0/16", 8, 256])),
        "does not accommodate a subnet numbered 256",
    );
    assert_unknown(
        c("cidrsubnet", json!(["10.0.0.0/30", 8, 0])),
        "cannot extend a prefix of 30 bits by 8 bits",
    );
    assert_unknown(
        c("cidrsubnet", json!(["10.0.0.0", 8, 0])),
        "invalid CIDR address",
    );
    assert_unknown(
        c("cidrsubnet", json!(["10.0.0.256/16", 8, 0])),
        "invalid CIDR",
    );
    assert_unknown(
        c("cidrsubnet", json!(["10.0.0.0/33", 1, 0])),
        "invalid CIDR",
    );
    assert_unknown(c("cidrsubnet", json!(["1::2::3/64", 1, 0])), "invalid CIDR");
    assert_unknown(
        c("cidrsubnet", json!(["10.0.0.0/16", -1, 0])),
        "cidrsubnet()",
    );
    assert_unknown(
        c("cidrsubnet", json!(["10.0.0.0/16", 8, -1])),
        "cidrsubnet()",
    );
}

#[test]
fn cidrhost_and_netmask() {
    assert_eq!(
        c("cidrhost", json!(["10.12.112.0/20", 16])),
        json!("10.12.112.16")
    );
    assert_eq!(
        c("cidrhost", json!(["10.12.112.0/20", 268])),
        json!("10.12.113.12")
    );
    assert_eq!(
        c("cidrhost", json!(["10.0.0.0/24", -1])),
        json!("10.0.0.255")
    );
    assert_eq!(c("cidrhost", json!(["10.0.0.7/32", 0])), json!("10.0.0.7"));
    assert_eq!(
        c("cidrhost", json!(["fd00:fd12:3456:7890:00a2::/72", 34])),
        json!("fd00:fd12:3456:7890::22")
    );
    assert_eq!(
        c("cidrhost", json!(["2001:db8::/64", -1])),
        json!("2001:db8::ffff:ffff:ffff:ffff")
    );
    assert_unknown(
        c("cidrhost", json!(["10.0.0.0/24", 256])),
        "does not accommodate a host numbered 256",
    );
    assert_unknown(c("cidrhost", json!(["10.0.0.0/24", -257])), "cidrhost()");
    assert_eq!(
        c("cidrhost", json!(["::/0", -1])),
        json!("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")
    );
    assert_eq!(
        c("cidrhost", json!(["8000::/1", -1])),
        json!("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")
    );
    assert_eq!(
        c(
            "cidrhost",
            json!(["::/1", "170141183460469231731687303715884105727"])
        ),
        json!("7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")
    );
    assert_eq!(
        c("cidrnetmask", json!(["172.16.0.0/12"])),
        json!("255.240.0.0")
    );
    assert_eq!(c("cidrnetmask", json!(["0.0.0.0/0"])), json!("0.0.0.0"));
    assert_eq!(
        c("cidrnetmask", json!(["10.0.0.1/32"])),
        json!("255.255.255.255")
    );
    assert_unknown(c("cidrnetmask", json!(["fd00::/8"])), "only supports IPv4");
}

#[test]
fn ipv6_formatting() {
    assert_eq!(
        fmt_ip(parse_ipv6("2001:db8:0:0:1:0:0:1").unwrap(), 128),
        "2001:db8::1:0:0:1"
    );
    assert_eq!(
        fmt_ip(parse_ipv6("2001:0db8:0:1:1:1:1:1").unwrap(), 128),
        "2001:db8:0:1:1:1:1:1"
    );
    assert_eq!(fmt_ip(parse_ipv6("::1").unwrap(), 128), "::1");
    assert_eq!(fmt_ip(parse_ipv6("1::").unwrap(), 128), "1::");
    assert_eq!(
        fmt_ip(parse_ipv6("::ffff:10.0.0.1").unwrap(), 128),
        "::ffff:a00:1"
    );
    assert_eq!(parse_ipv6("1:2:3:4:5:6:7:8:9"), None);
    assert_eq!(parse_ipv6("12345::"), None);
}

// ------------------------------------------------------------------ JSON and base64

#[test]
fn jsonencode() {
    assert_eq!(
        c("jsonencode", json!([{"b": 1, "a": [true, null]}])),
        json!("{\"a\":[true,null],\"b\":1}")
    );
    assert_eq!(
        c("jsonencode", json!(["a<b>&\n"])),
        json!("\"a\\u003cb\\u003e\\u0026\\n\"")
    );
    assert_eq!(c("jsonencode", json!([2.0])), json!("2"));
    assert_eq!(c("jsonencode", json!([0.5])), json!("0.5"));
    assert_eq!(c("jsonencode", json!([null])), json!("null"));
    assert_eq!(
        c("jsonencode", json!([{"z": {"y": 1, "x": 2}}])),
        json!("{\"z\":{\"x\":2,\"y\":1}}")
    );
}

#[test]
fn jsondecode() {
    assert_eq!(
        c("jsondecode", json!(["{\"hello\": \"world\", \"n\": 2.0}"])),
        json!({"hello": "world", "n": 2})
    );
    assert_eq!(c("jsondecode", json!(["true"])), json!(true));
    assert_eq!(c("jsondecode", json!(["[1, 2.5]"])), json!([1, 2.5]));
    assert_unknown(
        c("jsondecode", json!(["{nope"])),
        "jsondecode() cannot parse JSON",
    );
}

#[test]
fn base64() {
    assert_eq!(
        c("base64encode", json!(["Hello World"])),
        json!("SGVsbG8gV29ybGQ=")
    );
    assert_eq!(c("base64encode", json!([""])), json!(""));
    assert_eq!(c("base64encode", json!(["ab"])), json!("YWI="));
    assert_eq!(
        c("base64decode", json!(["SGVsbG8gV29ybGQ="])),
        json!("Hello World")
    );
    assert_eq!(c("base64decode", json!(["YWI="])), json!("ab"));
    assert_eq!(c("base64decode", json!(["YQ=="])), json!("a"));
    assert_unknown(c("base64decode", json!(["YQ="])), "base64decode()");
    assert_unknown(c("base64decode", json!(["Y=Q="])), "base64decode()");
    assert_unknown(c("base64decode", json!(["/w=="])), "not valid UTF-8");
}

// ------------------------------------------------------------------ bounds

#[test]
fn results_are_bounded() {
    let big = "x".repeat(600_000);
    assert_unknown(
        c("join", json!([",", [big.clone(), big.clone()]])),
        "result too large",
    );
    assert_unknown(
        c("replace", json!([big.clone(), "x", "yy"])),
        "result too large",
    );
    assert_unknown(
        c("replace", json!(["abc", "", big.clone()])),
        "result too large",
    );
    assert_unknown(
        c("format", json!(["%s%s", big.clone(), big.clone()])),
        "result too large",
    );
    let many: Vec<Value> = (0..60_000).map(Value::from).collect();
    assert_unknown(
        c("concat", json!([many.clone(), many.clone()])),
        "result too large",
    );
    assert_unknown(
        c("flatten", json!([[many.clone(), many.clone()]])),
        "result too large",
    );
    let s = "y".repeat(400);
    let rows: Vec<Value> = (0..50_000).map(|_| json!(s)).collect();
    assert_unknown(c("formatlist", json!(["%s", rows])), "result too large");
    assert_unknown(
        c("indent", json!([1_000_000, "a\nb\nc"])),
        "result too large",
    );
    assert_unknown(c("indent", json!([1e15, "no newline"])), "result too large");
    assert_unknown(
        c("split", json!(["", "z".repeat(200_000)])),
        "result too large",
    );
    assert_unknown(
        c("base64encode", json!([big.clone() + &big])),
        "result too large",
    );
    assert_eq!(c("length", json!([big])), json!(600_000));
}
