import SwiftUI
import azukari_core

/// Sizes and colours the screens share. Text sizes are the system's text styles, so Dynamic Type scales every
/// text; nothing here is a word.
enum Theme {
    /// The smallest height of anything tappable (Apple's Human Interface Guidelines: 44 pt).
    static let minTouchTarget: CGFloat = 44
    /// Width from which a screen is laid out for a tablet (two panes, tiles in three columns), as on Android.
    static let tabletWidth: CGFloat = 600
    /// The widest a form's column grows, so lines stay readable on a tablet.
    static let formWidth: CGFloat = 560
    static let sectionSpacing: CGFloat = 24
    static let rowSpacing: CGFloat = 8

    /// The background of a row of this severity (never the only sign: the row's text says it too).
    static func rowBackground(_ severity: Severity?) -> Color {
        switch severity {
        case .some(.urgent): return Color.red.opacity(0.15)
        case .some(.warning): return Color.orange.opacity(0.15)
        case .some(.info), .none: return Color(uiColor: .secondarySystemGroupedBackground)
        }
    }

    /// The background of a notice of this kind.
    static func noticeBackground(_ kind: NoticeKind) -> Color {
        switch kind {
        case .error: return Color.red.opacity(0.15)
        case .warning: return Color.orange.opacity(0.15)
        case .info: return Color.accentColor.opacity(0.12)
        }
    }

    /// A word-free mark beside a notice of this kind (SF Symbols), hidden from VoiceOver: the text says it.
    static func noticeSymbol(_ kind: NoticeKind) -> String {
        switch kind {
        case .error: return Symbols.error
        case .warning: return Symbols.warning
        case .info: return Symbols.info
        }
    }
}

/// SF Symbol names the screens draw beside words (identifiers, never shown as text).
enum Symbols {
    static let error = "exclamationmark.octagon.fill"
    static let warning = "exclamationmark.triangle.fill"
    static let info = "info.circle.fill"
    static let selected = "largecircle.fill.circle"
    static let unselected = "circle"
    static let required = "asterisk"
    static let back = "chevron.backward"
}
