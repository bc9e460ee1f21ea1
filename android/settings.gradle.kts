// The Azukari Android app: open this folder in Android Studio, or run ./gradlew assembleDebug (see README.md).
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "azukari"

// ffi: the generated UniFFI Kotlin (bindings/generated/kotlin) and the Rust library built per ABI with cargo-ndk.
// screens: the Compose screens that draw the core's AppView (Compose API only: no android.* import).
// app: the activity and the platform bridges (NFC, camera, Android Keystore, OkHttp).
include(":ffi", ":screens", ":app")
