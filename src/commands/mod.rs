//! What each CLI subcommand does. `main.rs` parses arguments and calls one
//! of these; each returns the process exit code.

pub mod extract;
pub mod inspect;

/// Exit codes of the CLI contract (DESIGN.md).
pub mod exit {
    pub const OK: u8 = 0;
    pub const FAILURE: u8 = 1;
    pub const USAGE: u8 = 2;
}
