//! Writes the valid inputs of every target into `corpus/<target>/` (the starting corpus):
//! `cargo run --manifest-path fuzz/Cargo.toml --example seed_corpus`.

use std::path::Path;

fn main() -> std::io::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut n = 0;
    for (i, (target, data)) in bashu_fuzz::oracle::seeds().into_iter().enumerate() {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(format!("seed-{i:03}")), data)?;
        n += 1;
    }
    println!("{n} seeds written under {}", root.display());
    Ok(())
}
