//! Transports: how messages reach the dispatcher. The deployment picks one; the application
//! code is the same.

pub mod http;
pub mod stdio;
