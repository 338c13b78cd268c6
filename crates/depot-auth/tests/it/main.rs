//! The authentication service over a real SQLite store: the administrator, sessions,
//! tokens, idle expiry, removed users, Basic credentials, privileges, throttling and
//! user management. Each test uses a fresh temporary database file.

mod admin;
mod expiry;
mod fixture;
mod passwords;
mod privileges;
mod removed_users;
mod sessions;
mod throttle;
mod tokens;
mod users;
