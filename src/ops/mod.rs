//! The analyses behind the subcommands: each takes files or trees and
//! returns a typed report; none prints anything (that is [`crate::render`]'s
//! job) or knows the command line (that is [`crate::cmd`]'s).

pub mod diff;
pub mod du;
pub mod dump;
pub mod extract;
pub mod history;
pub mod ls;
pub mod purge;
pub mod recover;
pub mod repair;
pub mod report;
pub mod verify;
