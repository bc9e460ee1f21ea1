package jp.azukari.screens

import androidx.compose.material3.ColorScheme
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.darkColorScheme
import androidx.compose.material3.lightColorScheme
import androidx.compose.runtime.Composable
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.unit.dp

/** The smallest size of anything a person taps (Material's 48 dp): gloved hands, a hurried night shift. */
val MinTouchTarget = 48.dp

/** Colours of the app: calm, high contrast; red only for what must not be missed. */
private val Light: ColorScheme = lightColorScheme(
    primary = Color(0xFF2F5D8A),
    onPrimary = Color.White,
    primaryContainer = Color(0xFFD3E4F7),
    onPrimaryContainer = Color(0xFF0B2541),
    secondary = Color(0xFF56606B),
    onSecondary = Color.White,
    error = Color(0xFFB3261E),
    onError = Color.White,
    errorContainer = Color(0xFFF9DEDC),
    onErrorContainer = Color(0xFF410E0B),
    tertiary = Color(0xFF7A5900),
    tertiaryContainer = Color(0xFFFFDF9E),
    onTertiaryContainer = Color(0xFF261A00),
)

private val Dark: ColorScheme = darkColorScheme(
    primary = Color(0xFFA2C9F2),
    onPrimary = Color(0xFF0B2541),
    primaryContainer = Color(0xFF17436B),
    onPrimaryContainer = Color(0xFFD3E4F7),
    error = Color(0xFFF2B8B5),
    onError = Color(0xFF601410),
    errorContainer = Color(0xFF8C1D18),
    onErrorContainer = Color(0xFFF9DEDC),
    tertiaryContainer = Color(0xFF5C4300),
    onTertiaryContainer = Color(0xFFFFDF9E),
)

/**
 * Material 3 with the platform's font (on Android the system's Japanese font; on the JVM test, the CJK font
 * fontconfig finds). Text sizes are in sp, so the person's font scale applies everywhere.
 */
@Composable
fun AzukariTheme(dark: Boolean = false, content: @Composable () -> Unit) {
    MaterialTheme(colorScheme = if (dark) Dark else Light, content = content)
}
