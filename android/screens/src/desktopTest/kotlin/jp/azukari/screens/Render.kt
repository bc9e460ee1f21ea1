package jp.azukari.screens

import androidx.compose.runtime.Composable
import androidx.compose.ui.ImageComposeScene
import androidx.compose.ui.unit.Density
import java.awt.image.BufferedImage
import java.io.ByteArrayInputStream
import java.io.File
import javax.imageio.ImageIO
import org.jetbrains.skia.EncodedImageFormat

/** Where rendered screens go (scripts/android-test sets it to target/screens/android). */
fun outDir(): File = File(System.getProperty("azukari.screens.out") ?: "build/screens").apply { mkdirs() }

/**
 * Render [content] at [widthPx]×[heightPx] pixels and [density] on the CPU (Skiko's software renderer), write it to
 * [file] as PNG and return the image. Frames are advanced until the content is idle (first composition, layout,
 * then one more frame for anything that measured twice).
 */
fun renderPng(widthPx: Int, heightPx: Int, density: Density, file: File, content: @Composable () -> Unit): BufferedImage {
    val scene = ImageComposeScene(widthPx, heightPx, density, content = content)
    try {
        var time = 0L
        repeat(3) {
            scene.render(time)
            time += 16_000_000L
        }
        val image = scene.render(time)
        val png = image.encodeToData(EncodedImageFormat.PNG)!!.bytes
        file.parentFile.mkdirs()
        file.writeBytes(png)
        return ImageIO.read(ByteArrayInputStream(png))
    } finally {
        scene.close()
    }
}

fun luminance(argb: Int): Int {
    val r = (argb shr 16) and 0xFF
    val g = (argb shr 8) and 0xFF
    val b = argb and 0xFF
    return (r * 299 + g * 587 + b * 114) / 1000
}
