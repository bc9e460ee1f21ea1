package jp.azukari.screens

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.Spacer
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.widthIn
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import uniffi.azukari_core.AppEvent
import uniffi.azukari_core.AppView
import uniffi.azukari_core.Row as RowView

// One composable per ScreenKind. Each only chooses a layout for the sections the core built; what is shown, in
// which order, with which buttons, is the view's.

@Composable
fun UnlockScreen(view: AppView, send: Send) = Form(view, send)

@Composable
fun SignInScreen(view: AppView, send: Send, room: Room) = Page(view, send, columns = if (room == Room.TABLET) 2 else 1)

@Composable
fun HomeScreen(view: AppView, send: Send, room: Room) {
    // The entries as tiles, each with the count the view gives for its screen.
    val badgeOf = { row: RowView ->
        row.badge ?: (row.buttons.firstOrNull()?.event as? AppEvent.Open)?.let { open ->
            view.badges.firstOrNull { it.screen == open.screen }?.count
        }
    }
    Page(view, send, columns = when (room) { Room.TABLET -> 3; Room.PHONE -> 2; Room.NARROW -> 1 }, badgeOf = badgeOf)
}

@Composable
fun HandoverScreen(view: AppView, send: Send, room: Room) =
    if (room == Room.TABLET) Page(view, send, columns = 2) else Form(view, send)

@Composable
fun HoldingScreen(view: AppView, send: Send, room: Room) = Page(view, send, columns = if (room == Room.TABLET) 2 else 1)

@Composable
fun MyRequestsScreen(view: AppView, send: Send, room: Room) = Page(view, send, columns = if (room == Room.TABLET) 2 else 1)

@Composable
fun ApprovalsScreen(view: AppView, send: Send, room: Room) = Page(view, send, columns = if (room == Room.TABLET) 2 else 1)

@Composable
fun BoardScreen(view: AppView, send: Send, room: Room) = Page(view, send, columns = if (room == Room.TABLET) 3 else 1)

@Composable
fun AlertsScreen(view: AppView, send: Send, room: Room) = Page(view, send, columns = if (room == Room.TABLET) 2 else 1)

@Composable
fun AuditScreen(view: AppView, send: Send, room: Room) = Page(view, send, columns = if (room == Room.TABLET) 2 else 1)

@Composable
fun IncidentScreen(view: AppView, send: Send, room: Room) =
    if (room == Room.TABLET) Page(view, send, columns = 1) else Form(view, send)

@Composable
fun AgreementsScreen(view: AppView, send: Send, room: Room) = Page(view, send, columns = if (room == Room.TABLET) 2 else 1)

@Composable
fun ConsentScreen(view: AppView, send: Send) = Form(view, send)

@Composable
fun SetupScreen(view: AppView, send: Send, room: Room) = Page(view, send, columns = if (room == Room.TABLET) 2 else 1)

@Composable
fun LabelsScreen(view: AppView, send: Send, room: Room) = Page(view, send, columns = if (room == Room.TABLET) 2 else 1)

@Composable
fun SyncScreen(view: AppView, send: Send) = Form(view, send)

@Composable
fun SettingsScreen(view: AppView, send: Send) = Form(view, send)

/** Sections one under another in a column narrow enough to read (a form, an agreement's text), the buttons
 *  across its width: big targets for a hand holding a card. */
@Composable
fun Form(view: AppView, send: Send) {
    Box(Modifier.fillMaxWidth(), contentAlignment = Alignment.TopCenter) {
        Column(Modifier.widthIn(max = 560.dp).fillMaxWidth(), verticalArrangement = Arrangement.spacedBy(24.dp)) {
            view.sections.forEach { SectionView(it, send, fillButtons = true) }
        }
    }
}

/** Sections one under another, their rows in [columns] columns. */
@Composable
fun Page(view: AppView, send: Send, columns: Int, badgeOf: (RowView) -> UInt? = { it.badge }) {
    Column(verticalArrangement = Arrangement.spacedBy(24.dp)) {
        view.sections.forEach { section ->
            SectionView(section, send, rows = { rows -> RowGrid(rows, send, columns, badgeOf) })
        }
    }
}

/** Rows in a grid of [columns] equal columns (a plain column for one). */
@Composable
fun RowGrid(rows: List<RowView>, send: Send, columns: Int, badgeOf: (RowView) -> UInt? = { it.badge }) {
    if (columns <= 1) {
        RowList(rows, send, badgeOf)
        return
    }
    Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
        rows.chunked(columns).forEach { line ->
            Row(horizontalArrangement = Arrangement.spacedBy(8.dp), modifier = Modifier.fillMaxWidth()) {
                line.forEach { row -> Box(Modifier.weight(1f)) { RowCard(row, send, badgeOf(row)) } }
                repeat(columns - line.size) { Spacer(Modifier.weight(1f)) }
            }
        }
    }
}
