//! Test support (feature `test-support`): a store in a given directory with a file vault, a fast KDF and a
//! manual clock. Never compiled into the apps.

use crate::clock::{ManualClock, Timestamp};
use crate::crypto::{FileKeyVault, KdfParams};
use crate::store::{CreateOptions, OpenOptions, Store, StoreError, Unlock};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The recovery passphrase of test stores.
pub const TEST_PASSPHRASE: &str = "TEST-RECOVERY-PASSPHRASE-0001";

/// 2026-11-24 09:00 in Tokyo.
pub fn test_start() -> Timestamp {
    // 2026-11-24T00:00:00Z is 09:00 in Tokyo.
    Timestamp(1_795_478_400_000)
}

/// A store made for a test, with what reopens it.
pub struct TestStore {
    /// The store.
    pub store: Store,
    /// The database file.
    pub path: PathBuf,
    /// The vault that unlocks it.
    pub vault: FileKeyVault,
    /// Its clock.
    pub clock: Arc<ManualClock>,
}

impl TestStore {
    /// Create a store named `name` in `dir`.
    pub fn create(dir: &Path, name: &str) -> Result<TestStore, StoreError> {
        let path = dir.join(format!("{name}.azukari"));
        let vault = FileKeyVault::new(dir.join(format!("{name}.key")));
        let clock = Arc::new(ManualClock::new(test_start()));
        let options = CreateOptions {
            facility_name: "テスト施設",
            recovery_passphrase: TEST_PASSPHRASE,
            kdf: KdfParams::insecure_for_tests(),
            vault: &vault,
        };
        let store = Store::create(&path, options, clock.clone())?;
        Ok(TestStore {
            store,
            path,
            vault,
            clock,
        })
    }

    /// Close the store and open it again through the vault.
    pub fn reopen(self, options: OpenOptions) -> Result<TestStore, StoreError> {
        let TestStore {
            store,
            path,
            vault,
            clock,
        } = self;
        store.close()?;
        let store = Store::open(&path, Unlock::Vault(&vault), options, clock.clone())?;
        Ok(TestStore {
            store,
            path,
            vault,
            clock,
        })
    }
}
