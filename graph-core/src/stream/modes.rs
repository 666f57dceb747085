//! Stream modes: which kinds of [`crate::Event`] a stream carries, in LangGraph's vocabulary
//! (`values`, `updates`, `messages`, `custom`, `tasks`, `checkpoints`, `debug`). A run builds
//! only the payloads of the modes its stream selected.

use std::fmt;
use std::str::FromStr;

/// One kind of event a stream can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StreamMode {
    /// The whole state after the input and after each superstep.
    Values,
    /// Each task's update, as the task finishes.
    Updates,
    /// LLM token chunks nodes send with [`crate::Ctx::emit_message`].
    Messages,
    /// Values nodes send with [`crate::Ctx::emit`].
    Custom,
    /// Each task's start (with its input) and end (with its result, error or interrupts).
    Tasks,
    /// Each checkpoint: values, what runs next, metadata, parent.
    Checkpoints,
    /// The `tasks` and `checkpoints` events again, each tagged `debug` (LangGraph sends them
    /// under both names when both are asked for).
    Debug,
}

impl StreamMode {
    /// Every mode, in declaration order.
    pub const ALL: [StreamMode; 7] = [
        StreamMode::Values,
        StreamMode::Updates,
        StreamMode::Messages,
        StreamMode::Custom,
        StreamMode::Tasks,
        StreamMode::Checkpoints,
        StreamMode::Debug,
    ];

    /// LangGraph's name for the mode.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamMode::Values => "values",
            StreamMode::Updates => "updates",
            StreamMode::Messages => "messages",
            StreamMode::Custom => "custom",
            StreamMode::Tasks => "tasks",
            StreamMode::Checkpoints => "checkpoints",
            StreamMode::Debug => "debug",
        }
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl fmt::Display for StreamMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a stream mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownStreamMode(pub String);

impl fmt::Display for UnknownStreamMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a stream mode (expected one of values, updates, messages, custom, \
             tasks, checkpoints, debug)",
            self.0
        )
    }
}

impl std::error::Error for UnknownStreamMode {}

impl FromStr for StreamMode {
    type Err = UnknownStreamMode;
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        StreamMode::ALL
            .into_iter()
            .find(|mode| mode.as_str() == name)
            .ok_or_else(|| UnknownStreamMode(name.to_owned()))
    }
}

/// The set of [`StreamMode`]s a stream carries. Interrupts, breakpoints, errors and the end of
/// the run belong to no mode: every stream carries them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct StreamModes(u8);

impl StreamModes {
    /// No mode: only interrupts, breakpoints, errors and the end.
    pub const NONE: StreamModes = StreamModes(0);
    /// Every mode but `debug` (whose events repeat `tasks` and `checkpoints`).
    pub const ALL: StreamModes = StreamModes(0x3f);

    /// This set and `mode`.
    pub const fn with(self, mode: StreamMode) -> Self {
        StreamModes(self.0 | 1 << mode as u8)
    }

    /// Whether the set has `mode`.
    pub fn contains(self, mode: StreamMode) -> bool {
        self.0 & mode.bit() != 0
    }

    /// Whether events of `mode` are built: it is selected, or, for `tasks` and `checkpoints`,
    /// `debug` is.
    pub(crate) fn builds(self, mode: StreamMode) -> bool {
        self.contains(mode)
            || (matches!(mode, StreamMode::Tasks | StreamMode::Checkpoints)
                && self.contains(StreamMode::Debug))
    }

    /// The modes in the set, in declaration order.
    pub fn iter(self) -> impl Iterator<Item = StreamMode> {
        StreamMode::ALL
            .into_iter()
            .filter(move |mode| self.contains(*mode))
    }
}

impl From<StreamMode> for StreamModes {
    fn from(mode: StreamMode) -> Self {
        StreamModes::NONE.with(mode)
    }
}

impl<const N: usize> From<[StreamMode; N]> for StreamModes {
    fn from(modes: [StreamMode; N]) -> Self {
        modes.into_iter().collect()
    }
}

impl From<&[StreamMode]> for StreamModes {
    fn from(modes: &[StreamMode]) -> Self {
        modes.iter().copied().collect()
    }
}

impl FromIterator<StreamMode> for StreamModes {
    fn from_iter<I: IntoIterator<Item = StreamMode>>(modes: I) -> Self {
        modes.into_iter().fold(StreamModes::NONE, StreamModes::with)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for mode in StreamMode::ALL {
            assert_eq!(mode.as_str().parse::<StreamMode>(), Ok(mode));
        }
        let err = "value".parse::<StreamMode>().unwrap_err();
        assert!(err.to_string().contains("`value` is not a stream mode"));
    }

    #[test]
    fn debug_builds_tasks_and_checkpoints_without_selecting_them() {
        let modes = StreamModes::from(StreamMode::Debug);
        assert!(modes.builds(StreamMode::Tasks) && modes.builds(StreamMode::Checkpoints));
        assert!(!modes.contains(StreamMode::Tasks));
        assert!(!modes.builds(StreamMode::Values));
        assert_eq!(StreamModes::ALL.iter().count(), 6);
        assert!(!StreamModes::ALL.contains(StreamMode::Debug));
    }
}
