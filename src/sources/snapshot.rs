//! Saved Resource Graph results: a response body (`{"totalRecords", "count", "data": […],
//! "$skipToken"?}`), a JSON array of rows, or NDJSON (one row per line), told apart by content.

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{name_from_id, Estate, Origin, RawRow, Resource, SourceGap};
use crate::error::{Error, Result};
use crate::text::read::Text;

/// Reads one snapshot file into `estate`.
pub(crate) fn load_file(path: &Path, estate: &mut Estate) -> Result<()> {
    let name = if path.as_os_str() == "-" {
        "standard input".to_string()
    } else {
        path.display().to_string()
    };
    // A pipe is read too: `--snapshot <(zcat estate.json.gz)`.
    let text = crate::text::read::stream_text(path).map_err(|cause| Error::Read {
        path: name.clone(),
        cause,
    })?;
    load_text(&name, text, estate)
}

/// A Resource Graph response body, one page or several pages' rows merged; `D` is what its
/// rows are read as.
#[derive(Deserialize)]
#[serde(bound(deserialize = "D: Deserialize<'de>"))]
struct Body<D> {
    data: Option<D>,
    #[serde(rename = "$skipToken")]
    skip_token: Option<String>,
    #[serde(rename = "resultTruncated")]
    result_truncated: Option<serde_json::Value>,
    #[serde(rename = "totalRecords")]
    total_records: Option<u64>,
    /// Written by `kensa collect`: what the live read could not cover.
    kensa: Option<CollectMeta>,
}

#[derive(Deserialize)]
struct CollectMeta {
    #[serde(default)]
    gaps: Vec<SourceGap>,
}

/// The fields every row must carry; everything else stays raw.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
}

/// Rows read between two releases of a mapped snapshot's pages (a few MB).
const RELEASE_ROWS: usize = 8192;

pub(crate) fn load_text(file: &str, text: Text, estate: &mut Estate) -> Result<()> {
    let buf = Arc::new(text);
    let body = buf.trim_start_matches('\u{feff}');
    let rows: Vec<&RawValue> =
        match body.trim_start().chars().next() {
            None => return Err(Error::input(
                file,
                "empty file: expected a Resource Graph response, a JSON array of rows or NDJSON",
            )),
            Some('[') => serde_json::from_str(body).map_err(|e| json_error(file, body, &e))?,
            Some('{') => objects(file, (body, &buf), estate)?,
            Some(_) => {
                let at = body.len() - body.trim_start().len();
                return Err(Error::input_at(
                    file,
                    body,
                    at,
                    "not JSON: expected `{` or `[`",
                    "here",
                ));
            }
        };
    // Each pass over the text (the scan above, the rows below) touches every page of it;
    // releasing them in between keeps a mapped snapshot out of the process's memory.
    buf.release();
    let file_name: Arc<str> = Arc::from(file);
    let mut line = 1;
    let mut scanned = 0;
    estate.resources.reserve(rows.len());
    for (batch, chunk) in rows.chunks(RELEASE_ROWS).enumerate() {
        let at: Vec<(usize, usize)> = chunk
            .iter()
            .map(|row| {
                let offset = row.get().as_ptr() as usize - body.as_ptr() as usize;
                line += crate::text::newlines(&body.as_bytes()[scanned..offset]);
                scanned = offset;
                (offset, line)
            })
            .collect();
        // The rows' heads on every worker (a third of reading a large snapshot).
        let read: Vec<Result<Resource>> = chunk
            .par_iter()
            .zip(at)
            .enumerate()
            .map(|(n, (row, (offset, line)))| {
                let at = (batch * RELEASE_ROWS + n, offset, line);
                resource(&file_name, (body, &buf), at, row.get())
            })
            .collect();
        for resource in read {
            estate.resources.push(resource?);
        }
        buf.release();
    }
    estate.inputs.push(file.to_string());
    // Parsed: from now on rows are read one by one, so the pages go back to the kernel.
    buf.release();
    estate.texts.push(buf);
    Ok(())
}

