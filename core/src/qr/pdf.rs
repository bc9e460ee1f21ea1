//! Label sheets as PDF, with a Japanese font found on the machine at run time and embedded as a subset.
//!
//! The PDF is written with `krilla` (the PDF library of Typst): it shapes the text, subsets the font to the glyphs
//! used and embeds it, so a sheet is a few tens of kilobytes and opens the same in every viewer and printer
//! driver, none of which needs a Japanese font of its own. The font is not shipped with Azukari (a CJK font is
//! megabytes); a free one from the operating system's packages is used: IPAexGothic (Debian/Ubuntu package
//! `fonts-ipaexfont-gothic`) or Noto Sans CJK (`fonts-noto-cjk`), or any file named by the environment variable
//! [`LABEL_FONT_ENV`].

use super::LabelError;
use super::sheet::{A4_HEIGHT_MM, A4_WIDTH_MM, MeasureText, SheetLabel, SheetLayout, place};
use crate::i18n::{Arg, Locale, catalog};
use krilla::Document;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::text::{Font, TextDirection};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Environment variable naming a font file (TrueType, OpenType or a collection's first face) to use instead of
/// searching [`LABEL_FONT_PATHS`].
pub const LABEL_FONT_ENV: &str = "AZUKARI_LABEL_FONT";

/// Where the free Japanese fonts of Debian and Ubuntu are installed, in order of preference.
pub const LABEL_FONT_PATHS: &[&str] = &[
    // fonts-ipaexfont-gothic
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    // fonts-noto-cjk (a collection; its first face is Noto Sans CJK JP)
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKjp-Regular.otf",
    // fonts-ipafont-gothic
    "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf",
];

const MM_TO_PT: f32 = 72.0 / 25.4;

/// A Japanese font read from disk, ready to embed.
#[derive(Clone)]
pub struct LabelFont {
    path: PathBuf,
    bytes: Arc<Vec<u8>>,
    font: Font,
    name: String,
}

impl std::fmt::Debug for LabelFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabelFont")
            .field("path", &self.path)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl LabelFont {
    /// The font named by [`LABEL_FONT_ENV`], or else the first of [`LABEL_FONT_PATHS`] installed; a
    /// [`LabelError::FontMissing`] saying which package to install when there is none.
    pub fn find() -> Result<LabelFont, LabelError> {
        if let Some(path) = std::env::var_os(LABEL_FONT_ENV).filter(|p| !p.is_empty()) {
            return LabelFont::from_file(Path::new(&path));
        }
        let paths: Vec<&Path> = LABEL_FONT_PATHS.iter().map(Path::new).collect();
        LabelFont::find_among(&paths)
    }

    /// The first of `paths` that is a file, read as a font.
    pub fn find_among(paths: &[&Path]) -> Result<LabelFont, LabelError> {
        match paths.iter().find(|p| p.is_file()) {
            Some(path) => LabelFont::from_file(path),
            None => Err(LabelError::FontMissing),
        }
    }

    /// Read the font file at `path` (its first face, for a collection).
    pub fn from_file(path: &Path) -> Result<LabelFont, LabelError> {
        let unreadable = || LabelError::FontUnreadable(path.to_path_buf());
        let bytes = Arc::new(std::fs::read(path).map_err(|_| unreadable())?);
        let face = ttf_parser::Face::parse(&bytes, 0).map_err(|_| unreadable())?;
        let name = face_name(&face).unwrap_or_else(|| {
            path.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
        if face.glyph_index('保').is_none() {
            return Err(unreadable());
        }
        let font = Font::new(bytes.clone().into(), 0).ok_or_else(unreadable)?;
        Ok(LabelFont {
            path: path.to_path_buf(),
            bytes,
            font,
            name,
        })
    }

    /// The font's PostScript name (what the PDF names it), e.g. `IPAexGothic`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Where it was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The PostScript name, or else the full or family name, from the font's `name` table.
fn face_name(face: &ttf_parser::Face<'_>) -> Option<String> {
    use ttf_parser::name_id::{FAMILY, FULL_NAME, POST_SCRIPT_NAME};
    [POST_SCRIPT_NAME, FULL_NAME, FAMILY].iter().find_map(|id| {
        face.names()
            .into_iter()
            .filter(|n| n.name_id == *id)
            .find_map(|n| n.to_string())
            .filter(|n| !n.is_empty())
    })
}

/// Text widths from the font's own advances.
struct FontWidths<'a> {
    face: ttf_parser::Face<'a>,
}

impl MeasureText for FontWidths<'_> {
    fn width_mm(&self, text: &str, size_mm: f32) -> f32 {
        let per_em = f32::from(self.face.units_per_em().max(1));
        let units: f32 = text
            .chars()
            .map(|c| {
                self.face
                    .glyph_index(c)
                    .and_then(|g| self.face.glyph_hor_advance(g))
                    .map(f32::from)
                    .unwrap_or(per_em)
            })
            .sum();
        units / per_em * size_mm
    }
}

/// Render `labels` as one PDF, one A4 page per sheet, with `font` embedded (subset).
pub fn sheet_pdf(
    labels: &[SheetLabel],
    layout: &SheetLayout,
    font: &LabelFont,
) -> Result<Vec<u8>, LabelError> {
    let first = labels.first().ok_or(LabelError::NoLabels)?;
    let face = ttf_parser::Face::parse(&font.bytes, 0)
        .map_err(|_| LabelError::FontUnreadable(font.path.clone()))?;
    let sheets = place(labels, layout, &FontWidths { face })?;
    let pt = |mm: f32| mm * MM_TO_PT;
    let settings = PageSettings::from_wh(pt(A4_WIDTH_MM), pt(A4_HEIGHT_MM))
        .ok_or(LabelError::Pdf("page size".to_string()))?;

    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(catalog(Locale::Ja).format(
                "qr-sheet-title",
                &[("facility", Arg::from(first.facility_name.as_str()))],
            ))
            .language(Locale::Ja.tag().to_string()),
    );
    for sheet in &sheets {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        surface.set_fill(Some(Fill::default()));
        for label in sheet {
            let code = &label.code;
            let mut builder = PathBuilder::new();
            for (column, row, length) in code.runs() {
                if let Some(rect) = Rect::from_xywh(
                    pt(code.x + column as f32 * code.module),
                    pt(code.y + row as f32 * code.module),
                    pt(length as f32 * code.module),
                    pt(code.module),
                ) {
                    builder.push_rect(rect);
                }
            }
            if let Some(path) = builder.finish() {
                surface.draw_path(&path);
            }
            for line in &label.lines {
                surface.draw_text(
                    Point::from_xy(pt(line.x), pt(line.baseline)),
                    font.font.clone(),
                    pt(line.size_mm),
                    &line.text,
                    false,
                    TextDirection::Auto,
                );
            }
        }
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|error| LabelError::Pdf(format!("{error:?}")))
}
