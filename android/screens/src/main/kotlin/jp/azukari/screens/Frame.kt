package jp.azukari.screens

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.BoxWithConstraints
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalDensity
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.Dp
import androidx.compose.ui.unit.dp
import uniffi.azukari_core.AppEvent
import uniffi.azukari_core.AppView
import uniffi.azukari_core.Notice
import uniffi.azukari_core.NoticeKind
import uniffi.azukari_core.PlatformRequest
import uniffi.azukari_core.Progress
import uniffi.azukari_core.ScreenKind

/**
 * How much room a screen has for its text: the width divided by the font scale, so a phone at the largest system
 * font is laid out like a narrow one (one column), and a tablet like a phone when its text is huge.
 */
enum class Room { NARROW, PHONE, TABLET }

fun roomFor(width: Dp, fontScale: Float): Room {
    val textWidth = width / fontScale
    return when {
        textWidth >= 600.dp -> Room.TABLET
        textWidth >= 300.dp -> Room.PHONE
        else -> Room.NARROW
    }
}

/**
 * The whole app: the frame every screen shares (back, title, who is signed in, notices, work under way, the
 * request's prompt) around the screen's own drawing. [failure] is the core's text when it could not go on.
 */
@Composable
fun AppFrame(view: AppView, send: Send, failure: String? = null, modifier: Modifier = Modifier) {
    AzukariTheme {
        Surface(modifier.fillMaxSize(), color = MaterialTheme.colorScheme.background) {
            BoxWithConstraints {
                val room = roomFor(maxWidth, LocalDensity.current.fontScale)
                val tablet = room == Room.TABLET
                Column(Modifier.fillMaxSize()) {
                    TopBar(view, send)
                    Column(
                        Modifier.fillMaxSize().verticalScroll(rememberScrollState())
                            .padding(horizontal = if (tablet) 32.dp else 16.dp, vertical = 12.dp),
                        verticalArrangement = Arrangement.spacedBy(16.dp),
                    ) {
                        failure?.let { NoticeCard(Notice(NoticeKind.ERROR, it)) }
                        view.notices.forEach { NoticeCard(it) }
                        view.busy?.let { Busy(it) }
                        view.progress?.let { ProgressBar(it) }
                        view.request?.let { RequestPrompt(it, send) }
                        Screen(view, send, room)
                    }
                }
            }
        }
    }
}

/** One drawing per screen of the core's app. */
@Composable
fun Screen(view: AppView, send: Send, room: Room) {
    when (view.screen) {
        ScreenKind.UNLOCK -> UnlockScreen(view, send)
        ScreenKind.SIGN_IN -> SignInScreen(view, send, room)
        ScreenKind.HOME -> HomeScreen(view, send, room)
        ScreenKind.HANDOVER -> HandoverScreen(view, send, room)
        ScreenKind.HOLDING -> HoldingScreen(view, send, room)
        ScreenKind.MY_REQUESTS -> MyRequestsScreen(view, send, room)
        ScreenKind.APPROVALS -> ApprovalsScreen(view, send, room)
        ScreenKind.BOARD -> BoardScreen(view, send, room)
        ScreenKind.ALERTS -> AlertsScreen(view, send, room)
        ScreenKind.AUDIT -> AuditScreen(view, send, room)
        ScreenKind.INCIDENT -> IncidentScreen(view, send, room)
        ScreenKind.AGREEMENTS -> AgreementsScreen(view, send, room)
        ScreenKind.CONSENT -> ConsentScreen(view, send)
        ScreenKind.SETUP -> SetupScreen(view, send, room)
        ScreenKind.LABELS -> LabelsScreen(view, send, room)
        ScreenKind.SYNC -> SyncScreen(view, send)
        ScreenKind.SETTINGS -> SettingsScreen(view, send)
    }
}

