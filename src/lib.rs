//! signet: a SAML 2.0 identity provider.
//!
//! Layers, from the wire inwards: [`web`] (HTTP, cookies, pages) calls
//! [`idp`] (the sign-in flow), which uses [`saml`] (protocol messages, no
//! HTTP) and [`store`] (SQLite, no protocol). [`admin`] holds the checked
//! administrative operations shared by the command line and the web pages.

pub mod admin;
pub mod commands;
pub mod config;
pub mod idp;
pub mod keys;
pub mod password;
pub mod saml;
pub mod secret;
pub mod server;
pub mod store;
pub mod web;
