//! The commitment to a whole local log, and the resumable hasher that keeps it up to date on every append.
//!
//! `log_hash = SHA-256( D ‖ h₁ ‖ h₂ ‖ … ‖ hₙ )`, where `D` is the 64-byte domain block [`LOG_DOMAIN_BLOCK`]
//! (`"azukari/log/v2"` padded with zero bytes) and `hᵢ` are the event hashes in log order.
//!
//! **Why one streaming hash.** A chained commitment, `cᵢ = SHA-256(tag ‖ cᵢ₋₁ ‖ hᵢ)`, costs two SHA-256 compression
//! blocks per event; here two event hashes fill one 64-byte block, so the commitment costs half a block per event,
//! a quarter of the work, which matters when a verifier walks 200,000 events.
//!
//! **Why it is as strong.** Every `hᵢ` is exactly 32 bytes and SHA-256's padding encodes the message length, so
//! two logs that differ in any event hash, in their order or in their number are two different messages. Two logs
//! with the same commitment would be a SHA-256 collision — the same assumption the chained form rests on. The
//! domain block separates these messages from every other SHA-256 input of Azukari (none is 64 + 32·n bytes
//! starting with this tag), and takes a block of its own so the state after it is a constant.
//!
//! **Why resumable.** The store must persist an authenticated head after *every* append, without rehashing the
//! log. [`LogHasher`] holds what SHA-256 holds between blocks: the chaining state after the last full block, the
//! odd event hash waiting for its partner, and the count. Finishing — padding and one more compression — gives the
//! commitment without consuming the hasher. The state is derived from public event hashes only, so persisting it
//! reveals nothing; the store protects its integrity with the head's keyed hash and checks it against the
//! commitment on every open.

use super::EventHash;
use serde::{Deserialize, Serialize};
use sha2::compress256;
use sha2::digest::generic_array::GenericArray;

/// The first block of every log commitment: the domain tag padded with zero bytes to one SHA-256 block.
pub const LOG_DOMAIN_BLOCK: [u8; 64] = domain_block(b"azukari/log/v2");

/// SHA-256's initial chaining state (FIPS 180-4, 5.3.3).
const SHA256_IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

const fn domain_block(tag: &[u8]) -> [u8; 64] {
    let mut block = [0u8; 64];
    let mut i = 0;
    while i < tag.len() {
        block[i] = tag[i];
        i += 1;
    }
    block
}

/// The commitment to a whole local log: SHA-256 over [`LOG_DOMAIN_BLOCK`] and every event hash, in log order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogHash(pub [u8; 32]);

/// A SHA-256 over [`LOG_DOMAIN_BLOCK`] and event hashes, fed one event hash at a time, that can be persisted and
/// resumed between appends. Serialises as its chaining state, pending hash and count; deserialising refuses a
/// pending hash that does not match the parity of the count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "LogHasherParts", into = "LogHasherParts")]
pub struct LogHasher {
    /// SHA-256 chaining state after the domain block and every complete pair of event hashes.
    state: [u32; 8],
    /// The last event hash when the count is odd: the first half of the next block.
    pending: Option<[u8; 32]>,
    /// Event hashes fed so far.
    count: u64,
}

/// The serialised form of [`LogHasher`], checked when read back.
#[derive(Clone, Copy, Serialize, Deserialize)]
struct LogHasherParts {
    state: [u32; 8],
    pending: Option<[u8; 32]>,
    count: u64,
}

impl From<LogHasher> for LogHasherParts {
    fn from(hasher: LogHasher) -> Self {
        LogHasherParts {
            state: hasher.state,
            pending: hasher.pending,
            count: hasher.count,
        }
    }
}

impl TryFrom<LogHasherParts> for LogHasher {
    type Error = &'static str;

