//! Label sheets: where each label, its QR code and its text go on A4 label paper, and the SVG rendering.
//!
//! The geometry is computed once, in millimetres with y growing downwards, and drawn by both renderers (SVG here,
//! PDF in [`super::pdf`]), so the two agree to the module. Each label holds, left to right, the QR code (with a
//! quiet zone of [`QUIET_MODULES`] modules inside its square, plus the label's padding around it) and a text
//! column: the locker's name, large; the facility's name; and the label's serial number, small, so a supervisor
//! can tell which label to revoke. Text that does not fit shrinks down to a minimum size, then is cut with "…".

use super::{LabelError, LayoutProblem};
use crate::i18n::{Arg, Locale, catalog};
use std::fmt::Write as _;

/// A4 width in millimetres.
pub const A4_WIDTH_MM: f32 = 210.0;
/// A4 height in millimetres.
pub const A4_HEIGHT_MM: f32 = 297.0;
/// Light modules kept around the code inside its square (the label's padding adds more).
pub const QUIET_MODULES: usize = 2;

const PT_TO_MM: f32 = 25.4 / 72.0;
/// Between the QR code and the text column.
const COLUMN_GAP_MM: f32 = 2.0;

/// The paper: how many labels across and down, and where they are (all lengths in millimetres, on A4).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SheetLayout {
    /// Labels across.
    pub columns: u32,
    /// Labels down.
    pub rows: u32,
    /// From the top edge of the paper to the first row.
    pub margin_top: f32,
    /// From the last row to the bottom edge.
    pub margin_bottom: f32,
    /// From the left edge to the first column.
    pub margin_left: f32,
    /// From the last column to the right edge.
    pub margin_right: f32,
    /// Between two columns.
    pub column_gap: f32,
    /// Between two rows.
    pub row_gap: f32,
    /// Kept blank inside each label's edge (printers and cutting are not exact).
    pub padding: f32,
}

impl SheetLayout {
    /// A4 12面 (2 × 6), labels 86.4 × 42.3 mm: the common Japanese layout (e.g. A-one 72212).
    pub fn a4_2x6() -> SheetLayout {
        SheetLayout {
            columns: 2,
            rows: 6,
            margin_top: 21.6,
            margin_bottom: 21.6,
            margin_left: 18.6,
            margin_right: 18.6,
            column_gap: 0.0,
            row_gap: 0.0,
            padding: 4.0,
        }
    }

    /// A4 24面 (3 × 8), labels 70 × 33.9 mm, edge to edge across (e.g. A-one 72224).
    pub fn a4_3x8() -> SheetLayout {
        SheetLayout {
            columns: 3,
            rows: 8,
            margin_top: 12.9,
            margin_bottom: 12.9,
            margin_left: 0.0,
            margin_right: 0.0,
            column_gap: 0.0,
            row_gap: 0.0,
            padding: 3.0,
        }
    }

    /// Labels per sheet.
    pub fn per_sheet(&self) -> usize {
        self.columns as usize * self.rows as usize
    }

    /// The size of one label, in millimetres.
    pub fn label_size(&self) -> (f32, f32) {
        let columns = self.columns.max(1) as f32;
        let rows = self.rows.max(1) as f32;
        let width = (A4_WIDTH_MM
            - self.margin_left
            - self.margin_right
            - self.column_gap * (columns - 1.0))
            / columns;
        let height =
            (A4_HEIGHT_MM - self.margin_top - self.margin_bottom - self.row_gap * (rows - 1.0))
                / rows;
        (width, height)
    }

    /// The label cell at `index` on a sheet (row by row, left to right): left, top, width, height in mm.
    pub fn cell(&self, index: usize) -> (f32, f32, f32, f32) {
        let columns = self.columns.max(1) as usize;
        let (width, height) = self.label_size();
        let column = (index % columns) as f32;
        let row = (index / columns) as f32;
        (
            self.margin_left + column * (width + self.column_gap),
            self.margin_top + row * (height + self.row_gap),
            width,
            height,
        )
    }

    /// Refuse layouts that do not fit on A4 or leave labels too small for a code a phone can read.
    pub fn check(&self) -> Result<(), LabelError> {
        let lengths = [
            self.margin_top,
            self.margin_bottom,
            self.margin_left,
            self.margin_right,
            self.column_gap,
            self.row_gap,
            self.padding,
        ];
        if lengths.iter().any(|l| !l.is_finite() || *l < 0.0) {
            return Err(LabelError::BadLayout(LayoutProblem::NegativeLength));
        }
        if !(1..=10).contains(&self.columns) || !(1..=20).contains(&self.rows) {
            return Err(LabelError::BadLayout(LayoutProblem::LabelCount));
        }
        let (width, height) = self.label_size();
        let inner = height - 2.0 * self.padding;
        // A version-9 code at 0.35 mm a module (the least a phone reads reliably) is about 20 mm across.
        if !(inner >= 20.0 && width - 2.0 * self.padding >= inner + COLUMN_GAP_MM + 15.0) {
            return Err(LabelError::BadLayout(LayoutProblem::LabelTooSmall));
        }
        Ok(())
    }
}

