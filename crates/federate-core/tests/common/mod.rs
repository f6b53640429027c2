pub mod fake;
pub mod sim;
