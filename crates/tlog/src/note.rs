//! Signed notes.