@Composable
private fun TopBar(view: AppView, send: Send) {
    Surface(color = MaterialTheme.colorScheme.primaryContainer, modifier = Modifier.fillMaxWidth()) {
        Row(
            verticalAlignment = Alignment.CenterVertically,
            modifier = Modifier.fillMaxWidth().heightIn(min = 64.dp).padding(horizontal = 8.dp, vertical = 8.dp),
        ) {
            view.back?.let { back ->
                TextButton(
                    onClick = { send(back.event) },
                    enabled = back.enabled,
                    modifier = Modifier.heightIn(min = MinTouchTarget),
                ) { Text(back.label, style = MaterialTheme.typography.labelLarge) }
            }
            Column(Modifier.weight(1f).padding(horizontal = 8.dp)) {
                Text(
                    view.title,
                    style = MaterialTheme.typography.titleLarge,
                    color = MaterialTheme.colorScheme.onPrimaryContainer,
                    modifier = Modifier.semantics { heading() },
                )
                view.signedIn?.let {
                    Text(it, style = MaterialTheme.typography.bodyMedium, color = MaterialTheme.colorScheme.onPrimaryContainer)
                }
            }
        }
    }
}

@Composable
fun NoticeCard(notice: Notice) {
    val colors = when (notice.kind) {
        NoticeKind.ERROR -> CardDefaults.cardColors(
            containerColor = MaterialTheme.colorScheme.errorContainer,
            contentColor = MaterialTheme.colorScheme.onErrorContainer,
        )
        NoticeKind.WARNING -> CardDefaults.cardColors(
            containerColor = MaterialTheme.colorScheme.tertiaryContainer,
            contentColor = MaterialTheme.colorScheme.onTertiaryContainer,
        )
        NoticeKind.INFO -> CardDefaults.cardColors(
            containerColor = MaterialTheme.colorScheme.secondaryContainer,
            contentColor = MaterialTheme.colorScheme.onSecondaryContainer,
        )
    }
    Card(colors = colors, modifier = Modifier.fillMaxWidth().semantics { liveRegion = LiveRegionMode.Polite }) {
        Text(notice.text, style = MaterialTheme.typography.bodyLarge, modifier = Modifier.padding(16.dp))
    }
}

@Composable
private fun Busy(progress: Progress) {
    Row(verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(12.dp)) {
        CircularProgressIndicator(Modifier.size(24.dp), strokeWidth = 3.dp)
        Text(progress.text, style = MaterialTheme.typography.bodyLarge)
    }
}

@Composable
private fun ProgressBar(progress: Progress) {
    Column(verticalArrangement = Arrangement.spacedBy(4.dp)) {
        Text(progress.text, style = MaterialTheme.typography.bodyLarge)
        val done = progress.done
        val total = progress.total
        if (done != null && total != null && total > 0u) {
            LinearProgressIndicator(progress = done.toFloat() / total.toFloat(), modifier = Modifier.fillMaxWidth())
        }
    }
}

/** What the person is asked to do while the platform works (hold the card, point the camera), and the way to stop. */
@Composable
private fun RequestPrompt(request: PlatformRequest, send: Send) {
    val (prompt, cancel, cancelled) = when (request) {
        is PlatformRequest.ScanQr -> Triple(request.prompt, request.cancel, AppEvent.ScanCancelled)
        is PlatformRequest.TapCard -> Triple(request.prompt, request.cancel, AppEvent.CardCancelled)
        else -> return
    }
    Card(
        colors = CardDefaults.cardColors(containerColor = MaterialTheme.colorScheme.primaryContainer),
        modifier = Modifier.fillMaxWidth().semantics { liveRegion = LiveRegionMode.Assertive },
    ) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
            Row(verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(12.dp)) {
                CircularProgressIndicator(Modifier.size(24.dp), strokeWidth = 3.dp)
                Text(prompt, style = MaterialTheme.typography.titleMedium)
            }
            OutlinedButton(onClick = { send(cancelled) }, modifier = Modifier.heightIn(min = MinTouchTarget)) {
                Text(cancel, style = MaterialTheme.typography.labelLarge)
            }
        }
    }
}
