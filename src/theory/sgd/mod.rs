//! One-pass SGD on fixed deep features (TRAINING B).

pub mod expsum;
pub mod tail;
