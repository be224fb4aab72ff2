//! The same build script as the webhook's: records the git commit.
include!("../webhook/build.rs");
