import SwiftUI
import azukari_core

/// What the screens send back: the event of a tapped button or an edited field.
typealias Send = (AppEvent) -> Void

/// One section: heading, paragraphs, facts, rows (or the empty text), fields, buttons, in that order.
/// `columns` lays the rows out in a grid on a tablet; `badgeOf` gives the count drawn beside a row.
struct SectionView: View {
    let section: azukari_core.Section
    let send: Send
    var columns: Int = 1
    var badgeOf: (azukari_core.Row) -> UInt32? = { $0.badge }

    var body: some View {
        VStack(alignment: .leading, spacing: Theme.rowSpacing) {
            if let title = section.title {
                Text(title)
                    .font(.headline)
                    .accessibilityAddTraits(.isHeader)
            }
            ForEach(Array(section.paragraphs.enumerated()), id: \.offset) { _, paragraph in
                Text(paragraph)
                    .font(.body)
                    .fixedSize(horizontal: false, vertical: true)
            }
            if !section.facts.isEmpty {
                FactsView(facts: section.facts)
            }
            if !section.rows.isEmpty {
                RowGrid(rows: section.rows, send: send, columns: columns, badgeOf: badgeOf)
            } else if let empty = section.empty {
                Text(empty)
                    .font(.callout)
                    .foregroundStyle(.secondary)
            }
            // Identified by the field, so what was typed into one field (a passphrase) never shows in another.
            ForEach(section.fields, id: \.id) { field in
                FieldView(field: field, send: send)
            }
            if !section.buttons.isEmpty {
                ButtonsView(buttons: section.buttons, send: send)
            }
        }
        .frame(maxWidth: .infinity, alignment: .leading)
    }
}

/// Label–value pairs, label above value (it reads at every text size).
struct FactsView: View {
    let facts: [Fact]

    var body: some View {
        VStack(alignment: .leading, spacing: 6) {
            ForEach(Array(facts.enumerated()), id: \.offset) { _, fact in
                VStack(alignment: .leading, spacing: 2) {
                    Text(fact.label)
                        .font(.subheadline)
                        .foregroundStyle(.secondary)
                    Text(fact.value)
                        .font(.body)
                }
                .accessibilityElement(children: .combine)
            }
        }
    }
}

/// Rows in `columns` equal columns (a plain list for one).
struct RowGrid: View {
    let rows: [azukari_core.Row]
    let send: Send
    var columns: Int = 1
    var badgeOf: (azukari_core.Row) -> UInt32? = { $0.badge }

    var body: some View {
        if columns <= 1 {
            VStack(spacing: Theme.rowSpacing) {
                ForEach(Array(rows.enumerated()), id: \.offset) { _, row in
                    RowView(row: row, send: send, badge: badgeOf(row))
                }
            }
        } else {
            LazyVGrid(
                columns: Array(repeating: GridItem(.flexible(), spacing: Theme.rowSpacing), count: columns),
                alignment: .leading,
                spacing: Theme.rowSpacing
            ) {
                ForEach(Array(rows.enumerated()), id: \.offset) { _, row in
                    RowView(row: row, send: send, badge: badgeOf(row))
                }
            }
        }
    }
}

/// A row as a card: title, details, its severity as the card's colour, a count, and its buttons. Tapping the
/// card does what its first button does (the view says so); every button is drawn too.
struct RowView: View {
    let row: azukari_core.Row
    let send: Send
    var badge: UInt32?

    var body: some View {
        let first = row.buttons.first.flatMap { $0.enabled ? $0 : nil }
        VStack(alignment: .leading, spacing: 4) {
            HStack(alignment: .firstTextBaseline) {
                Text(row.title)
                    .font(.headline)
                    .frame(maxWidth: .infinity, alignment: .leading)
                if let badge, badge > 0 {
                    Text(verbatim: String(badge))
                        .font(.subheadline.bold())
                        .padding(.horizontal, 8)
                        .padding(.vertical, 2)
                        .background(Capsule().fill(Color.red))
                        .foregroundStyle(.white)
                }
            }
            ForEach(Array(row.details.enumerated()), id: \.offset) { _, detail in
                Text(detail)
                    .font(.subheadline)
                    .fixedSize(horizontal: false, vertical: true)
            }
            if !row.buttons.isEmpty {
                ButtonsView(buttons: row.buttons, send: send, compact: true)
            }
        }
        .padding(.horizontal, 16)
        .padding(.vertical, 12)
        .frame(maxWidth: .infinity, minHeight: Theme.minTouchTarget, alignment: .leading)
        .background(RoundedRectangle(cornerRadius: 12).fill(Theme.rowBackground(row.severity)))
        .contentShape(RoundedRectangle(cornerRadius: 12))
        .onTapGesture {
            if let first { send(first.event) }
        }
        .accessibilityElement(children: .contain)
    }
}

/// Buttons side by side where they fit, one under another where they do not (large text sizes).
struct ButtonsView: View {
    let buttons: [azukari_core.Button]
    let send: Send
    var compact: Bool = false

    var body: some View {
        ViewThatFits(in: .horizontal) {
            HStack(spacing: Theme.rowSpacing) { all }
            VStack(alignment: .leading, spacing: Theme.rowSpacing) { all }
        }
    }

    private var all: some View {
        ForEach(Array(buttons.enumerated()), id: \.offset) { _, button in
            ButtonView(button: button, send: send, compact: compact)
        }
    }
}