/// One label to print: what its code says and what is written next to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetLabel {
    /// The label's URL (the QR code's content).
    pub url: String,
    /// The locker's name, e.g. "保険証ロッカー A".
    pub locker_name: String,
    /// The facility's name.
    pub facility_name: String,
    /// The label's serial number.
    pub serial: u32,
}

/// Widths of text, for fitting it into a label.
pub(crate) trait MeasureText {
    /// The width of `text` at `size_mm`, in mm.
    fn width_mm(&self, text: &str, size_mm: f32) -> f32;
}

/// Width estimate without a font: a full-width character is one em, anything else 0.6 em (generous, so text
/// measured this way fits in any Japanese font).
pub(crate) struct EstimatedWidths;

impl MeasureText for EstimatedWidths {
    fn width_mm(&self, text: &str, size_mm: f32) -> f32 {
        text.chars()
            .map(|c| if is_wide(c) { 1.0 } else { 0.6 })
            .sum::<f32>()
            * size_mm
    }
}

fn is_wide(c: char) -> bool {
    matches!(c as u32, 0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
}

/// A line of text, placed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PlacedText {
    pub(crate) x: f32,
    pub(crate) baseline: f32,
    pub(crate) size_mm: f32,
    pub(crate) text: String,
}

/// A QR code, placed: its top-left module, the module size and the dark modules (row by row, `width` a row).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PlacedCode {
    pub(crate) x: f32,
    pub(crate) y: f32,
    pub(crate) module: f32,
    pub(crate) width: usize,
    pub(crate) dark: Vec<bool>,
}

impl PlacedCode {
    /// Runs of dark modules, row by row: (column, row, length), to draw with few rectangles.
    pub(crate) fn runs(&self) -> Vec<(usize, usize, usize)> {
        let mut runs = Vec::new();
        for (row, modules) in self.dark.chunks(self.width.max(1)).enumerate() {
            let mut column = 0;
            while column < modules.len() {
                if modules[column] {
                    let start = column;
                    while column < modules.len() && modules[column] {
                        column += 1;
                    }
                    runs.push((start, row, column - start));
                } else {
                    column += 1;
                }
            }
        }
        runs
    }
}

/// A label, placed on its sheet.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PlacedLabel {
    pub(crate) code: PlacedCode,
    pub(crate) lines: Vec<PlacedText>,
}

/// Place `labels` on sheets of `layout`, measuring text with `measure`.
pub(crate) fn place(
    labels: &[SheetLabel],
    layout: &SheetLayout,
    measure: &dyn MeasureText,
) -> Result<Vec<Vec<PlacedLabel>>, LabelError> {
    layout.check()?;
    let serial_text = |serial: u32| {
        catalog(Locale::Ja).format(
            "qr-sheet-serial",
            &[("serial", Arg::from(i64::from(serial)))],
        )
    };
    let mut sheets = Vec::new();
    for chunk in labels.chunks(layout.per_sheet()) {
        let mut sheet = Vec::with_capacity(chunk.len());
        for (index, label) in chunk.iter().enumerate() {
            let (left, top, width, height) = layout.cell(index);
            let pad = layout.padding;
            let side = height - 2.0 * pad;
            let code = qrcode::QrCode::with_error_correction_level(
                label.url.as_bytes(),
                qrcode::EcLevel::M,
            )
            .map_err(|_| LabelError::QrEncoding)?;
            let modules = code.width();
            let module = side / (modules + 2 * QUIET_MODULES) as f32;
            let dark = code
                .to_colors()
                .into_iter()
                .map(|c| c == qrcode::Color::Dark)
                .collect();
            let placed_code = PlacedCode {
                x: left + pad + module * QUIET_MODULES as f32,
                y: top + pad + module * QUIET_MODULES as f32,
                module,
                width: modules,
                dark,
            };
            let text_x = left + pad + side + COLUMN_GAP_MM;
            let text_width = left + width - pad - text_x;
            let specs = [
                (label.locker_name.as_str(), 15.0, 7.0),
                (label.facility_name.as_str(), 9.0, 5.5),
                (serial_text(label.serial).as_str(), 6.5, 5.0),
            ]
            .map(|(text, max_pt, min_pt)| {
                fit(
                    text,
                    text_width,
                    max_pt * PT_TO_MM,
                    min_pt * PT_TO_MM,
                    measure,
                )
            });
            let total: f32 = specs.iter().map(|(_, size)| size * 1.35).sum();
            let mut y = top + height / 2.0 - total / 2.0;
            let mut lines = Vec::new();
            for (text, size) in specs {
                let baseline = y + size * 1.0;
                y += size * 1.35;
                if !text.is_empty() {
                    lines.push(PlacedText {
                        x: text_x,
                        baseline,
                        size_mm: size,
                        text,
                    });
                }
            }
            sheet.push(PlacedLabel {
                code: placed_code,
                lines,
            });
        }
        sheets.push(sheet);
    }
    Ok(sheets)
}

