package jp.azukari.screens

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.Spacer
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.width
import androidx.compose.foundation.layout.widthIn
import androidx.compose.foundation.selection.selectable
import androidx.compose.foundation.selection.selectableGroup
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.material3.Badge
import androidx.compose.material3.Button
import androidx.compose.material3.ButtonDefaults
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.DropdownMenu
import androidx.compose.material3.DropdownMenuItem
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.RadioButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.semantics.error
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.text.input.PasswordVisualTransformation
import androidx.compose.ui.unit.dp
import uniffi.azukari_core.AppEvent
import uniffi.azukari_core.ButtonStyle
import uniffi.azukari_core.Fact
import uniffi.azukari_core.Field
import uniffi.azukari_core.FieldKind
import uniffi.azukari_core.Section
import uniffi.azukari_core.Severity
import uniffi.azukari_core.Button as ButtonView
import uniffi.azukari_core.Row as RowView

/** What the screens send back: the event of a tapped button or an edited field. */
typealias Send = (AppEvent) -> Unit

/** One section: heading, paragraphs, facts, rows (or the empty text), fields, buttons, in that order. */
@Composable
fun SectionView(
    section: Section,
    send: Send,
    modifier: Modifier = Modifier,
    fillButtons: Boolean = false,
    rows: @Composable (List<RowView>) -> Unit = { RowList(it, send) },
) {
    Column(modifier.fillMaxWidth(), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        section.title?.let {
            Text(
                it,
                style = MaterialTheme.typography.titleLarge,
                fontWeight = FontWeight.SemiBold,
                color = MaterialTheme.colorScheme.primary,
                modifier = Modifier.semantics { heading() },
            )
        }
        section.paragraphs.forEach { Text(it, style = MaterialTheme.typography.bodyLarge) }
        if (section.facts.isNotEmpty()) Facts(section.facts)
        if (section.rows.isNotEmpty()) rows(section.rows) else section.empty?.let {
            Text(it, style = MaterialTheme.typography.bodyMedium, color = MaterialTheme.colorScheme.onSurfaceVariant)
        }
        section.fields.forEach { FieldView(it, send) }
        if (section.buttons.isNotEmpty()) Buttons(section.buttons, send, fill = fillButtons)
    }
}

/** Label–value pairs, label above value on a phone. */
@Composable
fun Facts(facts: List<Fact>) {
    Column(verticalArrangement = Arrangement.spacedBy(6.dp)) {
        facts.forEach { fact ->
            Column {
                Text(fact.label, style = MaterialTheme.typography.labelLarge, color = MaterialTheme.colorScheme.onSurfaceVariant)
                Text(fact.value, style = MaterialTheme.typography.bodyLarge)
            }
        }
    }
}

/** Rows one under another. */
@Composable
fun RowList(rows: List<RowView>, send: Send, badgeOf: (RowView) -> UInt? = { it.badge }) {
    Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
        rows.forEach { RowCard(it, send, badgeOf(it)) }
    }
}

/**
 * A row as a card: title, details, its severity as the card's colour and a word-free stripe, a count, and its
 * buttons. Tapping the card does what its first button does (the view says so); every button is drawn too.
 */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun RowCard(row: RowView, send: Send, badge: UInt? = row.badge, modifier: Modifier = Modifier) {
    val first = row.buttons.firstOrNull()?.takeIf { it.enabled }
    val colors = when (row.severity) {
        Severity.URGENT -> CardDefaults.cardColors(containerColor = MaterialTheme.colorScheme.errorContainer)
        Severity.WARNING -> CardDefaults.cardColors(containerColor = MaterialTheme.colorScheme.tertiaryContainer)
        else -> CardDefaults.cardColors()
    }
    Card(
        colors = colors,
        modifier = modifier.fillMaxWidth().heightIn(min = MinTouchTarget)
            .then(if (first != null) Modifier.clickable(onClickLabel = first.label, role = Role.Button) { send(first.event) } else Modifier),
    ) {
        Column(Modifier.padding(horizontal = 16.dp, vertical = 12.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            Row(verticalAlignment = Alignment.CenterVertically) {
                Text(row.title, style = MaterialTheme.typography.titleMedium, fontWeight = FontWeight.SemiBold, modifier = Modifier.weight(1f))
                if (badge != null && badge > 0u) {
                    Badge(modifier = Modifier.padding(start = 8.dp)) { Text(badge.toString()) }
                }
            }
            row.details.forEach { Text(it, style = MaterialTheme.typography.bodyMedium) }
            if (row.buttons.isNotEmpty()) Buttons(row.buttons, send, compact = true)
        }
    }
}

/**
 * Buttons side by side where they fit (or one under another across the whole width, [fill], for a phone's form),
 * each at least 48 dp high; the primary one filled, a destructive one red.
 */
@OptIn(ExperimentalLayoutApi::class)
@Composable
fun Buttons(buttons: List<ButtonView>, send: Send, compact: Boolean = false, fill: Boolean = false) {
    if (fill) {
        Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
            buttons.forEach { ActionButton(it, send, Modifier.fillMaxWidth()) }
        }
        return
    }
    FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        buttons.forEach { ActionButton(it, send, Modifier.then(if (compact) Modifier else Modifier.widthIn(min = 120.dp))) }
    }
}

