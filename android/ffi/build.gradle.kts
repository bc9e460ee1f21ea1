// The Rust core for Android: the UniFFI Kotlin generated from it (bindings/generated/kotlin, committed) and the
// library itself, built per ABI with cargo-ndk (https://github.com/bbqsrc/cargo-ndk: `cargo install cargo-ndk`,
// the NDK from the Android SDK manager) into jniLibs, loaded at run time by JNA as UniFFI's Kotlin expects.
plugins {
    alias(libs.plugins.android.library)
    alias(libs.plugins.kotlin.android)
}

val repoRoot = rootDir.parentFile
val rustAbis = listOf("arm64-v8a", "armeabi-v7a", "x86_64")
val jniLibsDir = layout.buildDirectory.dir("rustJniLibs")

android {
    namespace = "jp.azukari.ffi"
    compileSdk = libs.versions.compileSdk.get().toInt()
    defaultConfig {
        minSdk = libs.versions.minSdk.get().toInt()
        consumerProguardFiles("consumer-rules.pro")
    }
    sourceSets["main"].apply {
        kotlin.srcDir(File(repoRoot, "bindings/generated/kotlin"))
        jniLibs.srcDir(jniLibsDir)
    }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
}

kotlin { jvmToolchain(17) }

dependencies {
    // JNA with its native dispatch library for every Android ABI.
    api(libs.jna) { artifact { type = "aar" } }
}

// One cargo-ndk build per ABI; release profile unless -PrustProfile=debug.
val rustProfile = (findProperty("rustProfile") as String?) ?: "release"
val cargoNdkTasks = rustAbis.map { abi ->
    val taskName = "cargoNdk" + abi.split("-", "_").joinToString("") { it.replaceFirstChar(Char::uppercase) }
    tasks.register<Exec>(taskName) {
        group = "rust"
        description = "Builds libazukari_ffi.so for $abi with cargo-ndk"
        workingDir = repoRoot
        val args = mutableListOf(
            "cargo", "ndk", "--target", abi, "--platform", libs.versions.minSdk.get(),
            "--output-dir", jniLibsDir.get().asFile.path, "build", "--locked", "-p", "azukari-ffi",
        )
        if (rustProfile == "release") args += "--release"
        commandLine(args)
        inputs.dir(File(repoRoot, "core/src"))
        inputs.dir(File(repoRoot, "bindings/src"))
        inputs.file(File(repoRoot, "Cargo.lock"))
        outputs.file(jniLibsDir.map { it.file("$abi/libazukari_ffi.so") })
    }
}

tasks.named("preBuild") { dependsOn(cargoNdkTasks) }
