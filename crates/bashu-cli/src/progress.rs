//! Progress bars for long imports and syncs, drawn on stderr only when stderr is a
//! terminal (never in scripts, pipes or CI logs), and human tables that line up Chinese
//! text (two columns per character).

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// A progress indicator that is a no-op when stderr is not a terminal.
pub(crate) struct Progress(Option<ProgressBar>);

impl Progress {
    fn enabled() -> bool {
        std::io::stderr().is_terminal() && std::env::var_os("BASHU_NO_PROGRESS").is_none()
    }

    /// A bar over an import file, sized by its line count (a close estimate of its rows).
    pub(crate) fn import(file: &Path) -> Progress {
        if !Self::enabled() {
            return Progress(None);
        }
        let rows = estimate_rows(file);
        let bar = ProgressBar::new(rows);
        if let Ok(style) = ProgressStyle::with_template(
            "{msg} [{bar:30}] {pos}/{len} rows ({per_sec}, {eta} left)",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(
            file.file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        );
        Progress(Some(bar))
    }

    /// A spinner with a message, for a call whose length is unknown (a sync).
    pub(crate) fn spinner(message: &str) -> Progress {
        if !Self::enabled() {
            return Progress(None);
        }
        let bar = ProgressBar::new_spinner();
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {elapsed}") {
            bar.set_style(style);
        }
        bar.set_message(message.to_owned());
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress(Some(bar))
    }

    /// Rows submitted so far.
    pub(crate) fn set(&self, done: u64) {
        if let Some(b) = &self.0 {
            if done > b.length().unwrap_or(0) {
                b.set_length(done);
            }
            b.set_position(done);
        }
    }

    /// Removes the bar (before the summary is printed).
    pub(crate) fn finish(self) {
        if let Some(b) = self.0 {
            b.finish_and_clear();
        }
    }
}

/// Lines of the file minus a header: the rows of a CSV, the objects of JSON Lines.
fn estimate_rows(file: &Path) -> u64 {
    use std::io::Read;
    let Ok(mut f) = std::fs::File::open(file) else {
        return 0;
    };
    let mut buf = vec![0u8; 1 << 16];
    let mut lines = 0u64;
    loop {
        match f.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => lines += buf[..n].iter().filter(|b| **b == b'\n').count() as u64,
        }
    }
    lines.saturating_sub(1).max(1)
}

/// Terminal columns taken by `s`: two for East Asian wide characters.
pub(crate) fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| {
            let c = c as u32;
            let wide = matches!(c,
                0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF
                | 0x4E00..=0x9FFF | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
                | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD);
            if wide { 2 } else { 1 }
        })
        .sum()
}

/// Rows as a table with aligned columns (the first row is the header, underlined).
/// Columns whose every cell after the header is a number are right-aligned.
pub(crate) fn format_table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; cols];
    for r in rows {
        for (i, cell) in r.iter().enumerate() {
            widths[i] = widths[i].max(display_width(cell));
        }
    }
    let numeric: Vec<bool> = (0..cols)
        .map(|i| {
            rows.len() > 1
                && rows[1..].iter().all(|r| {
                    r.get(i).is_none_or(|c| {
                        !c.is_empty() && c.chars().all(|ch| ch.is_ascii_digit() || ch == '.')
                    })
                })
        })
        .collect();
    let mut out = String::new();
    for (n, r) in rows.iter().enumerate() {
        let mut line = String::new();
        for (i, cell) in r.iter().enumerate() {
            let pad = widths[i] - display_width(cell);
            if i > 0 {
                line.push_str("  ");
            }
            if numeric[i] && n > 0 {
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            } else {
                line.push_str(cell);
                if i + 1 < r.len() {
                    line.push_str(&" ".repeat(pad));
                }
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
        if n == 0 {
            let total: usize = widths.iter().sum::<usize>() + 2 * cols.saturating_sub(1);
            out.push_str(&"-".repeat(total));
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_is_two_columns_wide() {
        assert_eq!(display_width("荣昌区"), 6);
        assert_eq!(display_width("500153"), 6);
        assert_eq!(display_width("隆昌市 x"), 8);
    }

    #[test]
    fn tables_line_up() {
        let t = format_table(&[
            vec!["county".into(), "name".into(), "size".into()],
            vec!["500153".into(), "荣昌区".into(), "12".into()],
            vec!["510521".into(), "泸县".into(), "3".into()],
        ]);
        assert_eq!(
            t,
            "county  name    size\n--------------------\n500153  荣昌区    12\n510521  泸县       3\n"
        );
    }
}
