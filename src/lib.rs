//! kensa: Azure VM fleet compliance as code.
//!
//! Data flows one way: [`sources`] → [`inventory`] → [`evaluate`] → [`findings`] → [`render`].
//! [`scan`] strings the stages together; [`commands`] is what the binary runs.

pub mod cli;
pub mod commands;
pub mod config;
pub mod error;
pub mod evaluate;
pub mod findings;
pub mod inventory;
pub mod output;
pub mod render;
pub mod scan;
pub mod sources;