/// Row `index` of snapshot `file_name`, at `offset` (on `line`) in `body` (which lies in
/// `buf`), as a resource.
fn resource(
    file_name: &Arc<str>,
    (body, buf): (&str, &Arc<Text>),
    (index, offset, line): (usize, usize, usize),
    row: &str,
) -> Result<Resource> {
    let file = &**file_name;
    let head: Head = serde_json::from_str(row).map_err(|e| {
        let at = offset + crate::text::offset_of(row, e.line(), e.column());
        Error::input_at(file, body, at, format!("row {index}: {e}"), "in this row")
    })?;
    let (Some(id), Some(kind)) = (head.id, head.kind) else {
        return Err(Error::input_at(file, body, offset, format!("row {index} has no `id` or no `type`"), "this row")
            .with_help("every row must project at least `id` and `type` (`| project id, name, type, …, properties`)"));
    };
    // Projections often drop `name`; the rules name resources in their messages, so a
    // row without one gets it from its id (a rule must never pass for want of a name).
    let (name, raw) = match head.name.filter(|n| !n.is_empty()) {
        Some(n) => (n.into_owned(), RawRow::within(buf, row)),
        None => {
            let name = name_from_id(&id).to_string();
            let mut value: serde_json::Value = serde_json::from_str(row)
                .map_err(|e| Error::input(file, format!("row {index}: {e}")))?;
            value["name"] = serde_json::Value::String(name.clone());
            (name, RawRow::owned(value.to_string()))
        }
    };
    Ok(Resource {
        key: Arc::from(id.to_lowercase()),
        id: id.into_owned(),
        kind: kind.to_lowercase(),
        name,
        raw,
        origin: Origin::Snapshot {
            file: Arc::clone(file_name),
            row: index,
            line,
        },
        located: None,
    })
}

/// A file starting with `{`: one response body, one row, or NDJSON rows.
/// `text` is what `body` lies in; its pages are released after each pass over it.
fn objects<'a>(
    file: &str,
    (body, text): (&'a str, &Text),
    estate: &mut Estate,
) -> Result<Vec<&'a RawValue>> {
    // The usual file, a response body, is read in one pass; anything else (NDJSON, one row,
    // a body to refuse, malformed JSON) again below. A pass over 260 MB takes 0.15 s.
    let mut stream = serde_json::Deserializer::from_str(body).into_iter::<Body<Vec<_>>>();
    if let Some(Ok(mut parsed)) = stream.next() {
        if let (Some(rows), None) = (parsed.data.take(), stream.next()) {
            text.release();
            estate.gaps.extend(parsed.gaps(file, rows.len()));
            return Ok(rows);
        }
    }
    text.release();
    let mut values = Vec::new();
    for value in serde_json::Deserializer::from_str(body).into_iter::<&RawValue>() {
        values.push(value.map_err(|e| json_error(file, body, &e))?);
    }
    text.release();
    if values.len() != 1 {
        return Ok(values); // NDJSON
    }
    let mut parsed: Body<&RawValue> =
        serde_json::from_str(values[0].get()).map_err(|e| json_error(file, body, &e))?;
    let Some(data) = parsed.data.take() else {
        return Ok(values); // a single row
    };
    text.release();
    let data_at = data.get().as_ptr() as usize - body.as_ptr() as usize;
    if !data.get().starts_with('[') {
        return Err(Error::input_at(file, body, data_at, "`data` is not an array of rows", "here")
            .with_help("request `\"options\": {\"resultFormat\": \"objectArray\"}`; the table format is not supported"));
    }
    let rows: Vec<&RawValue> =
        serde_json::from_str(data.get()).map_err(|e| json_error(file, body, &e))?;
    estate.gaps.extend(parsed.gaps(file, rows.len()));
    Ok(rows)
}

impl<D> Body<D> {
    /// What the body says was not read, of a file holding `rows` rows.
    fn gaps(self, file: &str, rows: usize) -> Vec<SourceGap> {
        let mut gaps = Vec::new();
        if let Some(token) = self.skip_token.filter(|t| !t.is_empty()) {
            let shown: String = token.chars().take(16).collect();
            gaps.push(SourceGap {
                source: file.to_string(),
                reason: format!(
                    "the response has a `$skipToken` ({shown}…): later pages were not read"
                ),
            });
        }
        let truncated = match &self.result_truncated {
            Some(serde_json::Value::String(s)) => s.eq_ignore_ascii_case("true"),
            Some(serde_json::Value::Bool(b)) => *b,
            _ => false,
        };
        let collected_gaps = self.kensa.map(|k| k.gaps).unwrap_or_default();
        let precise = !collected_gaps.is_empty();
        gaps.extend(collected_gaps);
        // kensa collect marks an incomplete read as truncated; its own gaps say more.
        if truncated && !precise {
            gaps.push(SourceGap {
                source: file.to_string(),
                reason: "`resultTruncated` is \"true\": the query hit a row limit".to_string(),
            });
        }
        if let Some(total) = self.total_records.filter(|t| *t > rows as u64) {
            gaps.push(SourceGap {
                source: file.to_string(),
                reason: format!("`totalRecords` is {total} but the file holds {} rows", rows),
            });
        }
        gaps
    }
}

