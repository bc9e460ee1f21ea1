package jp.azukari.android.camera

import androidx.camera.view.PreviewView
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.remember
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.platform.LocalLifecycleOwner
import androidx.compose.ui.unit.dp
import androidx.compose.ui.viewinterop.AndroidView

/** The camera over the whole screen with the core's [prompt] and [cancel] button; the first QR read goes to
 *  [onText]. */
@Composable
fun QrCameraOverlay(prompt: String, cancel: String, onCancel: () -> Unit, onText: (String) -> Unit) {
    val context = LocalContext.current
    val owner = LocalLifecycleOwner.current
    val scanner = remember { CameraQrScanner(context) }
    val preview = remember { PreviewView(context) }
    DisposableEffect(owner) {
        scanner.start(owner, preview, onText)
        onDispose { scanner.close() }
    }
    Box(Modifier.fillMaxSize()) {
        AndroidView(factory = { preview }, modifier = Modifier.fillMaxSize())
        Surface(
            color = MaterialTheme.colorScheme.surface.copy(alpha = 0.85f),
            modifier = Modifier.align(Alignment.BottomCenter).fillMaxWidth(),
        ) {
            Column(Modifier.padding(24.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
                Text(prompt, style = MaterialTheme.typography.titleMedium)
                OutlinedButton(onClick = onCancel, modifier = Modifier.heightIn(min = 48.dp)) { Text(cancel) }
            }
        }
    }
}
