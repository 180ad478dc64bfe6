//! The jobs a user runs: learning curves ([`curve`], over [`sweep`]), Monte Carlo
//! validation ([`validate`]) with its results [`store`], figures ([`figures`]) and the
//! store's references ([`refs`]).

pub mod compute;
pub mod curve;
pub mod dynamics;
pub mod exponents;
pub mod features;
pub mod figures;
pub mod prologue;
pub mod refs;
pub mod run;
pub mod scaling;
pub mod stepped;
pub mod store;
pub mod sweep;
pub(crate) mod trajectory;
pub mod trials;
pub mod validate;