@Composable
fun ActionButton(button: ButtonView, send: Send, modifier: Modifier = Modifier) {
    val sized = modifier.heightIn(min = MinTouchTarget)
    val content: @Composable () -> Unit = { Text(button.label, style = MaterialTheme.typography.labelLarge) }
    when (button.style) {
        ButtonStyle.PRIMARY -> Button(onClick = { send(button.event) }, enabled = button.enabled, modifier = sized) { content() }
        ButtonStyle.DESTRUCTIVE -> Button(
            onClick = { send(button.event) },
            enabled = button.enabled,
            modifier = sized,
            colors = ButtonDefaults.buttonColors(
                containerColor = MaterialTheme.colorScheme.error,
                contentColor = MaterialTheme.colorScheme.onError,
            ),
        ) { content() }
        ButtonStyle.SECONDARY -> OutlinedButton(onClick = { send(button.event) }, enabled = button.enabled, modifier = sized) { content() }
    }
}

/** An input field. What is typed goes to the core at once ([AppEvent.Edit]); the core's value wins when it
 *  changes it (cleared after a submit). A secret is never kept here beyond the field itself. */
@Composable
fun FieldView(field: Field, send: Send) {
    val kind = field.kind
    if (kind is FieldKind.OneOf) {
        Choices(field, kind, send)
        return
    }
    var text by remember(field.id, if (kind is FieldKind.Secret) Unit else field.value) { mutableStateOf(field.value) }
    val label = if (field.required) "${field.label} *" else field.label
    OutlinedTextField(
        value = text,
        onValueChange = {
            text = it
            send(AppEvent.Edit(field.id, it))
        },
        label = { Text(label) },
        supportingText = (field.error ?: field.hint)?.let { { Text(it) } },
        isError = field.error != null,
        singleLine = kind !is FieldKind.MultiLine,
        minLines = if (kind is FieldKind.MultiLine) 3 else 1,
        visualTransformation = if (kind is FieldKind.Secret) PasswordVisualTransformation() else androidx.compose.ui.text.input.VisualTransformation.None,
        keyboardOptions = KeyboardOptions(
            keyboardType = when (kind) {
                is FieldKind.Number -> KeyboardType.Number
                is FieldKind.Secret -> KeyboardType.Password
                else -> KeyboardType.Text
            },
        ),
        modifier = Modifier.fillMaxWidth().testTag("field-${field.id.name}")
            .semantics { field.error?.let { error(it) } },
    )
}

/** One of a few choices as radio buttons (each row 48 dp high); many as a menu. */
@Composable
fun Choices(field: Field, kind: FieldKind.OneOf, send: Send) {
    val label = if (field.required) "${field.label} *" else field.label
    Column(Modifier.fillMaxWidth().testTag("field-${field.id.name}")) {
        Text(label, style = MaterialTheme.typography.labelLarge)
        if (kind.choices.size <= MAX_RADIO_CHOICES) {
            Column(Modifier.selectableGroup()) {
                kind.choices.forEach { choice ->
                    Row(
                        verticalAlignment = Alignment.CenterVertically,
                        modifier = Modifier.fillMaxWidth().heightIn(min = MinTouchTarget)
                            .selectable(selected = choice.value == field.value, role = Role.RadioButton) {
                                send(AppEvent.Edit(field.id, choice.value))
                            },
                    ) {
                        RadioButton(selected = choice.value == field.value, onClick = null)
                        Spacer(Modifier.width(8.dp))
                        Text(choice.label, style = MaterialTheme.typography.bodyLarge)
                    }
                }
            }
        } else {
            var open by remember { mutableStateOf(false) }
            val current = kind.choices.firstOrNull { it.value == field.value }
            Box {
                OutlinedButton(onClick = { open = true }, modifier = Modifier.fillMaxWidth().heightIn(min = MinTouchTarget)) {
                    Text(current?.label ?: field.hint ?: "", modifier = Modifier.weight(1f))
                }
                DropdownMenu(expanded = open, onDismissRequest = { open = false }) {
                    kind.choices.forEach { choice ->
                        DropdownMenuItem(
                            text = { Text(choice.label) },
                            onClick = {
                                open = false
                                send(AppEvent.Edit(field.id, choice.value))
                            },
                            modifier = Modifier.heightIn(min = MinTouchTarget),
                        )
                    }
                }
            }
        }
        (field.error ?: field.hint)?.let {
            Text(
                it,
                style = MaterialTheme.typography.bodySmall,
                color = if (field.error != null) MaterialTheme.colorScheme.error else MaterialTheme.colorScheme.onSurfaceVariant,
            )
        }
    }
}

private const val MAX_RADIO_CHOICES = 6

/** The colour a severity is drawn in, for marks beside text (never the only sign: the text says it too). */
@Composable
fun severityColor(severity: Severity?): Color = when (severity) {
    Severity.URGENT -> MaterialTheme.colorScheme.error
    Severity.WARNING -> MaterialTheme.colorScheme.tertiary
    else -> MaterialTheme.colorScheme.primary
}