    fn try_from(parts: LogHasherParts) -> Result<Self, Self::Error> {
        if parts.pending.is_some() != (parts.count % 2 == 1) {
            return Err("log hasher: pending hash does not match the count");
        }
        Ok(LogHasher {
            state: parts.state,
            pending: parts.pending,
            count: parts.count,
        })
    }
}

impl Default for LogHasher {
    fn default() -> Self {
        LogHasher::new()
    }
}

impl LogHasher {
    /// A hasher over the empty log (the domain block only).
    pub fn new() -> LogHasher {
        let mut state = SHA256_IV;
        compress(&mut state, &LOG_DOMAIN_BLOCK);
        LogHasher {
            state,
            pending: None,
            count: 0,
        }
    }

    /// Feed the next event's hash.
    pub fn push(&mut self, event: &EventHash) {
        match self.pending.take() {
            None => self.pending = Some(event.0),
            Some(first) => {
                let mut block = [0u8; 64];
                block[..32].copy_from_slice(&first);
                block[32..].copy_from_slice(&event.0);
                compress(&mut self.state, &block);
            }
        }
        self.count += 1;
    }

    /// Number of event hashes fed.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The commitment to the events fed so far (SHA-256 padding and a last compression on a copy of the state).
    pub fn commitment(&self) -> LogHash {
        // Buffered bytes are 0 or 32, so the 0x80 byte and the 64-bit length always fit in one last block.
        let mut block = [0u8; 64];
        let buffered = match &self.pending {
            Some(hash) => {
                block[..32].copy_from_slice(hash);
                32
            }
            None => 0,
        };
        block[buffered] = 0x80;
        let message_bits = self.count.wrapping_mul(32).wrapping_add(64).wrapping_mul(8);
        block[56..].copy_from_slice(&message_bits.to_be_bytes());
        let mut state = self.state;
        compress(&mut state, &block);
        let mut digest = [0u8; 32];
        for (bytes, word) in digest.chunks_exact_mut(4).zip(state) {
            bytes.copy_from_slice(&word.to_be_bytes());
        }
        LogHash(digest)
    }
}

fn compress(state: &mut [u32; 8], block: &[u8; 64]) {
    compress256(state, &[GenericArray::from(*block)]);
}

/// A commitment to a whole log: its length and [`LogHash`], with the [`LogHasher`] to extend it from. The store
/// keeps one authenticated with a keyed hash; a verifier compares its length and log hash. Deserialising refuses
/// a head whose parts disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "LogHeadParts", into = "LogHeadParts")]
pub struct LogHead {
    /// Number of events.
    pub length: u64,
    /// The commitment to them, in log order.
    pub log_hash: LogHash,
    hasher: LogHasher,
}

/// The serialised form of [`LogHead`], checked when read back.
#[derive(Clone, Copy, Serialize, Deserialize)]
struct LogHeadParts {
    length: u64,
    log_hash: LogHash,
    hasher: LogHasher,
}

impl From<LogHead> for LogHeadParts {
    fn from(head: LogHead) -> Self {
        LogHeadParts {
            length: head.length,
            log_hash: head.log_hash,
            hasher: head.hasher,
        }
    }
}

impl TryFrom<LogHeadParts> for LogHead {
    type Error = &'static str;

    fn try_from(parts: LogHeadParts) -> Result<Self, Self::Error> {
        let head = LogHead::from_hasher(parts.hasher);
        if head.length != parts.length || head.log_hash != parts.log_hash {
            return Err("log head: length or log hash does not match the hasher");
        }
        Ok(head)
    }
}

impl LogHead {
    /// The head of an empty log.
    pub fn empty() -> LogHead {
        LogHead::from_hasher(LogHasher::new())
    }

    /// The head of the events fed to `hasher`.
    pub fn from_hasher(hasher: LogHasher) -> LogHead {
        LogHead {
            length: hasher.count(),
            log_hash: hasher.commitment(),
            hasher,
        }
    }

