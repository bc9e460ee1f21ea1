package jp.azukari.android.camera

import android.content.Context
import androidx.camera.core.CameraSelector
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.ImageProxy
import androidx.camera.core.Preview
import androidx.camera.lifecycle.ProcessCameraProvider
import androidx.camera.view.PreviewView
import androidx.core.content.ContextCompat
import androidx.lifecycle.LifecycleOwner
import com.google.mlkit.vision.barcode.BarcodeScanner
import com.google.mlkit.vision.barcode.BarcodeScannerOptions
import com.google.mlkit.vision.barcode.BarcodeScanning
import com.google.mlkit.vision.barcode.common.Barcode
import com.google.mlkit.vision.common.InputImage
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors
import java.util.concurrent.atomic.AtomicBoolean

/**
 * Reads one QR code with CameraX and ML Kit's on-device barcode scanner, and hands its text over untouched: the
 * core decides what it is (a locker label, an enrollment QR) and whether it is genuine. QR only, so a stray
 * barcode on a medicine box is never read.
 *
 * Built by Gradle only (CameraX and ML Kit live on Google Maven, which this project's test machine cannot reach);
 * the screens show the core's prompt meanwhile.
 */
class CameraQrScanner(private val context: Context) {
    private val analysis: ExecutorService = Executors.newSingleThreadExecutor()
    private val scanner: BarcodeScanner = BarcodeScanning.getClient(
        BarcodeScannerOptions.Builder().setBarcodeFormats(Barcode.FORMAT_QR_CODE).build(),
    )
    private var provider: ProcessCameraProvider? = null

    /** Show the back camera in [preview] and call [onText] once, on the main thread, with the first QR read. */
    fun start(owner: LifecycleOwner, preview: PreviewView, onText: (String) -> Unit) {
        val done = AtomicBoolean(false)
        val future = ProcessCameraProvider.getInstance(context)
        future.addListener({
            val provider = future.get().also { provider = it }
            val shown = Preview.Builder().build().also { it.setSurfaceProvider(preview.surfaceProvider) }
            val reading = ImageAnalysis.Builder()
                .setBackpressureStrategy(ImageAnalysis.STRATEGY_KEEP_ONLY_LATEST)
                .build()
            reading.setAnalyzer(analysis) { image -> read(image, done, onText) }
            provider.unbindAll()
            provider.bindToLifecycle(owner, CameraSelector.DEFAULT_BACK_CAMERA, shown, reading)
        }, ContextCompat.getMainExecutor(context))
    }

    fun stop() {
        provider?.unbindAll()
        provider = null
    }

    fun close() {
        stop()
        scanner.close()
        analysis.shutdown()
    }

    @androidx.annotation.OptIn(androidx.camera.core.ExperimentalGetImage::class)
    private fun read(image: ImageProxy, done: AtomicBoolean, onText: (String) -> Unit) {
        val media = image.image
        if (media == null || done.get()) {
            image.close()
            return
        }
        scanner.process(InputImage.fromMediaImage(media, image.imageInfo.rotationDegrees))
            .addOnSuccessListener(ContextCompat.getMainExecutor(context)) { codes ->
                val text = codes.firstNotNullOfOrNull { it.rawValue }
                if (text != null && done.compareAndSet(false, true)) {
                    stop()
                    onText(text)
                }
            }
            .addOnCompleteListener { image.close() }
    }
}
