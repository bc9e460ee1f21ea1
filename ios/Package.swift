// swift-tools-version:5.9
// The iOS app's screens and platform bridges over the Rust core, as a Swift package.
//
//   ios/build-xcframework.sh            builds Frameworks/AzukariFFI.xcframework from the Rust core and copies the
//                                       generated Swift bindings into Generated/ (run it first, on a Mac)
//   ios/build-xcframework.sh --testing  the same with the core's test-only exports, for `xcodebuild test`
//
// Modules: `azukari_core` and `azukari_ffi` are the UniFFI bindings exactly as generated (bindings/generated/swift);
// `AzukariUI` draws the core's AppView and implements the foreign traits; the app target (App/Azukari.xcodeproj)
// is the thin @main around it.
import PackageDescription

let package = Package(
    name: "Azukari",
    defaultLocalization: "ja",
    platforms: [.iOS(.v16)],
    products: [
        .library(name: "AzukariUI", targets: ["AzukariUI", "azukari_ffi", "azukari_core"]),
    ],
    targets: [
        // The Rust core: static libraries for device and simulator, with both UniFFI headers in one C module
        // (AzukariFFIC) that the C modules the generated Swift imports, azukari_coreFFI and azukari_ffiFFI, re-export.
        .binaryTarget(name: "AzukariFFI", path: "Frameworks/AzukariFFI.xcframework"),
        .target(
            name: "azukari_core",
            dependencies: ["AzukariFFI"],
            path: "Generated/azukari_core"
        ),
        .target(
            name: "azukari_ffi",
            dependencies: ["AzukariFFI", "azukari_core"],
            path: "Generated/azukari_ffi"
        ),
        .target(
            name: "AzukariUI",
            dependencies: ["azukari_core", "azukari_ffi"],
            path: "Sources/AzukariUI"
        ),
        .testTarget(
            name: "AzukariUITests",
            dependencies: ["AzukariUI", "azukari_core", "azukari_ffi"],
            path: "Tests/AzukariUITests"
        ),
    ]
)
