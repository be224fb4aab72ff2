//! effective