fn json_error(file: &str, body: &str, e: &serde_json::Error) -> Error {
    let at = crate::text::offset_of(body, e.line(), e.column());
    let message = e.to_string();
    // serde_json appends " at line L column C"; the location already says so.
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_string();
    Error::input_at(file, body, at, format!("malformed JSON: {message}"), "here")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Estate> {
        let mut estate = Estate::default();
        load_text("t.json", Text::Owned(text.to_string()), &mut estate)?;
        Ok(estate)
    }

    const ROW: &str = r#"{"id":"/subscriptions/S/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/VM1","type":"microsoft.compute/virtualmachines","name":"VM1"}"#;

    #[test]
    fn response_body_array_and_ndjson_agree() {
        let body = format!(
            r#"{{"totalRecords":2,"count":2,"resultTruncated":"false","data":[{ROW},{ROW}]}}"#
        );
        let array = format!("[{ROW},\n{ROW}]");
        let ndjson = format!("{ROW}\n{ROW}\n");
        for text in [body, array, ndjson] {
            let l = load(&text).unwrap();
            assert_eq!(l.resources.len(), 2, "{text}");
            assert!(l.gaps.is_empty());
            assert_eq!(&*l.resources[1].key, "/subscriptions/s/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm1");
            assert_eq!(l.resources[0].raw.json(), ROW);
        }
    }

    #[test]
    fn skip_token_and_truncation_are_gaps() {
        let body = format!(
            r#"{{"totalRecords":5,"count":1,"resultTruncated":"true","$skipToken":"abc","data":[{ROW}]}}"#
        );
        let l = load(&body).unwrap();
        assert_eq!(l.gaps.len(), 3, "{:?}", l.gaps);
    }

    #[test]
    fn malformed_json_names_line_and_column() {
        let err = load("[\n{\"id\": \"x\", \"type\": \"t\"},\n{\"id\": }\n]").unwrap_err();
        let Error::Input(e) = &err else {
            panic!("{err:?}")
        };
        let location = &e.location;
        assert_eq!(location, "t.json:3:8");
    }

    #[test]
    fn row_without_id_is_an_error_naming_the_row() {
        let err = load("[{\"type\": \"t\"}]").unwrap_err();
        assert!(err.to_string().contains("row 0 has no `id`"), "{err}");
    }

    #[test]
    fn wrong_type_of_id_is_an_error() {
        let err = load("[\n{\"id\": 5, \"type\": \"t\"}]").unwrap_err();
        let Error::Input(e) = &err else {
            panic!("{err:?}")
        };
        let (location, message) = (&e.location, &e.message);
        assert!(location.starts_with("t.json:2:"), "{location}");
        assert!(message.contains("row 0"), "{message}");
    }

    #[test]
    fn text_after_a_response_body_is_malformed() {
        let body = format!("{{\"data\":[{ROW}]}}\n{{\"data\": ]}}");
        let err = load(&body).unwrap_err();
        let Error::Input(e) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(e.location, "t.json:2:10");
        // A row that happens to have `data` is still a row of NDJSON.
        let ndjson = format!("{{\"data\":[1],{}\n{ROW}\n", &ROW[1..]);
        assert_eq!(load(&ndjson).unwrap().resources.len(), 2);
    }

    #[test]
    fn rows_keep_their_place_across_batches() {
        let rows = RELEASE_ROWS + 2;
        let array = format!("[\n{}\n]", vec![ROW; rows].join(",\n"));
        let l = load(&array).unwrap();
        for (n, r) in l.resources.iter().enumerate() {
            let Origin::Snapshot { row, line, .. } = &r.origin else {
                panic!("{:?}", r.origin)
            };
            assert_eq!((*row, *line), (n, n + 2));
        }
        // The first bad row is the one named, wherever it lies.
        let mut bad = vec![ROW.to_string(); rows];
        bad[RELEASE_ROWS + 1] = "{\"type\": \"t\"}".into();
        bad[RELEASE_ROWS - 1] = "{\"id\": 5, \"type\": \"t\"}".into();
        let err = load(&format!("[{}]", bad.join(","))).unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("row {}", RELEASE_ROWS - 1)),
            "{err}"
        );
    }

    #[test]
    fn table_format_is_refused() {
        let err = load(r#"{"data":{"columns":[],"rows":[]}}"#).unwrap_err();
        assert!(err.to_string().contains("not an array"), "{err}");
    }
}
