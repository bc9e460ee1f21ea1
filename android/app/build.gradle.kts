plugins {
    alias(libs.plugins.android.application)
    alias(libs.plugins.kotlin.android)
    alias(libs.plugins.kotlin.compose)
}

val hubHost = (findProperty("azukariHubHost") as String?) ?: "azukari.example.jp"

android {
    namespace = "jp.azukari.android"
    compileSdk = libs.versions.compileSdk.get().toInt()
    defaultConfig {
        applicationId = "jp.azukari.android"
        minSdk = libs.versions.minSdk.get().toInt()
        targetSdk = libs.versions.targetSdk.get().toInt()
        versionCode = 1
        versionName = "0.1.0"
        // The label deep link's host (AndroidManifest.xml): the facility hub's name.
        manifestPlaceholders["azukariHubHost"] = hubHost
        // …and the host printed labels name (the core's AzukariApp label_host).
        buildConfigField("String", "HUB_HOST", "\"$hubHost\"")
        testInstrumentationRunner = "androidx.test.runner.AndroidJUnitRunner"
    }
    buildTypes {
        release {
            isMinifyEnabled = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
        }
    }
    buildFeatures {
        compose = true
        buildConfig = true
    }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    // The test facility set up through the app, shared with the screens' JVM tests (scripts/android-test).
    sourceSets["test"].kotlin.srcDir(rootDir.resolve("../tests/android/fixtures"))
    testOptions {
        // The bridge tests run under Robolectric (src/test; robolectric.properties picks the SDK).
        unitTests.isIncludeAndroidResources = true
    }
    packaging {
        resources.excludes += "/META-INF/{AL2.0,LGPL2.1}"
    }
}

kotlin { jvmToolchain(17) }

dependencies {
    implementation(project(":screens"))
    implementation(project(":ffi"))
    val composeBom = platform(libs.compose.bom)
    implementation(composeBom)
    implementation(libs.compose.material3)
    implementation(libs.activity.compose)
    implementation(libs.core.ktx)
    implementation(libs.lifecycle.runtime)
    implementation(libs.coroutines.android)
    implementation(libs.camerax.camera2)
    implementation(libs.camerax.lifecycle)
    implementation(libs.camerax.view)
    implementation(libs.mlkit.barcode)
    implementation(libs.okhttp)

    testImplementation(libs.junit)
    testImplementation(libs.robolectric)
    testImplementation(libs.androidx.test.core)
    testImplementation(libs.coroutines.test)
    // The JVM tests load the host's libazukari_ffi (built with `cargo build -p azukari-ffi --features testing`)
    // through desktop JNA: run them with -Djna.library.path=<that target dir>, as scripts/android-test does.
    testImplementation(libs.jna)
}
