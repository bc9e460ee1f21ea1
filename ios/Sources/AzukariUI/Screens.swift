import SwiftUI
import azukari_core

// One view per ScreenKind, as on Android (android/screens/.../Screens.kt). Each only chooses a layout for the
// sections the core built; what is shown, in which order, with which buttons, is the view's.

struct UnlockScreen: View {
    let view: AppView
    let send: Send
    var body: some View { FormLayout(view: view, send: send) }
}

struct SignInScreen: View {
    let view: AppView
    let send: Send
    let tablet: Bool
    var body: some View { PageLayout(view: view, send: send, columns: tablet ? 2 : 1) }
}

struct HomeScreen: View {
    let view: AppView
    let send: Send
    let tablet: Bool

    var body: some View {
        // The entries as tiles, each with the count the view gives for the screen it opens.
        PageLayout(view: view, send: send, columns: tablet ? 3 : 2) { row in
            if let badge = row.badge { return badge }
            guard case .open(let screen)? = row.buttons.first?.event else { return nil }
            return view.badges.first(where: { $0.screen == screen })?.count
        }
    }
}

struct HandoverScreen: View {
    let view: AppView
    let send: Send
    let tablet: Bool

    var body: some View {
        if tablet {
            PageLayout(view: view, send: send, columns: 2)
        } else {
            FormLayout(view: view, send: send)
        }
    }
}

struct HoldingScreen: View {
    let view: AppView
    let send: Send
    let tablet: Bool
    var body: some View { PageLayout(view: view, send: send, columns: tablet ? 2 : 1) }
}

struct MyRequestsScreen: View {
    let view: AppView
    let send: Send
    let tablet: Bool
    var body: some View { PageLayout(view: view, send: send, columns: tablet ? 2 : 1) }
}

struct ApprovalsScreen: View {
    let view: AppView
    let send: Send
    let tablet: Bool
    var body: some View { PageLayout(view: view, send: send, columns: tablet ? 2 : 1) }
}

struct BoardScreen: View {
    let view: AppView
    let send: Send
    let tablet: Bool
    var body: some View { PageLayout(view: view, send: send, columns: tablet ? 3 : 1) }
}

struct AlertsScreen: View {
    let view: AppView
    let send: Send
    let tablet: Bool
    var body: some View { PageLayout(view: view, send: send, columns: tablet ? 2 : 1) }
}

struct AuditScreen: View {
    let view: AppView
    let send: Send
    let tablet: Bool
    var body: some View { PageLayout(view: view, send: send, columns: tablet ? 2 : 1) }
}

struct IncidentScreen: View {
    let view: AppView
    let send: Send
    let tablet: Bool

    var body: some View {
        if tablet {
            PageLayout(view: view, send: send, columns: 1)
        } else {
            FormLayout(view: view, send: send)
        }
    }
}

struct AgreementsScreen: View {
    let view: AppView
    let send: Send
    let tablet: Bool
    var body: some View { PageLayout(view: view, send: send, columns: tablet ? 2 : 1) }
}

struct ConsentScreen: View {
    let view: AppView
    let send: Send
    var body: some View { FormLayout(view: view, send: send) }
}

struct SetupScreen: View {
    let view: AppView
    let send: Send
    let tablet: Bool
    var body: some View { PageLayout(view: view, send: send, columns: tablet ? 2 : 1) }
}

struct LabelsScreen: View {
    let view: AppView
    let send: Send
    let tablet: Bool
    var body: some View { PageLayout(view: view, send: send, columns: tablet ? 2 : 1) }
}

struct SyncScreen: View {
    let view: AppView
    let send: Send
    var body: some View { FormLayout(view: view, send: send) }
}

struct SettingsScreen: View {
    let view: AppView
    let send: Send
    var body: some View { FormLayout(view: view, send: send) }
}

/// Sections one under another in a column narrow enough to read (a form, an agreement's text).
struct FormLayout: View {
    let view: AppView
    let send: Send

    var body: some View {
        VStack(alignment: .leading, spacing: Theme.sectionSpacing) {
            ForEach(Array(view.sections.enumerated()), id: \.offset) { _, section in
                SectionView(section: section, send: send)
            }
        }
        .frame(maxWidth: Theme.formWidth)
        .frame(maxWidth: .infinity)
    }
}

/// Sections one under another, their rows in `columns` columns.
struct PageLayout: View {
    let view: AppView
    let send: Send
    let columns: Int
    var badgeOf: (azukari_core.Row) -> UInt32? = { $0.badge }

    var body: some View {
        VStack(alignment: .leading, spacing: Theme.sectionSpacing) {
            ForEach(Array(view.sections.enumerated()), id: \.offset) { _, section in
                SectionView(section: section, send: send, columns: columns, badgeOf: badgeOf)
            }
        }
    }
}
