//! The authentication service over a real SQLite store: the administrator, sessions,
//! tokens and their families, idle expiry and lifetimes, removed users, Basic
//! credentials, privileges, throttling, bounded hashing and user management. Each
//! test uses a fresh temporary database file.

mod admin;
mod expiry;
mod fixture;
mod lifetimes;
mod limits;
mod passwords;
mod privileges;
mod removed_users;
mod sessions;
mod throttle;
mod tokens;
mod users;
