package jp.azukari.android

import android.Manifest
import android.content.Intent
import android.content.pm.PackageManager
import android.nfc.NfcAdapter
import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.BackHandler
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.compose.setContent
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.LaunchedEffect
import androidx.core.content.ContextCompat
import androidx.core.content.FileProvider
import androidx.lifecycle.lifecycleScope
import java.io.File
import jp.azukari.android.bridge.BackgroundSync
import jp.azukari.android.bridge.CardReader
import jp.azukari.android.bridge.CoreErrors
import jp.azukari.android.bridge.CoreThreads
import jp.azukari.android.bridge.HubSettings
import jp.azukari.android.bridge.KeystoreKeyVault
import jp.azukari.android.bridge.ReaderModeCardReader
import jp.azukari.android.bridge.routeLabelLink
import jp.azukari.android.camera.QrCameraOverlay
import jp.azukari.screens.AppController
import jp.azukari.screens.AppFrame
import uniffi.azukari_core.AppEvent
import uniffi.azukari_core.AppView
import uniffi.azukari_core.PlatformRequest
import uniffi.azukari_ffi.AzukariApp

/**
 * The one activity: draws the core's view, sends back what the person taps, and performs the platform requests
 * the view names (camera, card reader, sync, sharing a file). It decides nothing itself.
 */
class MainActivity : ComponentActivity() {
    private val threads = CoreThreads()
    private lateinit var app: AzukariApp
    private lateinit var controller: AppController
    private lateinit var cardReader: CardReader
    private lateinit var hubSettings: HubSettings
    private var backgroundSync: BackgroundSync? = null

    /** The latest sealed snapshot of the app, made on the core's thread after each step (never on this one). */
    @Volatile
    private var saved: ByteArray? = null

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val vault = KeystoreKeyVault(packageManager.hasSystemFeature(PackageManager.FEATURE_STRONGBOX_KEYSTORE))
        app = AzukariApp(File(noBackupFilesDir, STORE_FILE).path, vault, BuildConfig.HUB_HOST)
        hubSettings = HubSettings(File(noBackupFilesDir, HUB_FILE))
        cardReader = ReaderModeCardReader(NfcAdapter.getDefaultAdapter(this))
        // A new app is locked: its first view and a restore touch no storage, so they may run here.
        val first = savedInstanceState?.getByteArray(SAVED_APP)?.let(app::restore) ?: app.view()
        controller = AppController(
            first,
            { event -> kept { app.dispatch(event) } },
            lifecycleScope,
            threads.calls,
            CoreErrors::text,
        )
        handleLink(intent)
        setContent {
            val view = controller.view
            AppFrame(view, controller::send, controller.failure)
            BackHandler(enabled = view.back != null) { view.back?.let { controller.send(it.event) } }
            PlatformRequests(view)
        }
    }

    /** One step of the core, then its sealed snapshot for process death (on the core's thread, like the step). */
    private fun kept(step: () -> AppView): AppView {
        val next = step()
        saved = runCatching { app.save() }.getOrNull()
        return next
    }

    override fun onNewIntent(intent: Intent) {
        super.onNewIntent(intent)
        handleLink(intent)
    }

    /** A label's deep link goes to the core as if the camera had read it; the core picks the screen. */
    private fun handleLink(intent: Intent?) {
        routeLabelLink(intent) { url -> controller.send(AppEvent.Scanned(url)) }
    }

    override fun onStart() {
        super.onStart()
        // Sync in the background while the app is in front, as long as the device has joined a hub.
        val hub = hubSettings.connection() ?: return
        backgroundSync = BackgroundSync(lifecycleScope, threads.sync, pauseMs = SYNC_PAUSE_MS) {
            val next = kept { app.sync(hub) }
            runOnUiThread { controller.show(next) }
        }.also { it.start() }
    }

    override fun onStop() {
        backgroundSync?.stop()
        backgroundSync = null
        cardReader.stop(this)
        super.onStop()
    }

    override fun onSaveInstanceState(outState: Bundle) {
        super.onSaveInstanceState(outState)
        saved?.let { outState.putByteArray(SAVED_APP, it) }
    }

    /** Performs what the view asks of the platform, for as long as it asks. */
    @Composable
    private fun PlatformRequests(view: AppView) {
        when (val request = view.request) {
            is PlatformRequest.TapCard -> DisposableEffect(request) {
                cardReader.start(this@MainActivity) { card -> controller.step { kept { app.presentCard(card) } } }
                onDispose { cardReader.stop(this@MainActivity) }
            }
            is PlatformRequest.ScanQr -> ScanQr(request)
            is PlatformRequest.JoinHub -> LaunchedEffect(request) {
                controller.step { kept { app.join(hubSettings.join(request.hubUrl, request.certSha256)) } }
            }
            is PlatformRequest.SyncNow -> LaunchedEffect(request) {
                val hub = hubSettings.connection()
                if (hub != null) controller.step { kept { app.sync(hub) } }
            }
            is PlatformRequest.ShareFile -> LaunchedEffect(request) { share(request) }
            null -> Unit
        }
    }

    @Composable
    private fun ScanQr(request: PlatformRequest.ScanQr) {
        val permission = rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) { granted ->
            if (!granted) controller.send(AppEvent.ScanCancelled)
        }
        val granted = ContextCompat.checkSelfPermission(this, Manifest.permission.CAMERA) == PackageManager.PERMISSION_GRANTED
        if (!granted) {
            LaunchedEffect(request) { permission.launch(Manifest.permission.CAMERA) }
            return
        }
        BackHandler { controller.send(AppEvent.ScanCancelled) }
        QrCameraOverlay(
            prompt = request.prompt,
            cancel = request.cancel,
            onCancel = { controller.send(AppEvent.ScanCancelled) },
        ) { text -> controller.send(AppEvent.Scanned(text)) }
    }

    /** Hands a file the core made (the 管理簿 CSV, a label sheet) to whatever the person picks to share or print it. */
    private fun share(request: PlatformRequest.ShareFile) {
        val dir = File(cacheDir, SHARE_DIR).apply { mkdirs() }
        val file = File(dir, File(request.fileName).name).apply { writeBytes(request.bytes) }
        val uri = FileProvider.getUriForFile(this, "$packageName.files", file)
        val send = Intent(Intent.ACTION_SEND)
            .setType(request.mimeType)
            .putExtra(Intent.EXTRA_STREAM, uri)
            .addFlags(Intent.FLAG_GRANT_READ_URI_PERMISSION)
        startActivity(Intent.createChooser(send, null))
        controller.send(AppEvent.FileShared)
    }

    companion object {
        private const val STORE_FILE = "facility.azukari"
        private const val HUB_FILE = "hub.properties"
        private const val SAVED_APP = "azukari.app"
        private const val SHARE_DIR = "share"
        private const val SYNC_PAUSE_MS = 15_000L
    }
}
