//! Functions about the deployment: parameters, variables, copy loops, `reference()`,
//! resource ids and the scope objects (`resourceGroup()`, `subscription()`…).

use serde_json::{json, Value};

use super::{arity, int, s};
use crate::sources::iac::expr::{text, Context, EvalResult, ExprError, LINK_BASE, SUBSCRIPTION_ID};

pub(super) const NAMES: &[&str] = &[
    "parameters",
    "variables",
    "reference",
    "copyindex",
    "resourceid",
    "subscriptionresourceid",
    "tenantresourceid",
    "extensionresourceid",
    "resourcegroup",
    "subscription",
    "deployment",
    "environment",
];

pub(super) fn call(name: &str, a: &[Value], cx: &dyn Context) -> EvalResult {
    Ok(match name {
        "parameters" => {
            arity(name, a, 1, 1)?;
            cx.parameter(s(name, &a[0])?)?
        }
        "variables" => {
            arity(name, a, 1, 1)?;
            cx.variable(s(name, &a[0])?)?
        }
        "reference" => {
            arity(name, a, 1, 3)?;
            let full = a
                .get(2)
                .and_then(Value::as_str)
                .is_some_and(|f| f.eq_ignore_ascii_case("full"));
            cx.reference(s(name, &a[0])?, full)
        }
        "copyindex" => {
            arity(name, a, 0, 2)?;
            let (loop_name, offset) = match a {
                [] => (None, 0),
                [Value::String(l)] => (Some(l.as_str()), 0),
                [o] => (None, int(name, o)?),
                [o, Value::String(l)] | [Value::String(l), o] => (Some(l.as_str()), int(name, o)?),
                _ => return Err("copyIndex() takes an offset and/or a loop name".into()),
            };
            let i = cx.copy_index(loop_name)?;
            match i.as_i64() {
                Some(i) => json!(i + offset),
                None => i,
            }
        }
        "resourceid" => Value::String(resource_id(a, cx.resource_group())?),
        "subscriptionresourceid" => {
            let (scope, rest) = match a.first().and_then(Value::as_str) {
                Some(t) if !t.contains('/') && a.len() > 2 => (t.to_string(), &a[1..]),
                _ => (SUBSCRIPTION_ID.to_string(), a),
            };
            Value::String(format!("/subscriptions/{scope}{}", provider_path(rest)?))
        }
        "tenantresourceid" => Value::String(provider_path(a)?),
        "extensionresourceid" => {
            if a.len() < 3 {
                return Err("extensionResourceId() needs a scope, a type and a name".into());
            }
            Value::String(format!("{}{}", s(name, &a[0])?, provider_path(&a[1..])?))
        }
        "resourcegroup" => {
            // `resourceGroup('name')` or `resourceGroup('subscription', 'name')`: another group.
            let rg = match a.last() {
                Some(v) => s(name, v)?.to_string(),
                None => cx.resource_group().to_string(),
            };
            json!({
                "id": format!("/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{rg}"),
                "name": rg,
                "type": "Microsoft.Resources/resourceGroups",
                "location": "resourcegroup-location",
                "properties": {"provisioningState": "Succeeded"},
                "tags": {},
            })
        }
        "subscription" => json!({
            "id": format!("/subscriptions/{SUBSCRIPTION_ID}"),
            "subscriptionId": SUBSCRIPTION_ID,
            "tenantId": SUBSCRIPTION_ID,
            "displayName": "subscription",
        }),
        // The template's own link is a placeholder in its folder, so that
        // `uri(deployment().properties.templateLink.uri, 'nested/x.json')` names a file
        // beside it (see arm::LINK_BASE).
        "deployment" => json!({
            "name": "kensa-iac",
            "location": "deployment-location",
            "properties": {"templateLink": {"uri": format!("{LINK_BASE}template.json")}},
        }),
        "environment" => json!({
            "name": "AzureCloud",
            "resourceManager": "https://management.azure.com/",
            "authentication": {"loginEndpoint": "https://login.microsoftonline.com/"},
            "suffixes": {
                "storage": "core.windows.net",
                "keyvaultDns": ".vault.azure.net",
                "sqlServerHostname": ".database.windows.net",
                "acrLoginServer": ".azurecr.io",
            },
        }),
        _ => return Err(ExprError::UnknownFunction(name.to_string())),
    })
}

/// `/providers/{namespace}/{type}/{name}[/{type}/{name}…]` from a type and its names.
fn provider_path(a: &[Value]) -> Result<String, ExprError> {
    let Some((t, names)) = a.split_first() else {
        return Err("a resource type is missing".into());
    };
    // ARM accepts a trailing slash on the type.
    let t = t
        .as_str()
        .ok_or("the resource type must be a string")?
        .trim_end_matches('/');
    let mut segs = t.split('/');
    let ns = segs.next().unwrap_or_default();
    let types: Vec<&str> = segs.collect();
    if types.len() != names.len() {
        return Err(format!(
            "resource type {t} needs {} name(s), got {}",
            types.len(),
            names.len()
        )
        .into());
    }
    let mut out = format!("/providers/{ns}");
    for (ty, n) in types.iter().zip(names) {
        out.push_str(&format!("/{ty}/{}", text(n)));
    }
    Ok(out)
}

fn resource_id(a: &[Value], rg: &str) -> Result<String, ExprError> {
    let at = a
        .iter()
        .position(|v| {
            v.as_str()
                .is_some_and(|t| t.contains('/') && t.contains('.'))
        })
        .ok_or(
            "resourceId() needs a resource type such as Microsoft.Network/networkSecurityGroups",
        )?;
    let (sub, group) = match &a[..at] {
        [] => (SUBSCRIPTION_ID.to_string(), rg.to_string()),
        [g] => (SUBSCRIPTION_ID.to_string(), text(g)),
        [s, g] => (text(s), text(g)),
        _ => return Err("resourceId() has too many arguments before the type".into()),
    };
    Ok(format!(
        "/subscriptions/{sub}/resourceGroups/{group}{}",
        provider_path(&a[at..])?
    ))
}