/// `text` at the largest size from `max` down to `min` that fits `width`; at `min`, cut with "…" until it fits.
fn fit(text: &str, width: f32, max: f32, min: f32, measure: &dyn MeasureText) -> (String, f32) {
    let text: String = text.chars().filter(|c| !c.is_control()).collect();
    let text = text.trim().to_string();
    let full = measure.width_mm(&text, max);
    if full <= width {
        return (text, max);
    }
    let size = max * width / full;
    if size >= min {
        return (text, size);
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let cut: String = chars.iter().collect::<String>() + "…";
        if measure.width_mm(&cut, min) <= width {
            return (cut, min);
        }
    }
    (String::new(), min)
}

/// Render `labels` as SVG, one document per A4 sheet, in millimetres. The text names IPAexGothic and Noto Sans
/// CJK JP first; the viewer or printer supplies the font.
pub fn sheet_svgs(labels: &[SheetLabel], layout: &SheetLayout) -> Result<Vec<String>, LabelError> {
    let sheets = place(labels, layout, &EstimatedWidths)?;
    Ok(sheets.iter().map(|sheet| svg_of(sheet)).collect())
}

fn svg_of(sheet: &[PlacedLabel]) -> String {
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{A4_WIDTH_MM}mm" height="{A4_HEIGHT_MM}mm" viewBox="0 0 {A4_WIDTH_MM} {A4_HEIGHT_MM}">"#
    );
    let _ = write!(
        svg,
        r#"<rect width="{A4_WIDTH_MM}" height="{A4_HEIGHT_MM}" fill="white"/>"#
    );
    for label in sheet {
        let code = &label.code;
        let _ = write!(svg, r#"<path fill="black" d=""#);
        for (column, row, length) in code.runs() {
            let _ = write!(
                svg,
                "M{:.3} {:.3}h{:.3}v{:.3}h-{:.3}z",
                code.x + column as f32 * code.module,
                code.y + row as f32 * code.module,
                length as f32 * code.module,
                code.module,
                length as f32 * code.module,
            );
        }
        svg.push_str(r#""/>"#);
        for line in &label.lines {
            let _ = write!(
                svg,
                r#"<text x="{:.3}" y="{:.3}" font-size="{:.3}" font-family="IPAexGothic, 'Noto Sans CJK JP', sans-serif" fill="black">{}</text>"#,
                line.x,
                line.baseline,
                line.size_mm,
                xml_escape(&line.text)
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}

fn xml_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_common_layouts_fill_a4_exactly() {
        for layout in [SheetLayout::a4_2x6(), SheetLayout::a4_3x8()] {
            layout.check().unwrap();
            let (left, top, width, height) = layout.cell(layout.per_sheet() - 1);
            assert!((left + width + layout.margin_right - A4_WIDTH_MM).abs() < 0.01);
            assert!((top + height + layout.margin_bottom - A4_HEIGHT_MM).abs() < 0.01);
        }
        let (width, height) = SheetLayout::a4_2x6().label_size();
        assert!((width - 86.4).abs() < 0.01 && (height - 42.3).abs() < 0.01);
    }

    #[test]
    fn layouts_that_do_not_fit_are_refused() {
        let mut layout = SheetLayout::a4_3x8();
        layout.rows = 14;
        assert!(matches!(layout.check(), Err(LabelError::BadLayout(_))));
        let mut layout = SheetLayout::a4_2x6();
        layout.margin_left = -1.0;
        assert!(matches!(layout.check(), Err(LabelError::BadLayout(_))));
        layout.margin_left = f32::NAN;
        assert!(matches!(layout.check(), Err(LabelError::BadLayout(_))));
    }

    #[test]
    fn long_text_shrinks_then_is_cut() {
        let (text, size) = fit("短い", 30.0, 5.0, 2.0, &EstimatedWidths);
        assert_eq!((text.as_str(), size), ("短い", 5.0));
        let (text, size) = fit("保険証ロッカー", 20.0, 5.0, 2.0, &EstimatedWidths);
        assert_eq!(text, "保険証ロッカー");
        assert!(size < 5.0 && EstimatedWidths.width_mm(&text, size) <= 20.001);
        let (text, size) = fit(&"長".repeat(40), 20.0, 5.0, 2.0, &EstimatedWidths);
        assert!(text.ends_with('…') && size == 2.0);
        assert!(EstimatedWidths.width_mm(&text, size) <= 20.0);
    }

    #[test]
    fn names_are_escaped_in_svg() {
        assert_eq!(xml_escape("A&B <x>"), "A&amp;B &lt;x&gt;");
    }
}
