//! How a command fails. Commands return a [`CliError`]; `main` prints it
//! and turns its [`Failure`] into the exit code, in one place. A new kind
//! of failure with its own code is a new variant here and a new arm there.

use std::fmt;

/// What kind of failure, which decides the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The command line or the configuration is wrong.
    Usage,
    /// The command could not do its work.
    Runtime,
    /// The command did its work, but some feeds failed (`poll --all`).
    FeedsFailing,
}

/// A failed command: its kind and what to tell the user.
#[derive(Debug)]
pub struct CliError {
    pub failure: Failure,
    /// The subcommand, as the message names it: `extract`, `feeds add`.
    command: Option<String>,
    /// `None` when the command has already said why (per-file errors, a
    /// report it printed).
    message: Option<String>,
}

impl CliError {
    pub fn new(failure: Failure, message: impl fmt::Display) -> CliError {
        CliError {
            failure,
            command: None,
            message: Some(message.to_string()),
        }
    }

    pub fn usage(message: impl fmt::Display) -> CliError {
        CliError::new(Failure::Usage, message)
    }

    pub fn runtime(message: impl fmt::Display) -> CliError {
        CliError::new(Failure::Runtime, message)
    }

    /// A runtime failure the command has already reported.
    pub fn reported() -> CliError {
        CliError {
            failure: Failure::Runtime,
            command: None,
            message: None,
        }
    }

    /// Names the subcommand in the message: `feedsift extract: …`.
    pub fn within(mut self, command: &str) -> CliError {
        self.command = Some(command.to_string());
        self
    }

    /// The line to print on stderr, if there is one left to print.
    pub fn line(&self) -> Option<String> {
        let message = self.message.as_deref()?;
        Some(match &self.command {
            Some(command) => format!("feedsift {command}: {message}"),
            None => format!("feedsift: {message}"),
        })
    }
}

/// What every command returns.
pub type CliResult = Result<(), CliError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_program_and_the_subcommand() {
        let e = CliError::usage("invalid --url: empty host").within("extract");
        assert_eq!(e.failure, Failure::Usage);
        assert_eq!(
            e.line().as_deref(),
            Some("feedsift extract: invalid --url: empty host")
        );
        let e = CliError::runtime("export failed: disk I/O error");
        assert_eq!(
            e.line().as_deref(),
            Some("feedsift: export failed: disk I/O error")
        );
        assert_eq!(CliError::reported().line(), None);
    }
}
