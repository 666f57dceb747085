//! [`Error`], the one error type of the crate.

use std::path::Path;

/// What can go wrong building the agent or running its benchmark.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A conversation file is not valid.
    #[error("{file}: {reason}")]
    Data {
        /// The file.
        file: String,
        /// What is wrong, naming the conversation.
        reason: String,
    },
    /// The hotel domain refused something (a seeded booking, the catalog).
    #[error(transparent)]
    Hotel(#[from] hotel::Error),
    /// The graph could not be built.
    #[error(transparent)]
    Build(#[from] graph_core::BuildError),
    /// A run of the graph failed.
    #[error(transparent)]
    Run(#[from] graph_core::Error),
    /// An understander could not be built.
    #[error(transparent)]
    Model(#[from] agent_nodes::Error),
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.display().to_string(),
            source,
        }
    }
}
