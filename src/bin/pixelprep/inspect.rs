//! `pixelprep inspect`: the report on what a pixel table holds and how pixelprep
//! would read it, from [`pixelprep::inspect`] (the footer or schema alone).

use std::fmt::Write;
use std::path::Path;

use pixelprep::{ImageShape, TableLayout};

/// The report printed for one file. `shape` is the size the user asked for, if any.
pub fn render(path: &Path, layout: &TableLayout, shape: Option<ImageShape>) -> String {
    let mut out = String::new();
    let groups = layout.row_group_rows.len();
    let _ = writeln!(out, "{}", path.display());
    let _ = writeln!(
        out,
        "  rows          {} in {} {}{} ({})",
        layout.rows,
        groups,
        layout.part_kind,
        match (groups, layout.part_kind.ends_with(['s', 'h'])) {
            (1, _) => "",
            (_, true) => "es",
            _ => "s",
        },
        summarize_groups(&layout.row_group_rows)
    );
    let index = if layout.index_columns.is_empty() {
        "no stored index".to_string()
    } else {
        format!("stored pandas index {}", quoted(&layout.index_columns))
    };
    let _ = writeln!(
        out,
        "  columns       {}: id {:?}, {} pixel columns {:?}..{:?}, {index}",
        layout.columns,
        layout.id_column,
        layout.pixel_columns,
        layout.first_pixel_column,
        layout.last_pixel_column
    );
    if !layout.metadata_columns.is_empty() {
        let columns: Vec<String> = layout
            .metadata_columns
            .iter()
            .map(|(name, kind)| format!("{name:?} ({kind})"))
            .collect();
        let _ = writeln!(out, "  metadata      {}", columns.join(", "));
    }
    let size = match (shape, layout.inferred_shape) {
        (Some(s), _) if s.pixels() == layout.pixel_columns => {
            format!("{} x {} (as given)", s.height, s.width)
        }
        (Some(s), _) => format!(
            "not {} x {} = {}: there are {} pixel columns",
            s.height,
            s.width,
            s.pixels(),
            layout.pixel_columns
        ),
        (None, Some(s)) if s.height == 137 && s.width == 236 => {
            "137 x 236 (the Bengali.AI layout, the default)".to_string()
        }
        (None, Some(s)) => format!(
            "{} x {} (a square; pass --height {} --width {})",
            s.height, s.width, s.height, s.width
        ),
        (None, None) => format!(
            "cannot infer from {} pixel columns (not 137 x 236, not a square); pass --height and --width",
            layout.pixel_columns
        ),
    };
    let _ = writeln!(out, "  image size    {size}");
    let _ = writeln!(out, "  pixel type    {}", layout.pixel_types.join(", "));
    let _ = writeln!(
        out,
        "  encodings     {}; compression {}",
        layout.encodings.join(", "),
        layout.compression.join(", ")
    );
    let _ = writeln!(
        out,
        "  format        {}{}",
        layout.format,
        layout
            .created_by
            .as_deref()
            .map(|c| format!(", written by {c}"))
            .unwrap_or_default()
    );
    out
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `50210` for one group, `5, 5, 2` for a few, `12 x 4096, 1 x 17` for many.
fn summarize_groups(rows: &[u64]) -> String {
    if rows.len() <= 4 {
        return rows
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
    }
    let mut runs: Vec<(u64, usize)> = Vec::new();
    for &r in rows {
        match runs.last_mut() {
            Some((value, count)) if *value == r => *count += 1,
            _ => runs.push((r, 1)),
        }
    }
    runs.iter()
        .map(|(value, count)| format!("{count} x {value}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The report for a folder or file of images.
pub fn render_images(path: &Path, report: &pixelprep::ImagesReport) -> String {
    let mut out = String::new();
    let counts = |map: &std::collections::BTreeMap<String, usize>| {
        let mut items: Vec<(&String, &usize)> = map.iter().collect();
        items.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        items
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(out, "{}", path.display());
    let ignored = if report.ignored > 0 {
        format!(" ({} other files ignored)", report.ignored)
    } else {
        String::new()
    };
    let _ = writeln!(out, "  images        {}{ignored}", report.files);
    let _ = writeln!(out, "  formats       {}", counts(&report.formats));
    let _ = writeln!(out, "  modes         {}", counts(&report.modes));
    if let (Some((w0, w1)), Some((h0, h1))) = (report.widths, report.heights) {
        let _ = writeln!(out, "  sizes         width {w0}..{w1}, height {h0}..{h1}");
    }
    if !report.classes.is_empty() {
        let classes: Vec<String> = report
            .classes
            .iter()
            .enumerate()
            .map(|(i, (name, n))| format!("{i} {name:?} ({n})"))
            .collect();
        let _ = writeln!(
            out,
            "  classes       {}: {}",
            report.classes.len(),
            classes.join(", ")
        );
    }
    for (file, why) in &report.unreadable {
        let _ = writeln!(out, "  unreadable    {}: {why}", file.display());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_groups_are_summarized() {
        assert_eq!(summarize_groups(&[36]), "36");
        assert_eq!(summarize_groups(&[5, 5, 2]), "5, 5, 2");
        assert_eq!(summarize_groups(&[8, 8, 8, 8, 8, 3]), "5 x 8, 1 x 3");
    }
}
