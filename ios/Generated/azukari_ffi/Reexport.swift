// The generated azukari_ffi.swift names the core's app types (AppView, AppEvent, …) without importing their
// module: UniFFI expects the crates' Swift in one module, but the two crates both declare Language, Notice,
// NoticeKind and Severity, so they are two modules here. This re-export makes azukari_core visible to every file
// of azukari_ffi (declarations of azukari_ffi itself shadow the core's where the names are the same).
@_exported import azukari_core
