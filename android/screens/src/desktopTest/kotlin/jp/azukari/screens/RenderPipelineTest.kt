package jp.azukari.screens

import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Button
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.Density
import androidx.compose.ui.unit.dp
import java.io.File
import org.junit.Assert.assertTrue
import org.junit.Test

/** The headless pipeline itself: Compose → Skia on the CPU → PNG, with Japanese text from the system's CJK font. */
class RenderPipelineTest {
    @Test
    fun japaneseTextRendersHeadlessToPng() {
        val image = renderPng(720, 480, Density(2f), File(outDir(), "pipeline-ja.png")) {
            AzukariTheme {
                Surface(Modifier.fillMaxSize()) {
                    Column(Modifier.padding(16.dp)) {
                        Text(SAMPLE_TITLE, style = MaterialTheme.typography.titleLarge)
                        Text(SAMPLE_LINE)
                        Button(onClick = {}) { Text(SAMPLE_BUTTON) }
                    }
                }
            }
        }
        // Text was drawn: a good share of the pixels in the text band are dark ink on the light surface.
        val inked = (0 until image.width).sumOf { x ->
            (image.height / 10 until image.height / 3).count { y -> luminance(image.getRGB(x, y)) < 96 }
        }
        assertTrue("ink in the title band: $inked pixels", inked > 500)
        // Nothing runs off the bottom: the last fifth of the image is bare surface.
        val below = (0 until image.width).sumOf { x ->
            (image.height * 4 / 5 until image.height).count { y -> luminance(image.getRGB(x, y)) < 200 }
        }
        assertTrue("nothing drawn near the bottom edge: $below pixels", below == 0)
    }

    companion object {
        // Test data only (the app's texts come from the core).
        const val SAMPLE_TITLE = "預かり品の持出"
        const val SAMPLE_LINE = "佐藤 ハナ様のマイナ保険証（受診）"
        const val SAMPLE_BUTTON = "持ち出す"
    }
}