    /// The head after appending the event whose hash is `event`.
    pub fn after(&self, event: &EventHash) -> LogHead {
        let mut hasher = self.hasher;
        hasher.push(event);
        LogHead::from_hasher(hasher)
    }

    /// The hasher to extend this head from.
    pub fn hasher(&self) -> &LogHasher {
        &self.hasher
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    fn event_hashes(n: usize) -> Vec<EventHash> {
        (0..n)
            .map(|i| EventHash(Sha256::digest((i as u64).to_be_bytes()).into()))
            .collect()
    }

    fn one_shot(hashes: &[EventHash]) -> LogHash {
        let mut sha = Sha256::new();
        sha.update(LOG_DOMAIN_BLOCK);
        for hash in hashes {
            sha.update(hash.0);
        }
        LogHash(sha.finalize().into())
    }

    #[test]
    fn the_commitment_is_sha256_of_the_domain_block_and_every_event_hash() {
        for n in 0..=5 {
            let hashes = event_hashes(n);
            let mut hasher = LogHasher::new();
            for hash in &hashes {
                hasher.push(hash);
            }
            assert_eq!(hasher.count(), n as u64);
            assert_eq!(hasher.commitment(), one_shot(&hashes), "n = {n}");
        }
        // And a longer log.
        let hashes = event_hashes(301);
        let mut hasher = LogHasher::new();
        for hash in &hashes {
            hasher.push(hash);
        }
        assert_eq!(hasher.commitment(), one_shot(&hashes));
    }

    #[test]
    fn a_hasher_resumes_identically_after_being_serialised() {
        let hashes = event_hashes(7);
        for split in 0..=hashes.len() {
            let mut hasher = LogHasher::new();
            for hash in &hashes[..split] {
                hasher.push(hash);
            }
            let bytes = postcard::to_stdvec(&hasher).unwrap();
            let mut resumed: LogHasher = postcard::from_bytes(&bytes).unwrap();
            assert_eq!(resumed, hasher);
            for hash in &hashes[split..] {
                resumed.push(hash);
                hasher.push(hash);
            }
            assert_eq!(resumed, hasher);
            assert_eq!(resumed.commitment(), one_shot(&hashes), "split = {split}");
        }
    }

    #[test]
    fn the_commitment_changes_with_any_hash_their_order_or_their_number() {
        let hashes = event_hashes(4);
        let base = one_shot(&hashes);
        let mut swapped = hashes.clone();
        swapped.swap(1, 2);
        assert_ne!(one_shot(&swapped), base);
        assert_ne!(one_shot(&hashes[..3]), base);
        let mut flipped = hashes.clone();
        flipped[3].0[31] ^= 1;
        assert_ne!(one_shot(&flipped), base);
        assert_ne!(LogHasher::new().commitment(), base);
    }

    #[test]
    fn a_head_round_trips_and_refuses_parts_that_disagree() {
        let hashes = event_hashes(3);
        let mut head = LogHead::empty();
        assert_eq!(head.length, 0);
        assert_eq!(head.log_hash, one_shot(&[]));
        for hash in &hashes {
            head = head.after(hash);
        }
        assert_eq!(head.length, 3);
        assert_eq!(head.log_hash, one_shot(&hashes));
        let bytes = postcard::to_stdvec(&head).unwrap();
        assert_eq!(postcard::from_bytes::<LogHead>(&bytes).unwrap(), head);

        let mut longer = head;
        longer.length = 4;
        let bytes = postcard::to_stdvec(&longer).unwrap();
        assert!(postcard::from_bytes::<LogHead>(&bytes).is_err());
        let mut other_hash = head;
        other_hash.log_hash.0[0] ^= 1;
        let bytes = postcard::to_stdvec(&other_hash).unwrap();
        assert!(postcard::from_bytes::<LogHead>(&bytes).is_err());

        let parts = LogHasherParts {
            pending: None,
            ..LogHasherParts::from(*head.hasher())
        };
        assert!(LogHasher::try_from(parts).is_err());
    }
}
