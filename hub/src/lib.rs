//! The facility hub: devices enroll with it, push and pull signed events, and it proves with an RFC 9162 Merkle
//! tree and signed checkpoints that the facility's log was never rewritten.

pub mod bundle;
pub mod client;
pub mod files;
pub mod guard;
pub mod limits;
pub mod log;
pub mod seen;
pub mod server;
pub mod service;
pub mod storage;
pub mod web;
