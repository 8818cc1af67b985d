//! Credentials for Azure Resource Manager, chosen explicitly with `--auth`. Tokens come from
//! the maintained `azure_identity` 1.x crate; they are never printed, logged or reported.

use std::sync::Arc;

use azure_core::credentials::{Secret, TokenCredential};
use azure_identity::{
    AzureCliCredential, ClientSecretCredential, ManagedIdentityCredential,
    WorkloadIdentityCredential,
};

use crate::error::{Error, Result};

/// The token audience for Azure Resource Manager (also behind a custom `--endpoint`).
pub(crate) const SCOPE: &str = "https://management.azure.com/.default";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum AuthMode {
    /// Workload identity when its variables are set, else managed identity, else Azure CLI.
    Auto,
    /// `az login` (also what `azure/login` leaves behind in GitHub Actions).
    Cli,
    /// The VM's or App Service's managed identity (`AZURE_CLIENT_ID` picks a user-assigned one).
    ManagedIdentity,
    /// A client secret: `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`.
    ServicePrincipal,
    /// Federated credentials: `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_FEDERATED_TOKEN_FILE`.
    WorkloadIdentity,
}

fn var(name: &str, mode: &str) -> Result<String> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| {
            Error::Usage(format!(
                "--auth {mode} needs the environment variable {name}"
            ))
        })
}

fn auth_error(mode: &str, e: azure_core::Error) -> Error {
    Error::Usage(format!("--auth {mode}: {e}"))
}

/// The credentials `mode` stands for, in the order they are tried.
pub(crate) fn credentials(mode: AuthMode) -> Result<Vec<(&'static str, Arc<dyn TokenCredential>)>> {
    Ok(match mode {
        AuthMode::Cli => vec![(
            "cli",
            AzureCliCredential::new(None).map_err(|e| auth_error("cli", e))?,
        )],
        AuthMode::ManagedIdentity => vec![(
            "managed-identity",
            ManagedIdentityCredential::new(None).map_err(|e| auth_error("managed-identity", e))?,
        )],
        AuthMode::ServicePrincipal => {
            let (tenant, client, secret) = (
                var("AZURE_TENANT_ID", "service-principal")?,
                var("AZURE_CLIENT_ID", "service-principal")?,
                var("AZURE_CLIENT_SECRET", "service-principal")?,
            );
            vec![(
                "service-principal",
                ClientSecretCredential::new(&tenant, client, Secret::new(secret), None)
                    .map_err(|e| auth_error("service-principal", e))?,
            )]
        }
        AuthMode::WorkloadIdentity => {
            for v in [
                "AZURE_TENANT_ID",
                "AZURE_CLIENT_ID",
                "AZURE_FEDERATED_TOKEN_FILE",
            ] {
                var(v, "workload-identity")?;
            }
            vec![(
                "workload-identity",
                WorkloadIdentityCredential::new(None)
                    .map_err(|e| auth_error("workload-identity", e))?,
            )]
        }
        AuthMode::Auto => {
            let mut chain: Vec<(&'static str, Arc<dyn TokenCredential>)> = Vec::new();
            if std::env::var_os("AZURE_FEDERATED_TOKEN_FILE").is_some() {
                chain.extend(credentials(AuthMode::WorkloadIdentity)?);
            }
            chain.extend(credentials(AuthMode::ManagedIdentity)?);
            chain.extend(credentials(AuthMode::Cli)?);
            chain
        }
    })
}
