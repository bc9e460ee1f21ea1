import SwiftUI
import azukari_core

/// The whole app: the frame every screen shares (back, title, who is signed in, notices, work under way, the
/// request's prompt) around the screen's own drawing. `failure` is the core's text when it could not go on.
struct AppFrame: View {
    let view: AppView
    let failure: String?
    let send: Send

    var body: some View {
        GeometryReader { geometry in
            let tablet = geometry.size.width >= Theme.tabletWidth
            VStack(spacing: 0) {
                TopBar(view: view, send: send)
                ScrollView {
                    VStack(alignment: .leading, spacing: 16) {
                        if let failure {
                            NoticeView(kind: .error, text: failure)
                        }
                        ForEach(Array(view.notices.enumerated()), id: \.offset) { _, notice in
                            NoticeView(kind: notice.kind, text: notice.text)
                        }
                        if let busy = view.busy {
                            BusyView(progress: busy)
                        }
                        if let progress = view.progress {
                            ProgressBar(progress: progress)
                        }
                        if let request = view.request {
                            RequestPrompt(request: request, send: send)
                        }
                        ScreenView(view: view, send: send, tablet: tablet)
                    }
                    .padding(.horizontal, tablet ? 32 : 16)
                    .padding(.vertical, 12)
                }
            }
        }
    }
}

/// One drawing per screen of the core's app.
struct ScreenView: View {
    let view: AppView
    let send: Send
    let tablet: Bool

    var body: some View {
        switch view.screen {
        case .unlock: UnlockScreen(view: view, send: send)
        case .signIn: SignInScreen(view: view, send: send, tablet: tablet)
        case .home: HomeScreen(view: view, send: send, tablet: tablet)
        case .handover: HandoverScreen(view: view, send: send, tablet: tablet)
        case .holding: HoldingScreen(view: view, send: send, tablet: tablet)
        case .myRequests: MyRequestsScreen(view: view, send: send, tablet: tablet)
        case .approvals: ApprovalsScreen(view: view, send: send, tablet: tablet)
        case .board: BoardScreen(view: view, send: send, tablet: tablet)
        case .alerts: AlertsScreen(view: view, send: send, tablet: tablet)
        case .audit: AuditScreen(view: view, send: send, tablet: tablet)
        case .incident: IncidentScreen(view: view, send: send, tablet: tablet)
        case .agreements: AgreementsScreen(view: view, send: send, tablet: tablet)
        case .consent: ConsentScreen(view: view, send: send)
        case .setup: SetupScreen(view: view, send: send, tablet: tablet)
        case .labels: LabelsScreen(view: view, send: send, tablet: tablet)
        case .sync: SyncScreen(view: view, send: send)
        case .settings: SettingsScreen(view: view, send: send)
        }
    }
}

/// Back, the title as the screen's heading, and who is signed in.
struct TopBar: View {
    let view: AppView
    let send: Send

    var body: some View {
        HStack(alignment: .center, spacing: 8) {
            if let back = view.back {
                SwiftUI.Button {
                    send(back.event)
                } label: {
                    HStack(spacing: 4) {
                        Image(systemName: Symbols.back)
                            .accessibilityHidden(true)
                        Text(back.label)
                    }
                    .frame(minWidth: Theme.minTouchTarget, minHeight: Theme.minTouchTarget)
                }
                .disabled(!back.enabled)
            }
            VStack(alignment: .leading, spacing: 2) {
                Text(view.title)
                    .font(.title2.bold())
                    .accessibilityAddTraits(.isHeader)
                if let signedIn = view.signedIn {
                    Text(signedIn)
                        .font(.subheadline)
                        .foregroundStyle(.secondary)
                }
            }
            .frame(maxWidth: .infinity, alignment: .leading)
        }
        .padding(.horizontal, 8)
        .padding(.vertical, 8)
        .frame(minHeight: 64)
        .background(Color(uiColor: .secondarySystemBackground))
    }
}

/// A notice at the top: what was refused, what was done, a warning. VoiceOver reads it when it appears.
struct NoticeView: View {
    let kind: NoticeKind
    let text: String

    var body: some View {
        HStack(alignment: .top, spacing: 12) {
            Image(systemName: Theme.noticeSymbol(kind))
                .accessibilityHidden(true)
            Text(text)
                .font(.body)
                .frame(maxWidth: .infinity, alignment: .leading)
                .fixedSize(horizontal: false, vertical: true)
        }
        .padding(16)
        .background(RoundedRectangle(cornerRadius: 12).fill(Theme.noticeBackground(kind)))
        .accessibilityElement(children: .combine)
        .onAppear { UIAccessibility.post(notification: .announcement, argument: text) }
    }
}

/// Long work under way: a spinner and the view's words.
struct BusyView: View {
    let progress: azukari_core.Progress

    var body: some View {
        HStack(spacing: 12) {
            ProgressView()
            Text(progress.text)
                .font(.body)
        }
    }
}

/// How far the screen's task is (the audit): the view's words and, when it can be counted, a bar.
struct ProgressBar: View {
    let progress: azukari_core.Progress

    var body: some View {
        VStack(alignment: .leading, spacing: 4) {
            if let done = progress.done, let total = progress.total, total > 0 {
                ProgressView(value: Double(done), total: Double(total)) {
                    Text(progress.text)
                        .font(.body)
                }
            } else {
                Text(progress.text)
                    .font(.body)
            }
        }
    }
}

/// What the person is asked to do while the platform works (hold the card, point the camera), with the view's
/// button that closes the camera or the reader (it sends `scanCancelled` / `cardCancelled`).
struct RequestPrompt: View {
    let request: PlatformRequest
    let send: Send

    var body: some View {
        switch request {
        case .scanQr(let prompt, let cancel):
            prompting(prompt, cancel: cancel, cancelled: .scanCancelled)
        case .tapCard(let prompt, let cancel):
            prompting(prompt, cancel: cancel, cancelled: .cardCancelled)
        case .syncNow, .joinHub, .shareFile:
            EmptyView()
        }
    }

    private func prompting(_ prompt: String, cancel: String, cancelled: AppEvent) -> some View {
        VStack(alignment: .leading, spacing: 12) {
            HStack(spacing: 12) {
                ProgressView()
                Text(prompt)
                    .font(.headline)
                    .frame(maxWidth: .infinity, alignment: .leading)
            }
            .accessibilityElement(children: .combine)
            SwiftUI.Button {
                send(cancelled)
            } label: {
                Text(cancel)
                    .font(.body)
                    .frame(minWidth: 120, minHeight: Theme.minTouchTarget)
            }
            .buttonStyle(.bordered)
        }
        .padding(16)
        .background(RoundedRectangle(cornerRadius: 12).fill(Color.accentColor.opacity(0.12)))
    }
}