/// One button of the view: its label, its style, enabled as the view says, at least 44 pt high.
struct ButtonView: View {
    let button: azukari_core.Button
    let send: Send
    var compact: Bool = false

    var body: some View {
        let action = { send(button.event) }
        let label = Text(button.label)
            .font(.body.weight(button.style == .primary ? .semibold : .regular))
            .frame(minWidth: compact ? nil : 120, minHeight: Theme.minTouchTarget)
        switch button.style {
        case .primary:
            SwiftUI.Button(action: action) { label }
                .buttonStyle(.borderedProminent)
                .disabled(!button.enabled)
        case .destructive:
            SwiftUI.Button(role: .destructive, action: action) { label }
                .buttonStyle(.borderedProminent)
                .tint(.red)
                .disabled(!button.enabled)
        case .secondary:
            SwiftUI.Button(action: action) { label }
                .buttonStyle(.bordered)
                .disabled(!button.enabled)
        }
    }
}

/// An input field. What is typed goes to the core at once (`AppEvent.edit`); the core's value wins when it
/// changes it (cleared after a submit). A secret is never kept here beyond the field itself.
struct FieldView: View {
    let field: Field
    let send: Send
    @State private var text: String = ""

    var body: some View {
        switch field.kind {
        case .oneOf(let choices):
            ChoicesView(field: field, choices: choices, send: send)
        default:
            VStack(alignment: .leading, spacing: 4) {
                FieldLabel(field: field)
                input
                    .overlay(
                        RoundedRectangle(cornerRadius: 8)
                            .stroke(field.error == nil ? Color.secondary : Color.red, lineWidth: 1)
                    )
                FieldHelp(field: field)
            }
            .onAppear { text = field.value }
            .onChange(of: field.value) { value in
                if case .secret = field.kind { return }
                if value != text { text = value }
            }
        }
    }

    /// What is typed: kept here for the text field, and sent to the core on every change.
    private var typed: Binding<String> {
        Binding(
            get: { text },
            set: { value in
                text = value
                send(.edit(field: field.id, value: value))
            }
        )
    }

    /// The text field for the field's kind, at least 44 pt high.
    private var input: some View {
        Group {
            switch field.kind {
            case .secret:
                SecureField(field.label, text: typed)
                    .textContentType(.password)
            case .multiLine:
                TextField(field.label, text: typed, axis: .vertical)
                    .lineLimit(3...8)
            case .number:
                TextField(field.label, text: typed)
                    .keyboardType(.numberPad)
            case .date:
                // Sent as YYYY-MM-DD, as typed: the core reads and checks it.
                TextField(field.label, text: typed)
                    .keyboardType(.numbersAndPunctuation)
            case .text, .oneOf:
                TextField(field.label, text: typed)
            }
        }
        .font(.body)
        .padding(10)
        .frame(minHeight: Theme.minTouchTarget)
    }
}

/// A field's label, with the view's own mark for a required field drawn as a symbol, not a word.
struct FieldLabel: View {
    let field: Field

    var body: some View {
        HStack(spacing: 4) {
            Text(field.label)
                .font(.subheadline.weight(.semibold))
            if field.required {
                Image(systemName: Symbols.required)
                    .font(.caption2)
                    .foregroundStyle(.red)
                    .accessibilityHidden(true)
            }
        }
    }
}

/// A field's error (in red) or else its hint.
struct FieldHelp: View {
    let field: Field

    var body: some View {
        if let error = field.error {
            Text(error)
                .font(.footnote)
                .foregroundStyle(.red)
        } else if let hint = field.hint {
            Text(hint)
                .font(.footnote)
                .foregroundStyle(.secondary)
        }
    }
}

/// One of a few choices as a list of radio-like rows (each 44 pt high); many as a menu.
struct ChoicesView: View {
    let field: Field
    let choices: [Choice]
    let send: Send

    /// More choices than this are drawn as a menu, as on Android.
    private static let maxListed = 6

    var body: some View {
        VStack(alignment: .leading, spacing: 4) {
            FieldLabel(field: field)
            if choices.count <= Self.maxListed {
                ForEach(Array(choices.enumerated()), id: \.offset) { _, choice in
                    let selected = choice.value == field.value
                    SwiftUI.Button {
                        send(.edit(field: field.id, value: choice.value))
                    } label: {
                        HStack {
                            Image(systemName: selected ? Symbols.selected : Symbols.unselected)
                                .accessibilityHidden(true)
                            Text(choice.label)
                                .frame(maxWidth: .infinity, alignment: .leading)
                        }
                        .frame(minHeight: Theme.minTouchTarget)
                        .contentShape(Rectangle())
                    }
                    .buttonStyle(.plain)
                    .accessibilityAddTraits(selected ? [.isSelected] : [])
                }
            } else {
                Menu {
                    ForEach(Array(choices.enumerated()), id: \.offset) { _, choice in
                        SwiftUI.Button(choice.label) {
                            send(.edit(field: field.id, value: choice.value))
                        }
                    }
                } label: {
                    Text(choices.first(where: { $0.value == field.value })?.label ?? field.hint ?? field.label)
                        .frame(maxWidth: .infinity, minHeight: Theme.minTouchTarget, alignment: .leading)
                }
                .buttonStyle(.bordered)
            }
            FieldHelp(field: field)
        }
    }
}
