//! Writes the TypeScript declarations of the boundary types (`federate_core::typescript`) to
//! the file named by the first argument, or prints them. Run by `scripts/build.mjs`:
//! `cargo run -p federate-core --features ts --example typescript -- pkg/web/federate_types.d.ts`.

use std::io::Write;

fn main() -> std::io::Result<()> {
    let text = federate_core::typescript::declarations();
    match std::env::args_os().nth(1) {
        // Unchanged text is not rewritten, so tools watching the file see no change.
        Some(path) => {
            if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                std::fs::write(&path, text)?;
            }
            Ok(())
        }
        None => std::io::stdout().write_all(text.as_bytes()),
    }
}
